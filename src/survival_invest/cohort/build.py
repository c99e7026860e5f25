"""Memberships + spells -> the cohort of one case: per person entry, duration, exit and censoring.

:func:`build_cohort` is the entry point and :class:`Cohort` its result. The
rules live next to the code that applies them:

* comparison groups, the prior-duration clock and the cut-off refusals:
  :mod:`survival_invest.cohort.rules`;
* the duration clock (exit, censoring, exclusions): :mod:`survival_invest.cohort.follow`;
* the week-to-month rule, what the month rule decides (the exit clock only),
  and the classification of codes: :mod:`survival_invest.cohort.status`;
* sequential matching: :mod:`survival_invest.cohort.matching` (rules) and
  :mod:`survival_invest.cohort.matched` (the matched cohort);
* the summary counts: :mod:`survival_invest.cohort.summary`;
* baseline covariates from a person table: :mod:`survival_invest.cohort.persons`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from survival_invest.choices import COMPARISONS, CURVES, MONTH_RULES, Comparison, Curve, MonthRule
from survival_invest.cohort.destinations import exit_destinations
from survival_invest.cohort.follow import Followed, assemble, follow, person_positions
from survival_invest.cohort.matched import matched_members
from survival_invest.cohort.matching import Matching, band_labels, prior_band
from survival_invest.cohort.persons import attach_persons
from survival_invest.cohort.rules import case_members, refuse_late_entries, refuse_short_extract, refuse_unfollowed
from survival_invest.cohort.status import Status, spell_status
from survival_invest.cohort.summary import summary_table
from survival_invest.errors import CohortError
from survival_invest.estimate import SurvivalCurves, kaplan_meier_by
from survival_invest.io.periods import Frequency, RunClock, period_label
from survival_invest.io.readers import Spells, default_classification, memberships_from_frame, spells_from_frame

__all__ = ["Cohort", "build_cohort"]

log = logging.getLogger(__name__)


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
        ``benefit`` and ``benefit_group`` at entry, ``destination`` at exit
        (``job``/``education``/``flex_job``/``other``, missing when censored:
        :mod:`survival_invest.cohort.destinations`). Matched cohorts add
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
        as a period number, from :attr:`clock`).
    matching : Matching or None
        The matching settings of a ``"matched"`` cohort.
    source_frequency : {"month", "week"}
        The extract's declared frequency (``Spells.frequency``, carried by the
        :class:`~survival_invest.cohort.status.Status`): weekly data analysed by
        month count support in weeks, and the refusion staircase steps 1 week
        per source week (52/12 per source month). Never inferred from the data.
    month_rule : {"any", "majority", "all"}
        When a month rolled up from weeks is on support for the exit clock; it
        decides nothing else (:mod:`survival_invest.cohort.status`).
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
    comparison: Comparison
    curve: Curve
    matching: Matching | None = None
    source_frequency: Frequency = "month"
    month_rule: MonthRule = "any"

    @property
    def clock(self) -> RunClock:
        """The run clock the cohort was built with (as-of, lag, frequency; its ``cutoff`` is :attr:`cutoff`)."""
        return RunClock(self.as_of, self.data_lag, self.frequency)

    @property
    def cutoff_label(self) -> str:
        """The cut-off as a label (``YYYY-MM`` or ``YYYY-Www``)."""
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

    def curves(self, **kwargs: Any) -> SurvivalCurves:
        """First-exit Kaplan-Meier curves of both groups (``kaplan_meier_by`` on ``persons``; ``kwargs`` pass on)."""
        p = self.persons
        return kaplan_meier_by(p["duration"], p["event"], p["group"], **kwargs)

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


def _checked_settings(
    comparison: str, curve: str, month_rule: str, durable_exit: int, matching: Matching | None
) -> Matching | None:
    """Validate the choices of :func:`build_cohort`; the matching settings to use (None unless matched)."""
    if comparison not in COMPARISONS:
        raise CohortError(f"comparison must be one of {list(COMPARISONS)}; got {comparison!r}.")
    if curve not in CURVES:
        raise CohortError(f"curve must be one of {list(CURVES)}; got {curve!r}.")
    if month_rule not in MONTH_RULES:
        raise CohortError(f"month_rule must be one of {list(MONTH_RULES)}; got {month_rule!r}.")
    if not isinstance(durable_exit, (int, np.integer)) or durable_exit < 1:
        raise CohortError(f"durable_exit must be a whole number of periods >= 1; got {durable_exit!r}.")
    if matching is not None and comparison != "matched":
        raise CohortError(f"matching settings are only used with comparison='matched'; got comparison={comparison!r}.")
    if comparison == "matched" and matching is None:
        matching = Matching()
    if matching is not None and not isinstance(matching, Matching):
        raise CohortError(f"matching must be a survival_invest.cohort.Matching; got {type(matching).__name__}.")
    return matching


def _classified(
    spells: Spells, classification: pd.DataFrame, month_rule: MonthRule, status: Status | None, clock: RunClock
) -> Status:
    """The extract classified for the case (or the shared ``status``, checked), refused when it ends too early.

    A shared status must be at the memberships' frequency and, for weeks
    rolled up to months, made with the case's month rule.
    """
    freq = clock.frequency
    st = spell_status(spells, classification, freq, month_rule) if status is None else status
    if st.frequency != freq:
        raise CohortError(f"the given status is by {st.frequency} but the memberships are by {freq}.")
    if st.rolled_up and st.month_rule != month_rule:
        raise CohortError(
            f"the given status was classified with month_rule={st.month_rule!r} but the case asks for "
            f"month_rule={month_rule!r}; classify the extract once per rule (spell_status(..., month_rule))."
        )
    if st.period.size:
        refuse_short_extract(spells.source, int(st.period.max()), clock)
    return st


def _run_clock(as_of: str | int | RunClock, data_lag: int | None, freq: Frequency) -> RunClock:
    """Parse the as-of once (a :class:`RunClock` passes through); errors as :class:`CohortError`."""
    if data_lag is None:
        data_lag = as_of.data_lag if isinstance(as_of, RunClock) else 0
    if not isinstance(data_lag, (int, np.integer)) or data_lag < 0:
        raise CohortError(f"data_lag must be a whole number of periods >= 0; got {data_lag!r}.")
    try:
        return RunClock.parse(as_of, int(data_lag), freq)
    except ValueError as exc:
        raise CohortError(f"as_of: {exc}") from exc


def _exclusions(fol: Followed) -> dict[str, np.ndarray]:
    """The exclusion masks of the summary (rows ``excluded_<reason>``)."""
    return {
        "excluded_no_spell_data": fol.no_spells,
        "excluded_censored_at_entry": fol.censored_at_entry,
        "excluded_too_short_for_durable_exit": fol.too_short,
    }


def _with_matched_columns(persons: pd.DataFrame, matched_set: np.ndarray, matching: Matching) -> pd.DataFrame:
    """Add ``prior_band`` (label of the prior-weeks band) and ``matched_set`` to a matched cohort's persons."""
    bands = np.asarray(band_labels(matching.prior_bands))
    persons["prior_band"] = pd.Series(
        bands[prior_band(persons["prior_weeks"].to_numpy(), matching.prior_bands)], dtype="string"
    )
    persons["matched_set"] = matched_set
    return persons


def build_cohort(
    spells: Spells | pd.DataFrame,
    memberships: pd.DataFrame,
    *,
    case_id: str,
    as_of: str | int | RunClock,
    data_lag: int | None = None,
    durable_exit: int = 1,
    classification: pd.DataFrame | None = None,
    comparison: Comparison = "non_participants",
    curve: Curve = "first_exit",
    month_rule: MonthRule = "any",
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
        The case (``case_id`` of the memberships).
    as_of : str, int or RunClock
        The run's as-of period (``YYYY-MM`` or ``YYYY-Www``, or a period
        number), or the run's :class:`~survival_invest.io.periods.RunClock`.
    data_lag : int, optional
        Periods of data lag; the cut-off (last complete period) is
        ``as_of - data_lag`` (:attr:`RunClock.cutoff`). Default 0, or the
        clock's lag when ``as_of`` is a RunClock (a different lag is an error).
    durable_exit : int
        Consecutive periods off support needed for an exit (1 = any period off).
    classification : DataFrame, optional
        ``code, class`` table; default the shipped DREAM list.
    comparison : {"non_participants", "target_all", "matched"}
        See :mod:`survival_invest.cohort.rules` for the entry rules.
    curve : {"first_exit", "occupancy"}
        The case's curve definition (recorded; both are available on the cohort).
    month_rule : {"any", "majority", "all"}
        When weekly data make a month "on support" for the exit clock (see
        :func:`survival_invest.cohort.status.spell_status`); the occupancy
        share, the prior weeks and the benefit at entry are read from the weeks
        under every rule.
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
    matching = _checked_settings(comparison, curve, month_rule, durable_exit, matching)
    if isinstance(spells, pd.DataFrame):
        spells = spells_from_frame(spells)
    if "row" not in memberships.columns or "frequency" not in memberships.attrs:
        memberships = memberships_from_frame(memberships)
    freq: Frequency = memberships.attrs["frequency"]
    classification = default_classification() if classification is None else classification
    clock = _run_clock(as_of, data_lag, freq)
    k = int(durable_exit)

    members, notes = case_members(memberships, str(case_id), comparison)
    refuse_late_entries(members, memberships, str(case_id), clock)
    st = _classified(spells, classification, month_rule, status, clock)
    m_person = person_positions(st, members["person_id"])
    sources = (str(memberships.attrs.get("source", "memberships")), spells.source)
    refuse_unfollowed(members, m_person < 0, spells.frame["person_id"], str(case_id), sources)
    entry = members["entry_period"].to_numpy().astype(np.int32)
    if matching is not None:  # comparison == "matched"
        members, entry, fol, summary_members, excluded, extra = matched_members(
            members, m_person, entry, st, clock.cutoff, k, freq, matching, case_id
        )
    else:
        fol = follow(st, m_person, entry, clock.cutoff, k, freq)
        summary_members, excluded, extra = members, _exclusions(fol), {}
    persons, status_frame, keep_m = assemble(members, entry, fol, st, freq)
    if matching is not None:
        persons = _with_matched_columns(persons, members["matched_set"].to_numpy()[keep_m], matching)
    persons["destination"] = exit_destinations(st, classification, persons)

    summary = summary_table(
        summary_members,
        persons,
        status_frame,
        excluded,
        fol.by_code[keep_m],
        fol.by_participation[keep_m],
        notes,
        spells,
        st,
        clock.cutoff,
        extra,
        matched=matching is not None,
    )
    log.info("case %s: cohort built, cut-off %s (head counts are not logged: min_persons)", case_id, clock.cutoff_label)
    return Cohort(
        str(case_id),
        persons,
        status_frame,
        summary,
        freq,
        clock.cutoff,
        clock.as_of,
        clock.data_lag,
        k,
        comparison,
        curve,
        matching,
        st.source_frequency,
        month_rule,
    )
