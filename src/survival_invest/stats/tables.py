"""The count tables every engine returns, their canonical form, and :class:`CaseStatistics` built from them.

The tables and their columns are described in :mod:`survival_invest.stats`;
:func:`normalise_aggregates` puts any engine's output in one canonical form and
:func:`assemble` turns the aggregates of all cases into one
:class:`CaseStatistics` per case.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from survival_invest._arrays import ragged_arange
from survival_invest.errors import InputError
from survival_invest.estimate import SurvivalCurves, kaplan_meier_from_counts
from survival_invest.io.periods import weeks_in_month

__all__ = [
    "AGGREGATE_COLUMNS",
    "GROUPS",
    "SUMMARY_ITEMS",
    "CaseStatistics",
    "assemble",
    "normalise_aggregates",
    "persons_followed",
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
    _curves: dict[tuple[float, str], SurvivalCurves] = field(default_factory=dict, repr=False, compare=False)

    def curves(self, *, alpha: float = 0.05, ci: str = "log-log") -> SurvivalCurves:
        """First-exit Kaplan-Meier curves of both groups, from the survival table (cached)."""
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


def persons_followed(lengths: pd.DataFrame, keys: list[str], kinds: tuple[str, ...] = ("n",)) -> pd.DataFrame:
    """Persons-with-length rows -> per (keys, t) the persons with ``length > t``, one column per kind.

    ``n(key, t) = sum of n over the key's rows with length > t`` for
    ``0 <= t < L_key`` (``L_key``: the key's longest length; a key whose
    lengths are all 0 gives no row), sorted by the keys and ``t``: the rows a
    ``groupby([*keys, "t"]).sum()`` of every row spread over its periods gives,
    computed without that spread. Each row's ``n`` goes to its last period
    ``t = length - 1`` of the key's block of ``L_key`` periods, and a
    cumulative sum from the block's end gives the persons still followed
    (``np.cumsum`` on the reversed array, less the sum beyond the block).

    Parameters
    ----------
    lengths : DataFrame
        ``keys``, ``length``, ``n`` and, with several ``kinds``, ``kind``.
    keys : list of str
    kinds : tuple of str
        ``("n",)``: every row, in the column ``n``; else the values of the
        ``kind`` column, one output column each (0 where a kind has no row).

    Returns
    -------
    DataFrame
        ``keys``, ``t`` and one int64 column per kind.
    """
    rows = lengths[lengths["length"].to_numpy() > 0]
    if kinds != ("n",):
        rows = rows[rows["kind"].isin(kinds).to_numpy()]
    length = rows["length"].to_numpy().astype(np.int64)
    n = rows["n"].to_numpy().astype(np.int64)
    # the key's number in groupby's sorted order (no mixed-radix product that could overflow int64)
    group = rows.groupby(keys, sort=True, dropna=False).ngroup().to_numpy(dtype=np.int64)
    _, first = np.unique(group, return_index=True)
    span = np.zeros(first.shape[0], dtype=np.int64)
    np.maximum.at(span, group, length)
    start = np.cumsum(span) - span
    pos = start[group] + length - 1
    owner, t = ragged_arange(span)
    out = rows[keys].iloc[first[owner]].reset_index(drop=True)
    out["t"] = t.astype(np.int64)
    kind_of = rows["kind"].to_numpy() if kinds != ("n",) else None
    total = int(span.sum())
    for kind in kinds:
        acc = np.zeros(total + 1, dtype=np.int64)  # one slot past the end: the sum beyond the last block is 0
        sel = slice(None) if kind_of is None else kind_of == kind
        np.add.at(acc, pos[sel], n[sel])
        tail = np.cumsum(acc[::-1])[::-1]  # tail[i] = sum of acc[i:]
        out[kind] = tail[:-1] - np.repeat(tail[start + span], span)
    return out


def _occupancy_table(lengths: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """``group, month, t, followed, units, share_sum`` from the ``followed`` lengths and the units."""
    foll = lengths[lengths["kind"] == "followed"]
    occ = persons_followed(foll, ["group", "entry"])
    occ["month"] = occ["entry"] + occ["t"]
    occ = occ.groupby(["group", "month", "t"], as_index=False)[["n"]].sum().rename(columns={"n": "followed"})
    u_occ = units.groupby(["group", "month", "t"], as_index=False)[["units", "share_sum"]].sum()
    occupancy = occ.merge(u_occ, on=["group", "month", "t"], how="left", validate="one_to_one")
    occupancy[["units", "share_sum"]] = occupancy[["units", "share_sum"]].fillna(0)
    occupancy["units"] = occupancy["units"].astype(np.int64)
    return occupancy


def _participants_table(part_len: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """``month, t, benefit_group, prior_periods, followed, counted, in_spell, units, share_sum`` of participants."""
    keys = ["entry", "benefit_group", "prior_periods"]
    part = persons_followed(part_len, keys, ("followed", "counted", "spell")).rename(columns={"spell": "in_spell"})
    part["month"] = part["entry"] + part["t"]
    cell = ["month", "t", "benefit_group", "prior_periods"]
    part = part.groupby(cell, as_index=False)[["followed", "counted", "in_spell"]].sum()
    u_part = units[units["group"] == "intervention"].groupby(cell, as_index=False)[["units", "share_sum"]].sum()
    participants = part.merge(u_part, on=cell, how="left", validate="one_to_one")
    participants[["units", "share_sum"]] = participants[["units", "share_sum"]].fillna(0)
    participants["units"] = participants["units"].astype(np.int64)
    return participants


def _one_case(case: str, sel: dict[str, pd.DataFrame], *, weekly_units: bool, week_factor: float) -> CaseStatistics:
    """The :class:`CaseStatistics` of one case from its rows of the normalised aggregates."""
    survival = sel["survival"].reset_index(drop=True)
    lengths = sel["lengths"]
    units = sel["units"]
    if weekly_units and len(units):
        denom = weeks_in_month(units["month"].to_numpy()).astype(np.float64)
    else:
        denom = np.ones(len(units))
    units = units.assign(share_sum=units["units"].to_numpy() / denom)
    part_len = lengths[lengths["group"] == "intervention"]
    keys = ["entry", "benefit_group", "prior_periods"]
    ent = part_len[part_len["kind"] == "followed"].groupby(keys, as_index=False)[["n"]].sum()
    s = sel["summary"].pivot_table(index="item", columns="group", values="n", aggfunc="sum", fill_value=0)
    s = s.reindex(index=list(SUMMARY_ITEMS), columns=list(GROUPS), fill_value=0)
    s["all"] = s["comparison"] + s["intervention"]
    s.columns.name = None
    return CaseStatistics(
        case,
        survival,
        _occupancy_table(lengths, units),
        _participants_table(part_len, units),
        ent,
        s.astype(np.int64),
        float(week_factor),
        bool(weekly_units),
    )


def assemble(
    aggregates: dict[str, pd.DataFrame], *, weekly_units: bool, week_factor: float, normalised: bool = False
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
    normalised : bool
        The tables are already in canonical form (:func:`normalise_aggregates`
        output, as :func:`~survival_invest.stats.cohort_aggregates` returns
        them): not normalised again (the step is idempotent; this saves its
        sorts once per case).

    Returns
    -------
    dict of str to CaseStatistics
        By case id, in the order of the summary table's cases.
    """
    agg = aggregates if normalised else normalise_aggregates(aggregates)
    out: dict[str, CaseStatistics] = {}
    for case in pd.unique(agg["summary"]["case_id"]):  # a handful of cases; each table is vectorised
        sel = {k: v[v["case_id"] == case].drop(columns="case_id") for k, v in agg.items()}
        out[str(case)] = _one_case(str(case), sel, weekly_units=weekly_units, week_factor=week_factor)
    return out
