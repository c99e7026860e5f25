"""Engines: where the person-period data become the sufficient statistics.

Every engine returns the same integer aggregates (:mod:`survival_invest.stats`),
so the estimates that follow are identical whichever engine ran:

``memory``
    numpy/pandas: reads the extract (CSV/Parquet, long or DREAM wide), builds
    each case's :class:`~survival_invest.Cohort` (kept for notebooks and
    checks), and counts. The default for data that fit in memory.
``duckdb``
    Out-of-core on one machine: the cohort rules as SQL
    (:mod:`survival_invest.engines.sql`) over Parquet (a file or a folder of
    parts) or CSV, spilling to disk beyond ``memory_limit``.
``spark``
    The same SQL on Apache Spark, for a cluster (or ``local[n]``).
``auto``
    ``duckdb`` when the spells on disk exceed ``auto_threshold_mb``, else ``memory``.

The SQL engines read *long* spells (``person_id, period, benefit``; DREAM wide
files go through the in-memory reader first, see ``docs/scaling.md``) and
implement the ``non_participants`` and ``target_all`` comparison rules.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from survival_invest.config import ENGINES, ConfigError, Portfolio
from survival_invest.engines.aggregates import CaseSpec, sql_aggregates
from survival_invest.stats import CaseStatistics, assemble, case_statistics

__all__ = ["ENGINES", "EngineRun", "choose_engine", "portfolio_statistics"]

log = logging.getLogger(__name__)


@dataclass
class EngineRun:
    """What an engine produced for a portfolio."""

    engine: str
    statistics: dict[str, CaseStatistics]
    input_rows: dict[str, int]
    cohorts: dict = field(default_factory=dict)


def _size_mb(path: Path) -> float:
    p = Path(path)
    files = [q for q in p.rglob("*") if q.is_file()] if p.is_dir() else [p]
    return sum(q.stat().st_size for q in files if q.exists()) / 1e6


def choose_engine(config: Portfolio, engine: str | None = None) -> str:
    """The engine to run: the argument, else ``$SURVIVAL_INVEST_ENGINE``, else the config; ``auto`` resolved by size."""
    name = engine or os.environ.get("SURVIVAL_INVEST_ENGINE") or config.engine.name
    if name not in ENGINES:
        raise ConfigError(
            f"engine must be one of {list(ENGINES)}; got {name!r} (argument, SURVIVAL_INVEST_ENGINE or "
            f"[engine] name in {config.source})."
        )
    if name == "auto":
        big = config.data.spells_format == "long" and _size_mb(config.data.spells) > config.engine.auto_threshold_mb
        name = "duckdb" if big else "memory"
    return name


def portfolio_statistics(config: Portfolio, as_of: int, engine: str | None = None) -> EngineRun:
    """The sufficient statistics of every survival case of ``config`` for the as-of month (period number)."""
    from survival_invest.io.readers import read_classification, read_memberships

    name = choose_engine(config, engine)
    cases = [c for c in config.cases if c.method == "survival"]
    if not cases:
        return EngineRun(name, {}, {})
    if name == "memory":
        return _memory(config, as_of)
    cutoff = as_of - config.run.data_lag
    if config.data.spells_format != "long":
        raise ConfigError(
            f"{config.source}: engine {name!r} reads long spells (person_id, period, benefit) as Parquet "
            'or CSV; convert the DREAM wide file once (docs/scaling.md) or use engine = "memory".'
        )
    classification = read_classification(config.data.classification)
    specs = [CaseSpec(c.id, c.comparison, c.durable_exit) for c in cases]
    backend = _backend(name, config)
    try:
        # memberships passed unnamed: sql_aggregates frees them once the engine holds its members table
        agg, facts = sql_aggregates(
            backend,
            source=str(config.data.spells),
            memberships=read_memberships(config.data.memberships),
            classification=classification,
            cases=specs,
            cutoff=cutoff,
            data_lag=config.run.data_lag,
        )
    finally:
        backend.close()
    stats = assemble(agg, weekly_units=facts["weekly_units"], week_factor=facts["week_factor"])
    rows = {"spells": facts["spells_rows"], "memberships": facts["memberships_rows"]}
    return EngineRun(name, stats, rows)


def _backend(name: str, config: Portfolio):
    e = config.engine
    if name == "duckdb":
        from survival_invest.engines.duckdb_engine import DuckDBBackend, DuckDBSettings

        return DuckDBBackend(
            config.data.spells,
            DuckDBSettings(e.memory_limit, e.threads, None if e.temp_directory is None else str(e.temp_directory)),
        )
    try:
        from survival_invest.engines.spark_engine import SparkBackend
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ConfigError("engine 'spark' needs PySpark: pip install 'survival-invest[spark]'.") from exc
    return SparkBackend(config.data.spells, master=e.spark_master, conf=e.spark_conf)


def _memory(config: Portfolio, as_of: int) -> EngineRun:
    from survival_invest.cohort.build import build_cohort
    from survival_invest.cohort.status import spell_status
    from survival_invest.io.readers import read_classification, read_memberships, read_spells

    spells = read_spells(config.data.spells, format=config.data.spells_format)  # type: ignore[arg-type]
    members = read_memberships(config.data.memberships)
    classification = read_classification(config.data.classification)
    status = spell_status(spells, classification, members.attrs["frequency"])  # classify once for all cases
    stats, cohorts = {}, {}
    for case in config.cases:  # a handful of cases; each is vectorised inside
        if case.method != "survival":
            continue
        cohort = build_cohort(
            spells,
            members,
            case_id=case.id,
            as_of=as_of,
            data_lag=config.run.data_lag,
            durable_exit=case.durable_exit,
            classification=classification,
            comparison=case.comparison,
            curve=case.curve,  # type: ignore[arg-type]
            status=status,
        )
        cohorts[case.id] = cohort
        stats[case.id] = case_statistics(cohort, source_frequency=status.source_frequency)
    rows = {"spells": len(spells.frame), "memberships": len(members)}
    for reason, n in zip(spells.excluded["reason"], spells.excluded["rows"], strict=True):
        rows[f"spells_removed_{reason}"] = int(n)
    return EngineRun("memory", stats, rows, cohorts)
