"""The matched cohort: participants and their sequentially matched controls, followed and counted.

The rules of who can be a control, how many and drawn how are in
:mod:`survival_invest.cohort.matching`; this module applies them to one case's
members and follows the chosen rows (:func:`survival_invest.cohort.follow.follow`).
"""

from __future__ import annotations

import logging
from typing import NamedTuple

import numpy as np
import pandas as pd

from survival_invest.cohort.follow import Followed, follow, prior_only
from survival_invest.cohort.matching import Matching, band_labels, deal_controls, eligible_pairs, prior_band, strata
from survival_invest.cohort.ragged import NEVER
from survival_invest.cohort.status import Status
from survival_invest.errors import CohortError
from survival_invest.io.periods import Frequency

__all__ = ["MatchedMembers", "matched_members"]

log = logging.getLogger(__name__)


class MatchedMembers(NamedTuple):
    """The result of :func:`matched_members`.

    Attributes
    ----------
    members : DataFrame
        The members actually followed: controls first, then matched
        participants, with a ``matched_set`` column (0 .. matched participants - 1).
    entry : ndarray of int32
        Their entry periods.
    followed : Followed
        Their follow-up.
    summary_members : DataFrame
        ``group`` of every control row, then of every participant (the
        ``memberships`` row of the summary).
    excluded : dict of str to ndarray of bool
        Exclusion masks over ``summary_members``.
    counts : dict of str to (int, int)
        The matching rows of the summary as (comparison, intervention) counts.
    """

    members: pd.DataFrame
    entry: np.ndarray
    followed: Followed
    summary_members: pd.DataFrame
    excluded: dict[str, np.ndarray]
    counts: dict[str, tuple[int, int]]


class _Draw(NamedTuple):
    """Candidates (target row, status row) of the risk sets and the controls dealt from them."""

    c_target: np.ndarray
    c_row: np.ndarray
    c_month: np.ndarray
    cand: np.ndarray
    who: np.ndarray
    n_ctrl: np.ndarray
    p_idx: np.ndarray


def _draw(
    st: Status,
    fol_p: Followed,
    p_entry: np.ndarray,
    t_person: np.ndarray,
    t_entry: np.ndarray,
    t_start: np.ndarray,
    freq: Frequency,
    matching: Matching,
) -> _Draw:
    """The risk sets of the participants' entry months, their strata, and the controls dealt 1:k."""
    ok_p = ~fol_p.excluded
    p_band = prior_band(fol_p.prior, matching.prior_bands)
    months = np.unique(p_entry[ok_p])
    c_target, c_row = eligible_pairs(st, t_person, t_entry, t_start, months)
    c_month = st.period[c_row].astype(np.int32)
    c_prior = prior_only(st, t_person[c_target], c_month, freq)
    c_group = st.code_group[st.code[c_row]]

    # strata over participants (matchable ones) and candidates together; deal the controls
    p_idx = np.flatnonzero(ok_p)
    s_all = strata(
        np.concatenate([p_entry[p_idx], c_month]),
        np.concatenate([fol_p.benefit_group[p_idx], c_group]),
        np.concatenate([p_band[p_idx], prior_band(c_prior, matching.prior_bands)]),
    )
    cand, who, n_ctrl = deal_controls(s_all[: p_idx.size], s_all[p_idx.size :], matching.ratio, matching.seed)
    order = np.lexsort((c_row[cand], who))  # controls listed by matched set, then by (person, month)
    return _Draw(c_target, c_row, c_month, cand[order], who[order], n_ctrl, p_idx)


def _counts(d: _Draw, t_start: np.ndarray, matching: Matching) -> dict[str, tuple[int, int]]:
    """The ``matching_*`` summary rows as (comparison, intervention) counts."""
    matched = d.n_ctrl > 0
    per_part = np.bincount(d.n_ctrl, minlength=matching.ratio + 1)
    extra = {
        "matching_candidate_pairs": (d.c_row.size, 0),
        "matching_candidate_persons": (np.unique(d.c_target).size, 0),
        "matching_controls": (d.cand.size, 0),
        "matching_control_persons": (np.unique(d.c_target[d.cand]).size, 0),
        "matching_controls_later_participants": (int((t_start[d.c_target[d.cand]] < NEVER).sum()), 0),
        "matching_participants_matched": (0, int(matched.sum())),
    }
    for j in range(matching.ratio + 1):  # k + 1 summary rows, not a loop over persons
        extra[f"matching_participants_with_{j}_controls"] = (0, int(per_part[j]))
    return extra


def matched_members(
    members: pd.DataFrame,
    m_person: np.ndarray,
    entry: np.ndarray,
    st: Status,
    cutoff: int,
    k: int,
    freq: Frequency,
    matching: Matching,
    case_id: str,
) -> MatchedMembers:
    """Participants and their sequentially matched controls (rules in :mod:`survival_invest.cohort.matching`).

    Parameters
    ----------
    members : DataFrame
        The case's members under the ``matched`` rule (:func:`survival_invest.cohort.rules.case_members`):
        every target row (the pool) and every participant.
    m_person : ndarray of int
        Position of each member's person in ``st.persons`` (-1 = no spell rows).
    entry : ndarray of int32
        Entry period of each member.
    st : Status
        The classified extract.
    cutoff : int
        The data cut-off.
    k : int
        Periods off support needed for an exit (``durable_exit``).
    freq : {"month", "week"}
        The analysis frequency.
    matching : Matching
        Ratio, prior bands and seed.
    case_id : str
        The case, named in messages.

    Returns
    -------
    MatchedMembers

    Raises
    ------
    CohortError
        When no participant found a control.
    """
    is_int = (members["group"] == "intervention").to_numpy()
    part, target = members[is_int].reset_index(drop=True), members[~is_int].reset_index(drop=True)
    p_person, p_entry = m_person[is_int], entry[is_int]
    t_person, t_entry = m_person[~is_int], entry[~is_int].astype(np.int64)

    # participants: followed as in every comparison rule (their keys and exclusions)
    fol_p = follow(st, p_person, p_entry, cutoff, k, freq)
    # the risk sets: target persons on support in a participant's entry month, not yet participants
    start_of = pd.Series(p_entry.astype(np.int64), index=part["person_id"].to_numpy())
    t_start = start_of.reindex(target["person_id"].to_numpy()).fillna(float(NEVER)).to_numpy().astype(np.int64)
    d = _draw(st, fol_p, p_entry, t_person, t_entry, t_start, freq, matching)
    cand, who, p_idx = d.cand, d.who, d.p_idx
    matched = d.n_ctrl > 0
    if not matched.any():
        raise CohortError(
            f"case {case_id!r}: none of the {p_idx.size} participants found a control (comparison 'matched': "
            f"{d.c_row.size} eligible (person, month) pairs, none with a participant's benefit group and prior band "
            f"{', '.join(band_labels(matching.prior_bands))} weeks); use wider prior_bands or another comparison."
        )
    controls = pd.DataFrame(
        {
            "person_id": target["person_id"].to_numpy()[d.c_target[cand]],
            "group": "comparison",
            "entry_period": d.c_month[cand].astype(np.int64),
            "row": target["row"].to_numpy()[d.c_target[cand]],
            "matched_set": who.astype(np.int64),
        }
    )
    kept_p = p_idx[matched]
    chosen = pd.concat(
        [controls, part.iloc[kept_p].assign(matched_set=np.arange(p_idx.size, dtype=np.int64)[matched])],
        ignore_index=True,
    )
    # renumber the sets 0 .. (matched participants - 1)
    chosen["matched_set"] = np.searchsorted(np.flatnonzero(matched), chosen["matched_set"].to_numpy())
    ch_person = np.concatenate([t_person[d.c_target[cand]], p_person[kept_p]])
    ch_entry = np.concatenate([d.c_month[cand], p_entry[kept_p]]).astype(np.int32)
    ch_end = np.concatenate([t_start[d.c_target[cand]] - 1, np.full(kept_p.size, NEVER)])
    fol = follow(st, ch_person, ch_entry, cutoff, k, freq, end=ch_end)

    # summary members: every control row, then every participant (exclusions counted there)
    n_c = cand.size
    no_match = np.zeros(len(part), dtype=bool)
    no_match[p_idx[~matched]] = True
    summary_members = pd.concat([controls[["group"]], part[["group"]]], ignore_index=True)
    excluded = {
        "excluded_no_spell_data": np.concatenate([fol.no_spells[:n_c], fol_p.no_spells]),
        "excluded_censored_at_entry": np.concatenate([fol.censored_at_entry[:n_c], fol_p.censored_at_entry]),
        "excluded_too_short_for_durable_exit": np.concatenate([fol.too_short[:n_c], fol_p.too_short]),
        "excluded_no_match": np.concatenate([np.zeros(n_c, dtype=bool), no_match]),
    }
    # no head counts in the log: they could fall below min_persons (the summary table has them, suppressed)
    log.info("case %s: sequential matching done (%d eligible pairs)", case_id, d.c_row.size)
    return MatchedMembers(chosen, ch_entry, fol, summary_members, excluded, _counts(d, t_start, matching))
