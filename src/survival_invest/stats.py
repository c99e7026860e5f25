"""Sufficient statistics of a case: the one boundary between reading data and estimating.

Everything the engine estimates depends on the person-period data only through
a few small count tables. An *engine* (in memory, DuckDB, Spark: see
:mod:`survival_invest.engines`) reads the extract and hands over four
**aggregates**, all integer counts, with the same columns from every engine:

``survival`` — ``case_id, group, t, events, censored``
    Per case, group and duration ``t``: persons whose first exit is at ``t``
    and persons censored at ``t``. Kaplan-Meier, Greenwood and the RMST need
    nothing else (:func:`survival_invest.estimate.kaplan_meier_from_counts`).

``lengths`` — ``case_id, group, entry, benefit_group, prior_periods, kind, length, n``
    ``n`` persons who entered in period ``entry`` and whose ``kind`` length is
    ``length`` periods, where ``kind`` is ``followed`` (periods observed from
    entry, ``t = 0 .. length-1``), and for participants also ``counted``
    (months counted by the first-exit realised savings: all followed months
    after an exit, up to the last month known on support when censored) and
    ``spell`` (of those, months still in the first spell). ``benefit_group``
    (``""`` when unknown) and ``prior_periods`` (source periods on support
    before entry, see below) are the keys the kroner need; they are ``""`` and
    ``-1`` for the comparison group, which needs neither.

``units`` — ``case_id, group, month, t, benefit_group, prior_periods, units``
    Per calendar period ``month = entry + t`` and duration ``t``: the support
    *units* of the persons followed then — weeks on support when weekly data
    are rolled up to months (the share of a month is units / weeks in the
    month, exact in integers), otherwise on-support periods.

``summary`` — ``case_id, group, item, n``
    Persons, events, censorings and every exclusion (nothing leaves a cohort
    without a count).

:func:`assemble` turns them into a :class:`CaseStatistics` per case: the
survival table, the occupancy table per (group, calendar month, duration) and
the participants' table per (calendar month, duration, benefit group, prior
periods) from which realised savings in full-time persons and kroner are sums
(:mod:`survival_invest.economics`). Because every engine delivers the same
integers, curves, areas and kroner are identical across engines, bit for bit.

``prior_periods`` is an integer count of *source* periods on support in the
stretch before entry (weeks for weekly data, months for monthly), so the
prior weeks of the refusion staircase are ``prior_periods * week_factor``
(1 or 52/12) without any floating-point sum that could differ between engines.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from survival_invest._arrays import ragged_arange
from survival_invest.errors import InputError
from survival_invest.io.periods import weeks_in_month

__all__ = [
    "AGGREGATE_COLUMNS",
    "GROUPS",
    "CaseStatistics",
    "assemble",
    "case_statistics",
    "cohort_aggregates",
]

GROUPS = ("comparison", "intervention")

AGGREGATE_COLUMNS: dict[str, list[str]] = {
    "survival": ["case_id", "group", "t", "events", "censored"],
    "lengths": ["case_id", "group", "entry", "benefit_group", "prior_periods", "kind", "length", "n"],
    "units": ["case_id", "group", "month", "t", "benefit_group", "prior_periods", "units"],
    "summary": ["case_id", "group", "item", "n"],
}

#: Summary items every engine reports, per group.
SUMMARY_ITEMS = (
    "memberships",
    "excluded_no_spell_data",
    "excluded_censored_at_entry",
    "excluded_too_short_for_durable_exit",
    "persons",
    "off_support_at_entry",
    "events",
    "censored_cut_off",
    "censored_code",
)

_KEY_COLUMNS = {
    "survival": ["case_id", "group", "t"],
    "lengths": ["case_id", "group", "entry", "benefit_group", "prior_periods", "kind", "length"],
    "units": ["case_id", "group", "month", "t", "benefit_group", "prior_periods"],
    "summary": ["case_id", "group", "item"],
}


def normalise_aggregates(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Put engine output in one canonical form: column order, dtypes, sorted rows, zero rows dropped.

    Rows with the same key are summed (an engine may deliver partial sums),
    and all-zero count rows are removed, so two engines' outputs are equal
    exactly when they carry the same information (``DataFrame.equals``).
    """
    out = {}
    for name, cols in AGGREGATE_COLUMNS.items():
        if name not in tables:
            raise InputError(f"engine output lacks the {name!r} table; it has {sorted(tables)}.")
        frame = tables[name]
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise InputError(f"engine output {name!r} lacks the columns {missing}; it has {list(frame.columns)}.")
        f = frame[cols].copy()
        keys = _KEY_COLUMNS[name]
        values = [c for c in cols if c not in keys]
        for c in keys:
            if c in ("case_id", "group", "benefit_group", "kind", "item"):
                f[c] = f[c].astype(object).where(f[c].notna(), "").astype(str)
            else:
                f[c] = f[c].astype(np.int64)
        for c in values:
            f[c] = f[c].astype(np.int64)
        f = f.groupby(keys, sort=True, as_index=False)[values].sum()
        nonzero = (f[values] != 0).any(axis=1) | (name == "summary")
        out[name] = f[nonzero].reset_index(drop=True)
    return out


def cohort_aggregates(cohort, *, source_frequency: str | None = None) -> dict[str, pd.DataFrame]:
    """The four aggregates of an in-memory :class:`~survival_invest.Cohort` (the in-memory engine).

    Parameters
    ----------
    cohort : Cohort
    source_frequency : {"month", "week"}, optional
        Frequency of the spells the cohort was built from. Weekly spells
        analysed by month count support in weeks; default: inferred (weekly
        when a monthly cohort has fractional on-support shares).
    """
    p = cohort.persons
    case = str(cohort.case_id)
    weekly_units = _weekly_units(cohort, source_frequency)
    week_factor = 1.0 if _source(cohort, source_frequency) == "week" else 52.0 / 12.0
    group = p["group"].to_numpy().astype(str)
    is_int = group == "intervention"
    entry = p["entry"].to_numpy().astype(np.int64)
    duration = p["duration"].to_numpy().astype(np.int64)
    event = p["event"].to_numpy().astype(bool)
    followed = p["followed"].to_numpy().astype(np.int64)
    prior = np.rint(p["prior_weeks"].to_numpy(dtype=np.float64) / week_factor).astype(np.int64)
    bg = p["benefit_group"].astype(object).where(p["benefit_group"].notna(), "").astype(str).to_numpy()
    bg = np.where(is_int, bg, "")
    prior = np.where(is_int, prior, -1)

    survival = pd.DataFrame(
        {
            "case_id": case,
            "group": group,
            "t": duration,
            "events": event.astype(np.int64),
            "censored": (~event).astype(np.int64),
        }
    )
    counted = np.where(event, followed, np.minimum(duration + 1, followed))
    spell = np.where(event, np.minimum(duration, counted), counted)
    base = pd.DataFrame({"case_id": case, "group": group, "entry": entry, "benefit_group": bg, "prior_periods": prior})
    parts = [base.assign(kind="followed", length=followed, n=1)]
    parts.append(base[is_int].assign(kind="counted", length=counted[is_int], n=1))
    parts.append(base[is_int].assign(kind="spell", length=spell[is_int], n=1))
    lengths = pd.concat(parts, ignore_index=True)

    st = cohort.status
    member = st["member"].to_numpy()
    t = st["t"].to_numpy().astype(np.int64)
    month = entry[member] + t
    share = st["share"].to_numpy(dtype=np.float64)
    units = np.rint(share * weeks_in_month(month)).astype(np.int64) if weekly_units else np.rint(share).astype(np.int64)
    # person-period sized: aggregate on integer keys first, attach the labels to the (small) result
    bg_codes, bg_labels = pd.factorize(bg)
    cells = pd.DataFrame(
        {
            "g": is_int[member].astype(np.int8),
            "month": month.astype(np.int32),
            "t": t.astype(np.int32),
            "bg": bg_codes[member].astype(np.int32),
            "prior_periods": prior[member].astype(np.int32),
            "units": units,
        },
        copy=False,
    )
    del member, t, month, share, units
    cells = cells.groupby(["g", "month", "t", "bg", "prior_periods"], sort=False, as_index=False)["units"].sum()
    units_frame = pd.DataFrame(
        {
            "case_id": case,
            "group": np.where(cells["g"].to_numpy() == 1, "intervention", "comparison"),
            "month": cells["month"].to_numpy(),
            "t": cells["t"].to_numpy(),
            "benefit_group": np.asarray(bg_labels, dtype=object)[cells["bg"].to_numpy()],
            "prior_periods": cells["prior_periods"].to_numpy(),
            "units": cells["units"].to_numpy(),
        }
    )
    del cells
    summary = cohort.summary
    rows = []
    for item in SUMMARY_ITEMS:
        for g in GROUPS:
            rows.append({"case_id": case, "group": g, "item": item, "n": int(summary.loc[item, g])})
    return normalise_aggregates(
        {"survival": survival, "lengths": lengths, "units": units_frame, "summary": pd.DataFrame(rows)}
    )


def _source(cohort, source_frequency: str | None) -> str:
    if source_frequency is not None:
        if source_frequency not in ("month", "week"):
            raise InputError(f"source_frequency must be 'month' or 'week'; got {source_frequency!r}.")
        return source_frequency
    if cohort.frequency == "week":
        return "week"
    share = cohort.status["share"].to_numpy()
    return "week" if np.any((share != 0.0) & (share != 1.0)) else "month"


def _weekly_units(cohort, source_frequency: str | None) -> bool:
    return cohort.frequency == "month" and _source(cohort, source_frequency) == "week"


@dataclass(frozen=True)
class CaseStatistics:
    """The sufficient statistics of one case, ready for estimation.

    Attributes
    ----------
    case_id : str
    survival : DataFrame
        ``group, t, events, censored`` (integers).
    occupancy : DataFrame
        ``group, month, t, followed, units, share_sum``: persons followed at
        duration ``t`` in calendar period ``month`` and their summed on-support
        share (``units / denominator``, the denominator being the weeks in the
        month when weeks are rolled up, else 1).
    participants : DataFrame
        Intervention group only: ``month, t, benefit_group, prior_periods,
        followed, counted, in_spell, units, share_sum``.
    entrants : DataFrame
        Intervention group at ``t = 0``: ``entry, benefit_group, prior_periods, n``.
    summary : DataFrame
        Items (rows) by ``comparison, intervention, all``.
    week_factor : float
        Weeks per source period (1 for weekly data, 52/12 for monthly).
    weekly_units : bool
        Whether ``units`` are weeks of months rolled up from weekly data.
    """

    case_id: str
    survival: pd.DataFrame
    occupancy: pd.DataFrame
    participants: pd.DataFrame
    entrants: pd.DataFrame
    summary: pd.DataFrame
    week_factor: float
    weekly_units: bool
    _curves: dict = field(default_factory=dict, repr=False, compare=False)

    def curves(self, *, alpha: float = 0.05, ci: str = "log-log"):
        """First-exit Kaplan-Meier curves of both groups, from the survival table (cached)."""
        from survival_invest.estimate import kaplan_meier_from_counts

        key = (alpha, ci)
        if key not in self._curves:
            self._curves[key] = kaplan_meier_from_counts(self.survival, alpha=alpha, ci=ci)
        return self._curves[key]

    def persons(self, group: str) -> int:
        """Persons of a group in the cohort."""
        s = self.survival
        rows = s[s["group"] == group]
        return int(rows["events"].sum() + rows["censored"].sum())

    @property
    def first_entry(self) -> int:
        """Earliest entry period of anyone in the cohort (from the occupancy table: ``month - t`` at ``t = 0``)."""
        o = self.occupancy
        return int(o.loc[o["t"] == 0, "month"].min())

    def occupancy_curve(self) -> pd.DataFrame:
        """``group, t, followed, on_support, share`` as :meth:`survival_invest.Cohort.occupancy`."""
        o = self.occupancy.groupby(["group", "t"], as_index=False)[["followed", "share_sum"]].sum()
        o = o.rename(columns={"share_sum": "on_support"})
        o["share"] = o["on_support"] / o["followed"]
        return o[o["followed"] > 0].reset_index(drop=True)


def _expand(lengths: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Persons-with-length rows -> per (keys, t) counts of persons with ``length > t``."""
    length = lengths["length"].to_numpy().astype(np.int64)
    owner, t = ragged_arange(np.maximum(length, 0))
    out = lengths[keys].iloc[owner].reset_index(drop=True)
    out["t"] = t.astype(np.int64)
    out["n"] = lengths["n"].to_numpy()[owner]
    return out.groupby([*keys, "t"], as_index=False, sort=True)["n"].sum()


def assemble(
    aggregates: dict[str, pd.DataFrame], *, weekly_units: bool, week_factor: float
) -> dict[str, CaseStatistics]:
    """Engine aggregates (all cases) -> one :class:`CaseStatistics` per case.

    Parameters
    ----------
    aggregates : dict of DataFrame
        The four tables of the module docstring (any engine).
    weekly_units : bool
        Whether ``units`` are weeks of months rolled up from weekly spells.
    week_factor : float
        Weeks per source period.
    """
    agg = normalise_aggregates(aggregates)
    out: dict[str, CaseStatistics] = {}
    cases = pd.unique(agg["summary"]["case_id"])
    for case in cases:  # a handful of cases; each table is vectorised
        sel = {k: v[v["case_id"] == case].drop(columns="case_id") for k, v in agg.items()}
        survival = sel["survival"].reset_index(drop=True)
        lengths = sel["lengths"]
        units = sel["units"]
        if weekly_units and len(units):
            denom = weeks_in_month(units["month"].to_numpy()).astype(np.float64)
        else:
            denom = np.ones(len(units))
        units = units.assign(share_sum=units["units"].to_numpy() / denom)

        foll = lengths[lengths["kind"] == "followed"]
        occ = _expand(foll, ["group", "entry"])
        occ["month"] = occ["entry"] + occ["t"]
        occ = occ.groupby(["group", "month", "t"], as_index=False)["n"].sum().rename(columns={"n": "followed"})
        u_occ = units.groupby(["group", "month", "t"], as_index=False)[["units", "share_sum"]].sum()
        occupancy = occ.merge(u_occ, on=["group", "month", "t"], how="left", validate="one_to_one")
        occupancy[["units", "share_sum"]] = occupancy[["units", "share_sum"]].fillna(0)
        occupancy["units"] = occupancy["units"].astype(np.int64)

        keys = ["entry", "benefit_group", "prior_periods"]
        part_len = lengths[lengths["group"] == "intervention"]
        tables = []
        for kind in ("followed", "counted", "spell"):  # three fixed kinds
            e = _expand(part_len[part_len["kind"] == kind], keys).rename(columns={"n": kind})
            tables.append(e.set_index([*keys, "t"]))
        part = pd.concat(tables, axis=1).fillna(0).astype(np.int64).reset_index()
        part = part.rename(columns={"spell": "in_spell"})
        part["month"] = part["entry"] + part["t"]
        part = part.groupby(["month", "t", "benefit_group", "prior_periods"], as_index=False)[
            ["followed", "counted", "in_spell"]
        ].sum()
        u_part = (
            units[units["group"] == "intervention"]
            .groupby(["month", "t", "benefit_group", "prior_periods"], as_index=False)[["units", "share_sum"]]
            .sum()
        )
        participants = part.merge(
            u_part, on=["month", "t", "benefit_group", "prior_periods"], how="left", validate="one_to_one"
        )
        participants[["units", "share_sum"]] = participants[["units", "share_sum"]].fillna(0)
        participants["units"] = participants["units"].astype(np.int64)

        ent = part_len[part_len["kind"] == "followed"].groupby(keys, as_index=False)["n"].sum()

        s = sel["summary"].pivot_table(index="item", columns="group", values="n", aggfunc="sum", fill_value=0)
        s = s.reindex(index=list(SUMMARY_ITEMS), columns=list(GROUPS), fill_value=0)
        s["all"] = s["comparison"] + s["intervention"]
        s.columns.name = None
        out[str(case)] = CaseStatistics(
            str(case),
            survival,
            occupancy,
            participants,
            ent,
            s.astype(np.int64),
            float(week_factor),
            bool(weekly_units),
        )
    return out


def case_statistics(cohort, *, source_frequency: str | None = None) -> CaseStatistics:
    """The :class:`CaseStatistics` of one in-memory cohort (see :func:`cohort_aggregates`)."""
    agg = cohort_aggregates(cohort, source_frequency=source_frequency)
    src = _source(cohort, source_frequency)
    return assemble(
        agg, weekly_units=_weekly_units(cohort, source_frequency), week_factor=1.0 if src == "week" else 52.0 / 12.0
    )[str(cohort.case_id)]
