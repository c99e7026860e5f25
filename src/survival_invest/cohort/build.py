"""Memberships + spells -> per-person entry, duration, exit and censoring of one case.

The duration clock (DOMAIN.md, "The estimation, precisely")
-----------------------------------------------------------
* ``t`` = periods since entry; the entry period is ``t = 0``.
* A period is *on support* when the person has a ``support``-class code in it
  (for months rolled up from weeks: see ``month_rule``). A benefit switch is not
  an exit: only the on/off status matters.
* **Exit** (the event) is the first ``t >= 0`` that starts a run of
  ``durable_exit`` consecutive periods off support; the exit is dated at the
  first of them, so ``duration = t_exit`` and the person counted as still on
  support at ``0 .. t_exit - 1``.
* **Censoring** at the data cut-off ``as_of - data_lag`` (the last complete
  period) and at the first ``censor``-class code (death, emigration, pension,
  early retirement) at ``t_c``: follow-up then ends at ``t_c - 1``. A censored
  person's duration is the last period known to be on support before the
  unconfirmed end (``T > duration``).
* A person censored at entry (censor code at ``t = 0``) or followed too briefly
  to classify a durable exit is excluded and counted.

Comparison groups (``comparison``; ``docs/comparisons.md`` compares them)
-------------------------------------------------------------------------
* ``"non_participants"`` (default): target-group members of the case who are
  not in its intervention group, each from their own target entry period.
* ``"target_all"``: every target-group member, participants included (as the
  municipal notes do), from the target entry period; participants without a
  target row enter the comparison group at their intervention entry period.
* ``"matched"``: sequential (risk-set) matching. For each participant's entry
  month, up to ``k`` target-group members on support that month, not yet
  participants, with the same benefit group and prior-duration band, each with
  a clock that starts in that month (no immortal time). A person can be a
  control in several months (one row each); a later participant is censored at
  their own participation start (``censor_reason = "participation_start"``).
  Participants without a control are excluded and counted
  (``excluded_no_match``). Rules, choices and summary rows:
  :mod:`survival_invest.matching`. The ``memberships`` row then counts control
  rows (comparison) and participants (intervention); ``persons`` gets the
  columns ``prior_band`` and ``matched_set`` (the participant's set number,
  not an id).

The intervention group is every intervention member from the intervention entry
period. Persons with no row at all in the spells extract are excluded from
both groups and counted (most likely an id mismatch, not a self-supporting
person).

Everything is vectorised: members and spell rows are joined by a ragged
``searchsorted`` expansion over (person, period) keys and each person's exit is
found from gaps between consecutive on-support periods; there is no Python loop
over persons or rows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd

from survival_invest._arrays import ragged_arange
from survival_invest.cohort.matching import Matching, band_labels, deal_controls, eligible_pairs, prior_band, strata
from survival_invest.cohort.status import MONTH_RULES, Status, spell_status
from survival_invest.errors import CohortError, ExtractError
from survival_invest.io.ids import person_keys
from survival_invest.io.periods import Frequency, parse_as_of, period_label
from survival_invest.io.readers import (
    Spells,
    _rows_text,
    default_classification,
    memberships_from_frame,
    spells_from_frame,
)

__all__ = [
    "COMPARISONS",
    "CURVES",
    "MONTH_RULES",
    "Cohort",
    "Matching",
    "attach_persons",
    "build_cohort",
    "entry_dates",
]

log = logging.getLogger(__name__)

COMPARISONS = ("non_participants", "target_all", "matched")
CURVES = ("first_exit", "occupancy")


@dataclass(frozen=True)
class Cohort:
    """The persons of one case on the duration clock.

    Attributes
    ----------
    case_id : str
    persons : DataFrame
        One row per person and group: ``person_id, group`` ("comparison" /
        "intervention"), ``entry_period`` (label), ``entry`` (period number),
        ``duration`` (periods), ``event`` (1 = exit), ``censor_reason`` ("" for
        an exit, "cut_off", or "code <c>: <label>"), ``prior_weeks`` (weeks on
        support before entry since the last 52-week break within 3 years),
        ``followed`` (periods observed from entry, ``0 .. followed - 1``),
        ``benefit`` and ``benefit_group`` at entry. Matched cohorts add
        ``prior_band`` and ``matched_set``; :meth:`with_persons` adds ``age``,
        ``age_band`` and ``sex``.
    status : DataFrame
        Compact person-period status for occupancy and expected-minus-observed
        savings: one row per person (``member``, the row of ``persons``) and
        observed period ``t`` on support, with ``share`` = share of the period on
        support (1 for monthly data, weeks on support / weeks in the month for
        weekly data rolled up). Periods not listed are off support.
    summary : DataFrame
        Counts by item (rows) and group (columns ``comparison, intervention,
        all``): memberships, persons, person-periods, events, censorings by
        reason, exclusions by reason, and extract rows not used by reason.
    frequency, cutoff, as_of, data_lag, durable_exit, comparison, curve
        The settings the cohort was built with (``cutoff`` = ``as_of - data_lag``
        as a period number).
    matching : Matching or None
        The matching settings of a ``"matched"`` cohort.
    """

    case_id: str
    persons: pd.DataFrame
    status: pd.DataFrame
    summary: pd.DataFrame
    frequency: Frequency
    cutoff: int
    as_of: int
    data_lag: int
    durable_exit: int
    comparison: str
    curve: str
    matching: Matching | None = None

    @property
    def cutoff_label(self) -> str:
        return str(period_label(self.cutoff, self.frequency))

    def _repr_html_(self) -> str:
        """Jupyter: the settings and the summary counts (no person ids)."""
        rule = self.comparison + (f" ({self.matching.describe()})" if self.matching is not None else "")
        head = (
            f"<div><b>Cohort of case {self.case_id}</b>: comparison {rule}, curve {self.curve}, "
            f"durable exit {self.durable_exit}, cut-off {self.cutoff_label} (lag {self.data_lag})</div>"
        )
        return head + self.summary.to_html(float_format=lambda x: f"{x:,.0f}", na_rep="")

    def __repr__(self) -> str:
        return (
            f"Cohort(case_id={self.case_id!r}, persons={len(self.persons)}, cutoff={self.cutoff_label!r}, "
            f"comparison={self.comparison!r}, curve={self.curve!r})"
        )

    def curves(self, **kwargs: object):
        """First-exit Kaplan-Meier curves of both groups (``kaplan_meier_by`` on ``persons``)."""
        from survival_invest.estimate import kaplan_meier_by

        p = self.persons
        return kaplan_meier_by(p["duration"], p["event"], p["group"], **kwargs)  # type: ignore[arg-type]

    def with_persons(self, table: pd.DataFrame, *, missing: Literal["unknown", "error"] = "unknown") -> Cohort:
        """This cohort with baseline covariates from a person table: ``age``, ``age_band``, ``sex``.

        See :func:`attach_persons` for the rules. The summary gets the rows
        ``person_table_missing`` (persons absent from the table, per group) and
        ``person_table_birth_year_only`` (ages from a year of birth only).
        """
        persons, counts = attach_persons(self.persons, table, self.frequency, missing=missing, case_id=self.case_id)
        rows = pd.DataFrame(
            {g: [float(counts[item][g]) for item in counts] for g in ("comparison", "intervention")}, index=list(counts)
        )
        rows["all"] = rows["comparison"] + rows["intervention"]
        summary = pd.concat([self.summary.drop(index=list(counts), errors="ignore"), rows])
        summary.index.name = "item"
        return replace(self, persons=persons, summary=summary)

    def occupancy(self) -> pd.DataFrame:
        """Occupancy curve: share on support at ``t`` among those still followed at ``t``.

        Returns
        -------
        DataFrame with ``group, t, followed, on_support, share``: ``followed`` =
        persons observed at ``t`` (``followed > t``), ``on_support`` = sum of
        their on-support shares at ``t``; ``share = on_support / followed``.
        Counts every period on support, returns after an exit included.
        """
        p = self.persons
        groups = np.array(["comparison", "intervention"])
        g = (p["group"].to_numpy() == "intervention").astype(np.int64)
        length = int(p["followed"].max())
        # followed at t: persons with followed > t  -> reverse cumulative count
        ends = np.bincount(g * length + (p["followed"].to_numpy() - 1), minlength=2 * length).reshape(2, length)
        followed = np.cumsum(ends[:, ::-1], axis=1)[:, ::-1]
        sm = self.status["member"].to_numpy()
        on = np.bincount(
            g[sm] * length + self.status["t"].to_numpy(), weights=self.status["share"].to_numpy(), minlength=2 * length
        ).reshape(2, length)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(followed > 0, on / np.maximum(followed, 1), np.nan)
        out = pd.DataFrame(
            {
                "group": np.repeat(groups, length),
                "t": np.tile(np.arange(length), 2),
                "followed": followed.reshape(-1),
                "on_support": on.reshape(-1),
                "share": share.reshape(-1),
            }
        )
        return out[out["followed"] > 0].reset_index(drop=True)


#: Age bands at entry (years; lower limits) for ``age_band``; persons absent from the table are "unknown".
AGE_BANDS = (25, 35, 45, 55)
AGE_LABELS = ("<25", "25-34", "35-44", "45-54", "55+")


def entry_dates(entry: np.ndarray, frequency: Frequency) -> np.ndarray:
    """First day of each entry period (the month's 1st, or the ISO week's Monday) as ``datetime64[D]``."""
    e = np.asarray(entry, dtype=np.int64)
    if frequency == "month":
        return (e - 1970 * 12).astype("datetime64[M]").astype("datetime64[D]")
    return np.datetime64("1970-01-05", "D") + e * 7


def attach_persons(
    persons: pd.DataFrame,
    table: pd.DataFrame,
    frequency: Frequency,
    *,
    missing: Literal["unknown", "error"] = "unknown",
    case_id: str = "",
) -> tuple[pd.DataFrame, dict[str, dict[str, int]]]:
    """Join a person table (:func:`survival_invest.io.readers.read_persons`) to a cohort's persons.

    Rules
    -----
    * ``age``: years from the date of birth to the first day of the entry
      period (days / 365.25); a year of birth alone is dated 1 July.
      ``age_band``: ``<25, 25-34, 35-44, 45-54, 55+`` (an ordered categorical).
    * ``sex``: ``"female"`` / ``"male"``.
    * A person of the cohort who is **absent from the table** is kept, with
      ``sex = "unknown"``, ``age_band = "unknown"`` and ``age`` missing (NaN),
      and counted per group (``missing="unknown"``, the default: an explicit
      category rather than a silent drop, so the balance table and the
      propensity model show how many there are); with ``missing="error"`` any
      absent person is a :class:`CohortError` giving the counts.
      :func:`survival_invest.balance.baseline_covariates` then uses
      ``age_band`` instead of ``age``.
    * Rows of the table for persons outside the cohort are ignored.

    Returns
    -------
    (persons, counts)
        The persons with the three columns (replacing earlier ones) and
        ``counts[item][group]`` for ``person_table_missing`` and
        ``person_table_birth_year_only``.
    """
    from survival_invest.io.readers import persons_from_frame

    if missing not in ("unknown", "error"):
        raise CohortError(f"missing must be 'unknown' or 'error'; got {missing!r}.")
    if "birth_date_imputed" not in table.columns:
        table = persons_from_frame(table, source=str(table.attrs.get("source", "<DataFrame>")))
    src = table.attrs.get("source", "the person table")
    pos = pd.Index(table["person_id"].astype(str)).get_indexer(persons["person_id"].astype(str))
    found = pos >= 0
    idx = np.where(found, pos, len(table))  # one extra slot for "absent" (also when the table is empty)
    imputed = np.append(table["birth_date_imputed"].to_numpy(dtype=bool), False)[idx]
    birth = np.append(table["birth_date"].to_numpy(dtype="datetime64[D]"), np.datetime64("NaT", "D"))[idx]
    sex = np.append(table["sex"].to_numpy(dtype=object), "unknown")[idx]
    group = persons["group"].to_numpy()
    counts = {
        "person_table_missing": {g: int((~found & (group == g)).sum()) for g in ("comparison", "intervention")},
        "person_table_birth_year_only": {
            g: int((imputed & (group == g)).sum()) for g in ("comparison", "intervention")
        },
    }
    if missing == "error" and not found.all():
        c = counts["person_table_missing"]
        raise CohortError(
            f"case {case_id!r}: {int((~found).sum())} of {len(found)} persons of the cohort are not in {src} "
            f"({c['comparison']} comparison, {c['intervention']} intervention); add them to the table, or pass "
            "missing='unknown' to keep them with age and sex 'unknown'."
        )
    with np.errstate(invalid="ignore"):
        days = (entry_dates(persons["entry"].to_numpy(), frequency) - birth).astype(np.float64)
    age = np.where(found, days / 365.25, np.nan)
    band = np.asarray(AGE_LABELS, dtype=object)[
        np.searchsorted(np.asarray(AGE_BANDS), np.nan_to_num(age), side="right")
    ]
    out = persons.drop(columns=["age", "age_band", "sex"], errors="ignore").copy()
    out["age"] = age
    out["age_band"] = pd.Categorical(
        np.where(found, band, "unknown"), categories=(*AGE_LABELS, "unknown"), ordered=True
    )
    out["sex"] = pd.Series(sex, index=out.index, dtype="string")
    return out, counts


def _ragged_join(
    row_person: np.ndarray, row_period: np.ndarray, m_person: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each member, the spell rows of its person with ``lo <= period <= hi``.

    Spell rows must be sorted by (person, period). Returns (member index, row
    index) pairs, sorted by member then period. One global ``searchsorted`` on
    combined integer keys, then a ragged ``arange`` expansion.
    """
    base = int(min(row_period.min(initial=0), lo.min(initial=0))) - 1
    span = int(max(row_period.max(initial=0), hi.max(initial=0))) - base + 2
    keys = row_person.astype(np.int64)  # built in place: one allocation at 10^8 rows
    keys *= span
    keys += row_period
    keys -= base
    mkey = m_person.astype(np.int64) * span - base
    start = np.searchsorted(keys, mkey + lo, side="left")
    stop = np.searchsorted(keys, mkey + hi, side="right")
    del keys
    counts = np.maximum(stop - start, 0)
    total = int(counts.sum())
    idx_type = np.int32 if max(total, row_person.shape[0], m_person.shape[0]) < 2**31 - 1 else np.int64
    member, row = ragged_arange(counts, idx_type)
    row += start.astype(idx_type)[member]
    return member, row


def _run_starts(m: np.ndarray) -> np.ndarray:
    """Positions where a sorted member array starts a new run."""
    if m.size == 0:
        return np.zeros(0, dtype=np.int64)
    start = np.empty(m.shape[0], dtype=bool)
    start[0] = True
    np.not_equal(m[1:], m[:-1], out=start[1:])
    return np.flatnonzero(start)


#: "No such period" for integer period arithmetic (far beyond any real duration).
NEVER = np.int64(1) << 40


def _first_per_member(member: np.ndarray, mask: np.ndarray | None, values: np.ndarray, n: int, fill: int) -> np.ndarray:
    """First ``values`` per member among rows where ``mask`` (rows sorted by member; O(rows), no sort)."""
    out = np.full(n, fill, dtype=np.int64)
    m = member if mask is None else member[mask]
    v = values if mask is None else values[mask]
    first = _run_starts(m)
    out[m[first]] = v[first]
    return out


def _last_per_member(member: np.ndarray, mask: np.ndarray | None, values: np.ndarray, n: int, fill: int) -> np.ndarray:
    """Last ``values`` per member among rows where ``mask`` (rows sorted by member)."""
    out = np.full(n, fill, dtype=np.int64)
    m = member if mask is None else member[mask]
    if m.size:
        v = values if mask is None else values[mask]
        last = np.append(_run_starts(m)[1:] - 1, m.shape[0] - 1)
        out[m[last]] = v[last]
    return out


def _previous_within(member: np.ndarray, t: np.ndarray, first: int) -> np.ndarray:
    """The previous row's ``t`` within the same member, ``first`` at a member's first row."""
    prev = np.empty_like(t)
    if t.size:
        prev[1:] = t[:-1]
        prev[_run_starts(member)] = first
    return prev


def comparison_rows(
    memberships: pd.DataFrame, case_id: str, comparison: str, keys: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Row positions (into ``memberships``) of a case's comparison and intervention members, and notes.

    The comparison rules:

    * ``non_participants``: target rows of persons who are not in the case's
      intervention group;
    * ``target_all``: every target row, plus the intervention rows of
      participants missing from the target group (at their intervention entry);
    * ``matched``: every target row (the pool the controls are drawn from, see
      :mod:`survival_invest.matching`).

    ``keys``: integer person keys of all rows (:func:`survival_invest.io.ids.person_keys`),
    computed once when several cases are taken from the same table. Index
    arithmetic only: no copy of the (possibly national) table.
    """
    src = memberships.attrs.get("source", "memberships")
    in_case = (memberships["case_id"] == str(case_id)).to_numpy(dtype=bool, na_value=False)
    if not in_case.any():
        cases = sorted(memberships["case_id"].unique().tolist())
        raise CohortError(f"case {case_id!r}: no memberships in {src}; cases present: {cases[:20]}.")
    is_inter = (memberships["group"] == "intervention").to_numpy(dtype=bool, na_value=False)
    inter = np.flatnonzero(in_case & is_inter)
    target = np.flatnonzero(in_case & ~is_inter)
    if keys is None:
        k_target, k_inter = person_keys(memberships["person_id"].iloc[target], memberships["person_id"].iloc[inter])
    else:
        k_target, k_inter = keys[target], keys[inter]
    participant = np.isin(k_target, k_inter)
    notes = {"target_rows_of_participants": int(participant.sum())}
    if comparison == "non_participants":
        comp = target[~participant]
        notes["participants_left_out_of_comparison"] = int(participant.sum())
    elif comparison == "matched":
        comp = target
    else:
        missing = inter[~np.isin(k_inter, k_target)]
        comp = np.concatenate([target, missing])
        notes["participants_added_to_comparison_at_intervention_entry"] = len(missing)
    for name, rows in (("comparison", comp), ("intervention", inter)):
        if rows.size == 0:
            what = (
                "target group (the pool of matched controls)"
                if name == "comparison" and comparison == "matched"
                else f"{name} group"
            )
            raise CohortError(
                f"case {case_id!r}: the {what} is empty (comparison rule {comparison!r}); "
                f"check the 'group' column of {src}."
            )
    return comp, inter, notes


def _members(memberships: pd.DataFrame, case_id: str, comparison: str) -> tuple[pd.DataFrame, dict[str, int]]:
    """The case's comparison and intervention members with their entry periods (see :func:`comparison_rows`)."""
    comp, inter, notes = comparison_rows(memberships, case_id, comparison)
    rows = np.concatenate([comp, inter])
    out = memberships.iloc[rows][["person_id", "entry_period", "row"]].reset_index(drop=True)
    out.insert(1, "group", np.repeat(np.array(["comparison", "intervention"], dtype=object), [comp.size, inter.size]))
    return out, notes


@dataclass
class _Followed:
    """Per-member results of :func:`_follow` (arrays over members) and the on-support rows."""

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
        return self.no_spells | self.censored_at_entry | self.too_short


def _clock(freq: Frequency) -> tuple[int, int]:
    """(lookback, reset) in periods: 3 years back, a 52-week break resets the prior count."""
    return (36, 12) if freq == "month" else (156, 52)


def _prior_weeks(
    st: Status, member: np.ndarray, t: np.ndarray, on: np.ndarray, ridx: np.ndarray, n_m: int, freq: Frequency
) -> np.ndarray:
    """Weeks on support before entry (``t < 0``) since the last 52-week break within 3 years.

    ``member, t, on, ridx``: joined rows (sorted by member, then period) with
    ``t`` relative to the member's entry.
    """
    lookback, reset = _clock(freq)
    pr = t < 0
    pr &= on
    p_member, p_t = member[pr], t[pr]
    p_weeks = st.weeks_at(ridx[pr])
    del pr
    p_prev = _previous_within(p_member, p_t, -lookback - 1)
    brk = (p_t - p_prev - 1) >= reset
    del p_prev
    last_break = _last_per_member(p_member, brk, p_t, n_m, -NEVER)
    counted = p_t >= last_break[p_member]  # only the stretch after the last break counts
    prior = np.bincount(p_member[counted], weights=p_weeks[counted], minlength=n_m)
    last_prior = _last_per_member(p_member, None, p_t, n_m, -NEVER)
    prior[(-last_prior - 1) >= reset] = 0.0  # a 52-week break just before entry resets the count
    return prior


def _prior_only(st: Status, m_person: np.ndarray, entry: np.ndarray, freq: Frequency) -> np.ndarray:
    """Prior weeks of (person, entry) pairs without following them (for matching candidates)."""
    lookback, _ = _clock(freq)
    n_m = m_person.shape[0]
    member, ridx = _ragged_join(st.person, st.period, m_person, entry - lookback, entry - 1)
    t = st.period[ridx] - entry[member]
    return _prior_weeks(st, member, t, st.on[ridx], ridx, n_m, freq)


def _follow(
    st: Status,
    m_person: np.ndarray,
    entry: np.ndarray,
    cutoff: int,
    k: int,
    freq: Frequency,
    end: np.ndarray | None = None,
) -> _Followed:
    """Follow members from entry: exit, censoring, prior weeks, benefit at entry (module docstring rules).

    ``m_person``: position of each member's person in ``st.persons`` (-1 = no
    spell rows); ``entry``: entry period; ``end``: optional last period of
    follow-up per member (the period before a matched control's own
    participation start), censoring with reason ``participation_start``.
    """
    lookback, _ = _clock(freq)
    no_spells = m_person < 0
    n_m = entry.shape[0]
    member, ridx = _ragged_join(st.person, st.period, m_person, entry - lookback, np.full(n_m, cutoff))
    # Arrays over joined rows are the memory peak at 10^8 rows: each is deleted
    # as soon as it has served, and the order below is chosen for that.
    t = st.period[ridx]
    t -= entry[member]
    on = st.on[ridx]

    # follow-up end: cut-off, or the period before the first censor code at t >= 0 (or a given end)
    cens = st.censor[ridx]
    cens &= t >= 0
    t_c = _first_per_member(member, cens, t, n_m, NEVER)
    code_row = _first_per_member(member, cens, ridx, n_m, -1)
    del cens
    cap_part = NEVER if end is None else end.astype(np.int64) - entry
    obs_end = np.minimum(np.minimum(cutoff - entry.astype(np.int64), t_c - 1), cap_part).astype(np.int32)

    prior = _prior_weeks(st, member, t, on, ridx, n_m, freq)

    # benefit at entry: the on-support code at the latest t <= 0
    at_or_before = t <= 0
    at_or_before &= on
    b_idx = _last_per_member(member, at_or_before, ridx, n_m, -1)
    del at_or_before

    # on-support periods within follow-up: 0 <= t <= obs_end
    sel = t >= 0
    sel &= on
    del on
    end_of = obs_end[member]
    sel &= t <= end_of
    del end_of
    f_member, f_t, f_ridx = member[sel], t[sel], ridx[sel]
    del member, t, ridx, sel

    # exit: the first gap of >= k periods between on-support periods (the first gap starts at t = -1)
    prev_t = _previous_within(f_member, f_t, -1)
    cand = (f_t - prev_t - 1) >= k
    exit_mid = _first_per_member(f_member, cand, prev_t + 1, n_m, NEVER)
    del prev_t, cand
    last_on = _last_per_member(f_member, None, f_t, n_m, -1)
    exit_end = np.where(obs_end - last_on >= k, last_on + 1, NEVER)
    exit_t = np.minimum(exit_mid, exit_end)
    event = exit_t < NEVER
    duration = np.where(event, exit_t, last_on)

    censored_at_entry = ~no_spells & (t_c == 0)
    too_short = ~no_spells & ~censored_at_entry & ~event & (duration < 0)

    # censoring reason: a code, the member's own participation start (matched controls), or the cut-off
    by_code = ~event & (t_c < NEVER) & (t_c <= cutoff - entry) & (t_c - 1 <= cap_part)
    by_part = ~event & ~by_code & (cap_part < cutoff - entry)
    reason = np.where(event, "", "cut_off").astype(object)
    reason[by_part] = "participation_start"
    if by_code.any():
        c = st.code[code_row[by_code]]
        lab = pd.Series(st.code_label[c]).fillna("").astype(str).to_numpy()
        reason[by_code] = "code " + st.codes[c].astype(str) + ": " + lab

    has_b = b_idx >= 0
    b_code = st.code[np.maximum(b_idx, 0)]
    return _Followed(
        duration=duration,
        event=event,
        reason=reason,
        prior=prior,
        followed=(obs_end + 1).astype(np.int64),
        benefit=np.where(has_b, st.codes[b_code], pd.NA),
        benefit_group=np.where(has_b, st.code_group[b_code], pd.NA),
        no_spells=no_spells,
        censored_at_entry=censored_at_entry,
        too_short=too_short,
        by_code=by_code,
        by_participation=by_part,
        f_member=f_member,
        f_t=f_t,
        f_ridx=f_ridx,
    )


def _assemble(
    members: pd.DataFrame, entry: np.ndarray, fol: _Followed, st: Status, freq: Frequency
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """``persons`` and ``status`` frames of the members not excluded; also the kept mask."""
    keep_m = ~fol.excluded
    persons = pd.DataFrame(
        {
            "person_id": members["person_id"].to_numpy(),
            "group": members["group"].to_numpy(),
            "entry_period": period_label(entry, freq),
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


def _person_positions(st: Status, ids: pd.Series) -> np.ndarray:
    """Position of each id in ``st.persons`` (-1 when the person has no spell rows)."""
    if st.persons.dtype.kind in "iuf":
        ids = pd.to_numeric(ids, errors="coerce")
    return st.persons.get_indexer(ids)


def refuse_late_entries(
    members: pd.DataFrame, memberships: pd.DataFrame, case_id: str, freq: Frequency, as_of: int, data_lag: int
) -> None:
    """Raise :class:`ExtractError` naming the memberships rows whose entry lies after the cut-off ``as_of - data_lag``."""
    cutoff = as_of - data_lag
    late = members["entry_period"].to_numpy() > cutoff
    if late.any():
        mask = np.zeros(int(memberships["row"].max()), dtype=bool)
        mask[members["row"].to_numpy()[late] - 1] = True
        first = members.loc[late, "entry_period"].iloc[0]
        msrc = memberships.attrs.get("source", "memberships")
        raise ExtractError(
            f"{msrc}: column 'entry_period', {_rows_text(mask)} (case {case_id!r}): entry "
            f"{period_label(int(first), freq)} is after the data cut-off {period_label(cutoff, freq)} "
            f"(as-of {period_label(as_of, freq)} minus a lag of {data_lag}); remove those rows or run a later month."
        )


def refuse_short_extract(source: str, last: int, freq: Frequency, as_of: int, data_lag: int) -> None:
    """Raise :class:`ExtractError` when the extract ends (``last``) before the cut-off: missing periods would look like exits."""
    cutoff = as_of - data_lag
    if cutoff > last:
        raise ExtractError(
            f"{source}: column 'period': the extract ends {period_label(last, freq)} but the "
            f"cut-off is {period_label(cutoff, freq)} (as-of {period_label(as_of, freq)} minus a lag of {data_lag}); "
            "the missing newest periods would look like exits from support. Run an earlier as-of month, raise the "
            "data lag, or use a newer extract."
        )


def build_cohort(
    spells: Spells | pd.DataFrame,
    memberships: pd.DataFrame,
    *,
    case_id: str,
    as_of: str | int,
    data_lag: int = 0,
    durable_exit: int = 1,
    classification: pd.DataFrame | None = None,
    comparison: Literal["non_participants", "target_all", "matched"] = "non_participants",
    curve: Literal["first_exit", "occupancy"] = "first_exit",
    month_rule: Literal["any", "majority", "all"] = "any",
    status: Status | None = None,
    matching: Matching | None = None,
) -> Cohort:
    """Build the cohort of one case: per person entry, duration, exit and censoring.

    Parameters
    ----------
    spells : Spells or DataFrame
        From :func:`survival_invest.read_spells` (or a long DataFrame).
    memberships : DataFrame
        From :func:`survival_invest.read_memberships`; its frequency is the
        analysis frequency (weekly spells are rolled up to months for monthly
        memberships).
    case_id : str
    as_of : str or int
        The run's as-of period (``YYYY-MM`` or ``YYYY-Www``, or a period number).
    data_lag : int
        Periods of data lag; the cut-off (last complete period) is ``as_of - data_lag``.
    durable_exit : int
        Consecutive periods off support needed for an exit (1 = any period off).
    classification : DataFrame, optional
        ``code, class`` table; default the shipped DREAM list.
    comparison : {"non_participants", "target_all", "matched"}
        See the module docstring for the entry rules.
    curve : {"first_exit", "occupancy"}
        The case's curve definition (recorded; both are available on the cohort).
    month_rule : {"any", "majority", "all"}
        When weekly data make a month "on support" (see :func:`survival_invest.status.spell_status`).
    status : Status, optional
        ``spell_status(spells, classification, frequency, month_rule)`` computed
        once and shared by several cases of the same extract (saves classifying
        the extract again for every case); ``spells`` is then only used for its
        name and exclusion counts.
    matching : Matching, optional
        Ratio, prior-duration bands and seed of ``comparison="matched"``
        (default ``Matching()``: 1:2, bands 0-12, 13-25, 26-51, 52-103, 104+
        weeks, seed 0); only with that comparison.

    Returns
    -------
    Cohort

    Raises
    ------
    ExtractError
        Unknown codes (listed with row counts), entry periods after the cut-off
        (memberships rows named).
    CohortError
        Unknown case, empty group, bad settings.
    """
    if comparison not in COMPARISONS:
        raise CohortError(f"comparison must be one of {list(COMPARISONS)}; got {comparison!r}.")
    if curve not in CURVES:
        raise CohortError(f"curve must be one of {list(CURVES)}; got {curve!r}.")
    if month_rule not in MONTH_RULES:
        raise CohortError(f"month_rule must be one of {list(MONTH_RULES)}; got {month_rule!r}.")
    if not isinstance(durable_exit, (int, np.integer)) or durable_exit < 1:
        raise CohortError(f"durable_exit must be a whole number of periods >= 1; got {durable_exit!r}.")
    if not isinstance(data_lag, (int, np.integer)) or data_lag < 0:
        raise CohortError(f"data_lag must be a whole number of periods >= 0; got {data_lag!r}.")
    if matching is not None and comparison != "matched":
        raise CohortError(f"matching settings are only used with comparison='matched'; got comparison={comparison!r}.")
    if comparison == "matched" and matching is None:
        matching = Matching()
    if matching is not None and not isinstance(matching, Matching):
        raise CohortError(f"matching must be a survival_invest.matching.Matching; got {type(matching).__name__}.")
    if isinstance(spells, pd.DataFrame):
        spells = spells_from_frame(spells)
    if "row" not in memberships.columns or "frequency" not in memberships.attrs:
        memberships = memberships_from_frame(memberships)
    freq: Frequency = memberships.attrs["frequency"]
    classification = default_classification() if classification is None else classification
    try:
        as_of_p = parse_as_of(as_of, freq)
    except ValueError as exc:
        raise CohortError(f"as_of: {exc}") from exc
    cutoff = as_of_p - int(data_lag)
    k = int(durable_exit)

    members, notes = _members(memberships, str(case_id), comparison)
    refuse_late_entries(members, memberships, str(case_id), freq, as_of_p, int(data_lag))

    st = spell_status(spells, classification, freq, month_rule) if status is None else status
    if st.frequency != freq:
        raise CohortError(f"the given status is by {st.frequency} but the memberships are by {freq}.")
    if st.period.size:
        refuse_short_extract(spells.source, int(st.period.max()), freq, as_of_p, int(data_lag))
    m_person = _person_positions(st, members["person_id"])
    entry = members["entry_period"].to_numpy().astype(np.int32)
    if matching is not None:  # comparison == "matched"
        members, entry, fol, summary_members, excluded, extra = _matched(
            members, m_person, entry, st, cutoff, k, freq, matching, case_id
        )
    else:
        fol = _follow(st, m_person, entry, cutoff, k, freq)
        excluded = {
            "excluded_no_spell_data": fol.no_spells,
            "excluded_censored_at_entry": fol.censored_at_entry,
            "excluded_too_short_for_durable_exit": fol.too_short,
        }
        summary_members, extra = members, {}
    persons, status_frame, keep_m = _assemble(members, entry, fol, st, freq)
    if matching is not None:
        bands = np.asarray(band_labels(matching.prior_bands))
        persons["prior_band"] = pd.Series(
            bands[prior_band(persons["prior_weeks"].to_numpy(), matching.prior_bands)], dtype="string"
        )
        persons["matched_set"] = members["matched_set"].to_numpy()[keep_m]

    summary = _summary(
        summary_members,
        persons,
        status_frame,
        excluded,
        fol.by_code[keep_m],
        fol.by_participation[keep_m],
        notes,
        spells,
        st,
        cutoff,
        extra,
        matched=matching is not None,
    )
    log.info("case %s: %d persons, cut-off %s", case_id, len(persons), period_label(cutoff, freq))
    return Cohort(
        str(case_id),
        persons,
        status_frame,
        summary,
        freq,
        cutoff,
        as_of_p,
        int(data_lag),
        k,
        comparison,
        curve,
        matching,
    )


def _matched(
    members: pd.DataFrame,
    m_person: np.ndarray,
    entry: np.ndarray,
    st: Status,
    cutoff: int,
    k: int,
    freq: Frequency,
    matching: Matching,
    case_id: str,
) -> tuple[pd.DataFrame, np.ndarray, _Followed, pd.DataFrame, dict[str, np.ndarray], dict[str, tuple[int, int]]]:
    """Participants and their sequentially matched controls (rules in :mod:`survival_invest.matching`).

    Returns the members actually followed (controls first, then matched
    participants, with a ``matched_set`` column), their entry periods and
    follow-up, the summary's members (every control row, then every
    participant), the exclusion masks over those, and the matching counts
    (comparison, intervention) for the summary.
    """
    is_int = (members["group"] == "intervention").to_numpy()
    part, target = members[is_int].reset_index(drop=True), members[~is_int].reset_index(drop=True)
    p_person, p_entry = m_person[is_int], entry[is_int]
    t_person, t_entry = m_person[~is_int], entry[~is_int].astype(np.int64)

    # participants: followed as in every comparison rule (their keys and exclusions)
    fol_p = _follow(st, p_person, p_entry, cutoff, k, freq)
    ok_p = ~fol_p.excluded
    p_band = prior_band(fol_p.prior, matching.prior_bands)

    # the risk sets: target persons on support in a participant's entry month, not yet participants
    start_of = pd.Series(p_entry.astype(np.int64), index=part["person_id"].to_numpy())
    t_start = start_of.reindex(target["person_id"].to_numpy()).fillna(float(NEVER)).to_numpy().astype(np.int64)
    months = np.unique(p_entry[ok_p])
    c_target, c_row = eligible_pairs(st, t_person, t_entry, t_start, months)
    c_month = st.period[c_row].astype(np.int32)
    c_prior = _prior_only(st, t_person[c_target], c_month, freq)
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
    cand, who = cand[order], who[order]
    matched = n_ctrl > 0
    if not matched.any():
        raise CohortError(
            f"case {case_id!r}: none of the {p_idx.size} participants found a control (comparison 'matched': "
            f"{c_row.size} eligible (person, month) pairs, none with a participant's benefit group and prior band "
            f"{', '.join(band_labels(matching.prior_bands))} weeks); use wider prior_bands or another comparison."
        )
    controls = pd.DataFrame(
        {
            "person_id": target["person_id"].to_numpy()[c_target[cand]],
            "group": "comparison",
            "entry_period": c_month[cand].astype(np.int64),
            "row": target["row"].to_numpy()[c_target[cand]],
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
    ch_person = np.concatenate([t_person[c_target[cand]], p_person[kept_p]])
    ch_entry = np.concatenate([c_month[cand], p_entry[kept_p]]).astype(np.int32)
    ch_end = np.concatenate([t_start[c_target[cand]] - 1, np.full(kept_p.size, NEVER)])
    fol = _follow(st, ch_person, ch_entry, cutoff, k, freq, end=ch_end)

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
    per_part = np.bincount(n_ctrl, minlength=matching.ratio + 1)
    extra = {
        "matching_candidate_pairs": (c_row.size, 0),
        "matching_candidate_persons": (np.unique(c_target).size, 0),
        "matching_controls": (n_c, 0),
        "matching_control_persons": (np.unique(c_target[cand]).size, 0),
        "matching_controls_later_participants": (int((t_start[c_target[cand]] < NEVER).sum()), 0),
        "matching_participants_matched": (0, int(matched.sum())),
    }
    for j in range(matching.ratio + 1):  # k + 1 summary rows, not a loop over persons
        extra[f"matching_participants_with_{j}_controls"] = (0, int(per_part[j]))
    log.info(
        "case %s matched: %d of %d participants found a control (%d controls from %d eligible pairs)",
        case_id,
        int(matched.sum()),
        p_idx.size,
        n_c,
        c_row.size,
    )
    return chosen, ch_entry, fol, summary_members, excluded, extra


def _summary(
    members: pd.DataFrame,
    persons: pd.DataFrame,
    status: pd.DataFrame,
    excluded: dict[str, np.ndarray],
    by_code: np.ndarray,
    by_participation: np.ndarray,
    notes: dict[str, int],
    spells: Spells,
    st: Status,
    cutoff: int,
    extra_rows: dict[str, tuple[int, int]],
    *,
    matched: bool = False,
) -> pd.DataFrame:
    """Counts per group; nothing leaves the cohort without a line here."""
    groups = ["comparison", "intervention"]
    mg = members["group"].to_numpy()
    pg = persons["group"].to_numpy()
    p_int = (pg == "intervention").astype(np.int64)
    on_by_group = np.bincount(p_int[status["member"].to_numpy()], weights=status["share"].to_numpy(), minlength=2)
    items: dict[str, list[float]] = {}

    def per_group(values_by_group) -> list[float]:
        vals = [float(values_by_group(g)) for g in groups]
        return [*vals, sum(vals)]

    items["memberships"] = per_group(lambda g: (mg == g).sum())
    for name, mask in excluded.items():
        items[name] = per_group(lambda g, mask=mask: (mask & (mg == g)).sum())
    items["persons"] = per_group(lambda g: (pg == g).sum())
    items["off_support_at_entry"] = per_group(
        lambda g: ((persons["duration"] == 0) & (persons["event"] == 1) & (pg == g)).sum()
    )
    items["person_periods_on_support"] = per_group(lambda g: on_by_group[groups.index(g)])
    items["person_periods_followed"] = per_group(lambda g: persons["followed"].to_numpy()[pg == g].sum())
    items["events"] = per_group(lambda g: persons["event"].to_numpy()[pg == g].sum())
    ev = persons["event"].to_numpy() == 1
    items["censored_cut_off"] = per_group(lambda g: (~ev & ~by_code & ~by_participation & (pg == g)).sum())
    items["censored_code"] = per_group(lambda g: (by_code & (pg == g)).sum())
    if matched:
        items["censored_participation_start"] = per_group(lambda g: (by_participation & (pg == g)).sum())
    for name, (c, i) in extra_rows.items():
        items[name] = [float(c), float(i), float(c + i)]
    out = pd.DataFrame.from_dict(items, orient="index", columns=[*groups, "all"])
    extra = {f"memberships_note_{k}": v for k, v in notes.items()}
    for reason, n in zip(spells.excluded["reason"], spells.excluded["rows"], strict=True):
        extra[f"extract_rows_removed_{reason}"] = n
    extra["extract_periods_after_cut_off"] = int((st.period > cutoff).sum())
    add = pd.DataFrame({"comparison": np.nan, "intervention": np.nan, "all": list(extra.values())}, index=list(extra))
    out = pd.concat([out, add])
    out.index.name = "item"
    return out
