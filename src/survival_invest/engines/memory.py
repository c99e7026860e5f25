"""The in-memory engine: read the extract with pandas/numpy, build each case's cohort, count.

The default for data that fit in memory, and the only engine that runs the
``matched`` comparison. It keeps each case's :class:`~survival_invest.Cohort`
(for notebooks and checks) beside the statistics.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from survival_invest._arrays import heap_allocations
from survival_invest.choices import MonthRule
from survival_invest.cohort import Cohort, build_cohort, spell_status
from survival_invest.config import CaseConfig, Portfolio, pseudonym_key
from survival_invest.io import read_classification, read_memberships, read_spells
from survival_invest.io.periods import RunClock
from survival_invest.io.privacy import IdPolicy
from survival_invest.stats import CaseStatistics, case_statistics

__all__ = ["EngineRun", "memory_statistics"]


@dataclass
class EngineRun:
    """What an engine produced for a portfolio.

    Attributes
    ----------
    engine : str
        The engine that ran (``memory``, ``duckdb`` or ``spark``).
    statistics : dict
        Case id -> :class:`~survival_invest.stats.CaseStatistics` of every survival case.
    input_rows : dict
        Rows read per input (and rows removed from the spells, by reason).
    cohorts : dict
        Case id -> :class:`~survival_invest.Cohort` (in-memory engine only).
    inputs : dict
        Location -> what the engine reported of a remote input (files, rows), for ``run.json``
        (DuckDB and Spark; :func:`survival_invest.io.sources.engine_files_report`).
    """

    engine: str
    statistics: dict[str, CaseStatistics]
    input_rows: dict[str, int]
    cohorts: dict[str, Cohort] = field(default_factory=dict)
    inputs: dict[str, dict[str, object]] = field(default_factory=dict)


def memory_statistics(config: Portfolio, clock: RunClock) -> EngineRun:
    """Every survival case's cohort and statistics, in memory.

    The extract is read once and classified once per distinct ``month_rule``
    of the portfolio's survival cases (``spell_status``; the rule decides the
    exit clock of months rolled up from weeks), each classification shared by
    the cases with that rule.

    Parameters
    ----------
    config : Portfolio
    clock : RunClock
        The run's as-of month, data lag and cut-off.

    Returns
    -------
    EngineRun

    Notes
    -----
    Runs within :func:`~survival_invest._arrays.heap_allocations`: at 10^8 spell rows the reader's, the
    cohort's and the counts' temporaries (hundreds of MB each) reuse freed memory instead of faulting fresh
    pages in each time (in a VM that returns freed pages to its host, half of the engine's CPU time).
    """
    with heap_allocations():
        return _memory_statistics(config, clock)


def _memory_statistics(config: Portfolio, clock: RunClock) -> EngineRun:
    """:func:`memory_statistics` (its body, outside the allocation setting)."""
    ids = IdPolicy(pseudonym_key(config.privacy, config.source))  # declared CPR numbers: pseudonyms at read time
    spells = read_spells(config.data.spells, format=config.data.spells_format, id_column=config.data.id_column, ids=ids)
    members = read_memberships(config.data.memberships, ids=ids, id_column=config.data.id_column)
    classification = read_classification(config.data.classification)
    survival = [c for c in config.cases if c.method == "survival"]
    freq = members.attrs["frequency"]
    # classify once per distinct month rule, not once per case; the rule only matters when weeks become months
    rolled = spells.frequency != freq

    def rule_key(case: CaseConfig) -> MonthRule:
        """The classification a case shares: its month rule for rolled-up weeks, else the one classification."""
        return case.month_rule if rolled else "any"

    status = {rule: spell_status(spells, classification, freq, rule) for rule in dict.fromkeys(map(rule_key, survival))}
    stats, cohorts = {}, {}
    for case in survival:  # a handful of cases; each is vectorised inside
        cohort = build_cohort(
            spells,
            members,
            case_id=case.id,
            as_of=clock,
            durable_exit=case.durable_exit,
            classification=classification,
            comparison=case.comparison,
            curve=case.curve,
            month_rule=case.month_rule,
            status=status[rule_key(case)],
        )
        cohorts[case.id] = cohort
        stats[case.id] = case_statistics(cohort)
    rows = {"spells": len(spells.frame), "memberships": len(members)}
    for reason, n in zip(spells.excluded["reason"], spells.excluded["rows"], strict=True):
        rows[f"spells_removed_{reason}"] = int(n)
    return EngineRun("memory", stats, rows, cohorts)
