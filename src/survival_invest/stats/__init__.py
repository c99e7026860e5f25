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
The week factor comes from the extract's *declared* frequency (the in-memory
engine: ``Cohort.source_frequency``, i.e. ``Spells.frequency``; the SQL
engines: the period labels), never from the values: a weekly extract whose
months are all fully on or off support is still priced by the week.

Layout: :mod:`survival_invest.stats.tables` holds the tables and
:func:`assemble`; :mod:`survival_invest.stats.counting` counts an in-memory
cohort (the in-memory engine) and states the counted / spell rule once
(:func:`counted_and_spell`).
"""

from survival_invest.stats.counting import (
    as_statistics,
    case_statistics,
    cohort_aggregates,
    counted_and_spell,
    week_factor_of,
)
from survival_invest.stats.tables import (
    AGGREGATE_COLUMNS,
    GROUPS,
    SUMMARY_ITEMS,
    CaseStatistics,
    assemble,
    normalise_aggregates,
)

__all__ = [
    "AGGREGATE_COLUMNS",
    "GROUPS",
    "SUMMARY_ITEMS",
    "CaseStatistics",
    "as_statistics",
    "assemble",
    "case_statistics",
    "cohort_aggregates",
    "counted_and_spell",
    "normalise_aggregates",
    "week_factor_of",
]
