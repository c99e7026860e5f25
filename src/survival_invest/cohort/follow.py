"""Members + classified spells -> each member's duration, exit, censoring and prior weeks.

The duration clock (DOMAIN.md, "The estimation, precisely")
-----------------------------------------------------------
* ``t`` = periods since entry; the entry period is ``t = 0``.
* A period is *on support* when the person has a ``support``-class code in it;
  for months rolled up from weeks the case's ``month_rule`` decides (any week,
  a majority of the weeks, or all of them). A benefit switch is not an exit:
  only the on/off status matters. The month rule governs this clock only
  (exit, duration, the last period on support of a censored person); the
  rest below reads the weeks themselves.
* **Exit** (the event) is the first ``t >= 0`` that starts a run of
  ``durable_exit`` consecutive periods off support; the exit is dated at the
  first of them, so ``duration = t_exit`` and the person counted as still on
  support at ``0 .. t_exit - 1``.
* **Censoring** at the data cut-off (``RunClock.cutoff``, the last complete
  period) and at the first ``censor``-class code (death, emigration, pension,
  early retirement) at ``t_c``: follow-up then ends at ``t_c - 1``. A censored
  person's duration is the last period known to be on support before the
  unconfirmed end (``T > duration``).
* A person censored at entry (censor code at ``t = 0``) or followed too briefly
  to classify a durable exit is excluded and counted.
* ``prior_weeks``: weeks on support before entry since the last 52-week break
  within 3 years (:mod:`survival_invest.cohort.prior`), counted on the extract's own rows —
  for weekly data in weeks (156-week look-back from the first week of the
  entry month, reset after 52 whole weeks without a support code), whatever
  the month rule.
* The **benefit at entry** is the code of the latest period ``t <= 0`` with
  a support week, whatever the month rule.
* The cohort's ``status`` rows (occupancy, expected-minus-observed savings)
  are the followed periods with a support week and their share (weeks on
  support / weeks in the month), also months the month rule counts as off.

Everything is vectorised: members and spell rows are joined by a ragged
``searchsorted`` expansion over (person, period) keys (:func:`ragged_join`)
and each person's exit is found from gaps between consecutive on-support
periods; there is no Python loop over persons or rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from survival_invest.cohort.prior import prior_only, prior_weeks
from survival_invest.cohort.ragged import NEVER, first_per_member, last_per_member, previous_within, ragged_join
from survival_invest.cohort.rules import lookback_reset
from survival_invest.cohort.status import Status
from survival_invest.io.ids import integer_ids, integer_ids_where_canonical
from survival_invest.io.periods import Frequency, period_label

__all__ = ["Followed", "assemble", "exit_times", "follow", "person_positions", "prior_only", "prior_weeks"]


@dataclass
class Followed:
    """Per-member results of :func:`follow` (arrays over members) and the on-support rows.

    Attributes
    ----------
    duration, event, reason, prior, followed, benefit, benefit_group
        Per member: duration (periods), exit (bool), censoring reason, prior
        weeks, periods observed from entry, and the benefit code and group at entry.
    no_spells, censored_at_entry, too_short
        Per member: the exclusion reasons (bool).
    by_code, by_participation
        Per member: censored by a censor code, or by the member's own
        participation start (matched controls).
    f_member, f_t, f_ridx
        The periods with a support week within follow-up (under every month
        rule; those ``st.on`` marks drive the exit clock): member, ``t`` and status row.
    """

    duration: np.ndarray
    event: np.ndarray
    reason: np.ndarray
    prior: np.ndarray
    followed: np.ndarray
    benefit: np.ndarray
    benefit_group: np.ndarray
    no_spells: np.ndarray
    censored_at_entry: np.ndarray
    too_short: np.ndarray
    by_code: np.ndarray
    by_participation: np.ndarray
    f_member: np.ndarray
    f_t: np.ndarray
    f_ridx: np.ndarray

    @property
    def excluded(self) -> np.ndarray:
        """Members left out of the cohort: no spell data, censored at entry, or too short for a durable exit."""
        return self.no_spells | self.censored_at_entry | self.too_short


def exit_times(
    f_member: np.ndarray, f_t: np.ndarray, obs_end: np.ndarray, k: int, n_m: int
) -> tuple[np.ndarray, np.ndarray]:
    """Exit period per member: the first gap of ``k`` or more periods off support.

    The gap before the first on-support period starts at ``t = -1``; a gap at
    the end of follow-up counts when ``obs_end - last_on >= k``.

    Parameters
    ----------
    f_member, f_t : ndarray of int
        The on-support periods within follow-up (sorted by member, then ``t``).
    obs_end : ndarray of int
        Last observed ``t`` per member.
    k : int
        Periods off support needed for an exit (``durable_exit``).
    n_m : int
        Number of members.

    Returns
    -------
    (exit_t, last_on)
        Per member: ``t`` of the exit (``NEVER`` when none) and the last
        on-support ``t`` (-1 when none).
    """
    prev_t = previous_within(f_member, f_t, -1)
    cand = (f_t - prev_t - 1) >= k
    exit_mid = first_per_member(f_member, cand, prev_t + 1, n_m, NEVER)
    del prev_t, cand
    last_on = last_per_member(f_member, None, f_t, n_m, -1)
    exit_end = np.where(obs_end - last_on >= k, last_on + 1, NEVER)
    return np.minimum(exit_mid, exit_end), last_on


def _censor_reasons(
    st: Status, event: np.ndarray, t_c: np.ndarray, code_row: np.ndarray, cap_part: np.ndarray, to_cutoff: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(by_code, by_participation, reason): a code, the own participation start, or the cut-off."""
    by_code = ~event & (t_c < NEVER) & (t_c <= to_cutoff) & (t_c - 1 <= cap_part)
    by_part = ~event & ~by_code & (cap_part < to_cutoff)
    reason = np.where(event, "", "cut_off").astype(object)
    reason[by_part] = "participation_start"
    if by_code.any():
        c = st.censor_code_at(code_row[by_code])
        lab = pd.Series(st.code_label[c]).fillna("").astype(str).to_numpy()
        reason[by_code] = "code " + st.codes[c].astype(str) + ": " + lab
    return by_code, by_part, reason


def _benefit_rows(member: np.ndarray, t: np.ndarray, supported: np.ndarray, ridx: np.ndarray, n_m: int) -> np.ndarray:
    """Benefit at entry: the status row of the latest ``t <= 0`` with a support week, whatever the month rule (-1 when none)."""
    at_or_before = t <= 0
    at_or_before &= supported
    return last_per_member(member, at_or_before, ridx, n_m, -1)


def _or_missing(has: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values`` where ``has``, else ``pd.NA`` (an object array)."""
    out = np.full(has.shape[0], pd.NA, dtype=object)
    out[has] = values[has]
    return out


def _follow_up_end(
    st: Status,
    member: np.ndarray,
    t: np.ndarray,
    ridx: np.ndarray,
    entry: np.ndarray,
    cutoff: int,
    end: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(t_c, censor row, participation cap, obs_end): follow-up ends at the cut-off, before the first censor code
    at ``t >= 0``, or at a given end."""
    n_m = entry.shape[0]
    cens = st.censor[ridx]
    cens &= t >= 0
    t_c = first_per_member(member, cens, t, n_m, NEVER)
    code_row = first_per_member(member, cens, ridx, n_m, -1)
    del cens
    cap_part = np.asarray(NEVER if end is None else end.astype(np.int64) - entry)
    obs_end = np.minimum(np.minimum(cutoff - entry.astype(np.int64), t_c - 1), cap_part).astype(np.int32)
    return t_c, code_row, cap_part, obs_end


def follow(
    st: Status,
    m_person: np.ndarray,
    entry: np.ndarray,
    cutoff: int,
    k: int,
    freq: Frequency,
    end: np.ndarray | None = None,
) -> Followed:
    """Follow members from entry: exit, censoring, prior weeks, benefit at entry (module docstring rules).

    Parameters
    ----------
    st : Status
        The classified extract.
    m_person : ndarray of int
        Position of each member's person in ``st.persons`` (-1 = no spell rows).
    entry : ndarray of int32
        Entry period of each member.
    cutoff : int
        The data cut-off (``RunClock.cutoff``).
    k : int
        Periods off support needed for an exit (``durable_exit``).
    freq : {"month", "week"}
        The analysis frequency.
    end : ndarray of int, optional
        Last period of follow-up per member (the period before a matched
        control's own participation start), censoring with reason
        ``participation_start``.

    Returns
    -------
    Followed
    """
    lookback, _ = lookback_reset(freq)
    no_spells = m_person < 0
    n_m = entry.shape[0]
    # prior weeks of rolled-up weekly data are counted on the weeks (a join of their own, before the main one)
    prior = prior_only(st, m_person, entry, freq) if st.rolled_up else None
    member, ridx = ragged_join(st.person, st.period, m_person, entry - lookback, np.full(n_m, cutoff))
    # Arrays over joined rows are the memory peak at 10^8 rows: each is deleted
    # as soon as it has served, and the order below is chosen for that.
    t = st.period[ridx]
    t -= entry[member]
    on = st.on[ridx]

    t_c, code_row, cap_part, obs_end = _follow_up_end(st, member, t, ridx, entry, cutoff, end)

    if prior is None:  # rows at the source frequency: counted on the joined rows
        prior = prior_weeks(member, t, on, n_m, freq)
    # periods with a support week (the month rule's "on" is a subset): benefit at entry and the shares
    sup = st.supported[ridx] if st.rolled_up else on
    b_idx = _benefit_rows(member, t, sup, ridx, n_m)

    # periods with support within follow-up: 0 <= t <= obs_end
    sel = t >= 0
    sel &= sup
    del on, sup
    end_of = obs_end[member]
    sel &= t <= end_of
    del end_of
    f_member, f_t, f_ridx = member[sel], t[sel], ridx[sel]
    del member, t, ridx, sel

    # the exit clock: the periods the month rule counts as on support
    on_f = st.on[f_ridx]
    exit_t, last_on = exit_times(f_member[on_f], f_t[on_f], obs_end, k, n_m)
    event = exit_t < NEVER
    duration = np.where(event, exit_t, last_on)
    censored_at_entry = ~no_spells & (t_c == 0)
    too_short = ~no_spells & ~censored_at_entry & ~event & (duration < 0)
    by_code, by_part, reason = _censor_reasons(st, event, t_c, code_row, cap_part, cutoff - entry)

    has_b, b_code = b_idx >= 0, st.code[np.maximum(b_idx, 0)]
    return Followed(
        duration=duration,
        event=event,
        reason=reason,
        prior=prior,
        followed=(obs_end + 1).astype(np.int64),
        benefit=_or_missing(has_b, st.codes[b_code]),
        benefit_group=_or_missing(has_b, st.code_group[b_code]),
        no_spells=no_spells,
        censored_at_entry=censored_at_entry,
        too_short=too_short,
        by_code=by_code,
        by_participation=by_part,
        f_member=f_member,
        f_t=f_t,
        f_ridx=f_ridx,
    )


def assemble(
    members: pd.DataFrame, entry: np.ndarray, fol: Followed, st: Status, freq: Frequency
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """The ``persons`` and ``status`` frames of a cohort from its followed members.

    Parameters
    ----------
    members : DataFrame
        ``person_id, group`` of each member.
    entry : ndarray of int
        Entry period of each member.
    fol : Followed
        The members' follow-up (:func:`follow`).
    st : Status
        The classified extract (for the on-support shares).
    freq : {"month", "week"}
        The analysis frequency (for the entry labels).

    Returns
    -------
    (persons, status, keep)
        The members not excluded (``Cohort.persons``), their on-support
        periods (``Cohort.status``, ``member`` renumbered to rows of
        ``persons``) and the mask of kept members.
    """
    keep_m = ~fol.excluded
    persons = pd.DataFrame(
        {
            "person_id": members["person_id"].to_numpy(),
            "group": members["group"].to_numpy(),
            "entry_period": _entry_labels(entry, freq),
            "entry": entry.astype(np.int64),
            "duration": fol.duration.astype(np.int64),
            "event": fol.event.astype(np.int8),
            "censor_reason": fol.reason,
            "prior_weeks": fol.prior,
            "followed": fol.followed,
            "benefit": fol.benefit,
            "benefit_group": fol.benefit_group,
        }
    )[keep_m].reset_index(drop=True)
    persons["censor_reason"] = persons["censor_reason"].astype("string")
    persons["benefit"] = persons["benefit"].astype("string")
    persons["benefit_group"] = persons["benefit_group"].astype("string")
    f_member, f_t, f_ridx = fol.f_member, fol.f_t, fol.f_ridx
    if not keep_m.all():
        kept = keep_m[f_member]
        new_index = (np.cumsum(keep_m) - 1).astype(f_member.dtype)
        f_member, f_t, f_ridx = new_index[f_member[kept]], f_t[kept], f_ridx[kept]
    status = pd.DataFrame({"member": f_member, "t": f_t, "share": st.share_at(f_ridx)}, copy=False)
    return persons, status, keep_m


def _entry_labels(entry: np.ndarray, freq: Frequency) -> np.ndarray:
    """``period_label`` of each entry, made once per distinct entry period (millions of members, a few hundred)."""
    uniq, inverse = np.unique(entry, return_inverse=True)
    return np.asarray(period_label(uniq, freq))[inverse.reshape(-1)]


def person_positions(st: Status, ids: pd.Series) -> np.ndarray:
    """Position of each id in ``st.persons`` (-1 when the person has no spell rows).

    Ids are compared as text. When the extract's ids are integers (the reader
    keeps canonical integer ids as int64, :func:`survival_invest.io.spells.spells_from_frame`)
    an id matches only through its canonical integer form, so ``"007"`` never
    matches person 7 (their texts differ); the comparison stays on integers.
    """
    if st.persons.dtype.kind in "iu":
        ints = integer_ids(ids)
        if ints is None:  # some ids are not canonical integers: those have no position
            canonical = integer_ids_where_canonical(ids)
            pos = st.persons.get_indexer(pd.Index(canonical.fillna(0).to_numpy(dtype=np.int64)))
            pos[canonical.isna()] = -1
            return pos
        return st.persons.get_indexer(pd.Index(ints))
    if st.persons.dtype.kind == "f":
        ids = pd.to_numeric(ids, errors="coerce")
    return st.persons.get_indexer(pd.Index(ids))
