"""Choosing an engine and running it: the statistics of every survival case of a portfolio.

The choice, in order: the ``engine`` argument (``run --engine``), else the
environment variable ``SURVIVAL_INVEST_ENGINE``, else ``[engine] name`` of the
configuration. ``auto`` resolves to ``memory`` when a survival case uses the
``matched`` comparison (only the in-memory engine matches sequentially) or the
``adjusted`` one (hazard models fitted on each person's covariates), or asks for
``destinations = true`` (each person's destination; the SQL engines return
count tables only) -- the reason is returned and logged, with a warning when
the extract is above the size threshold -- else to ``duckdb`` when long spells on disk exceed
``auto_threshold_mb`` (the reason then says that an occupancy case's interval
is the statistics-only approximation: its person-level variance needs the
persons, :mod:`survival_invest.economics.influence`), else to ``memory``
(named as needed by an occupancy case when there is one). An explicit ``duckdb`` or ``spark``
with such a case is a :class:`~survival_invest.config.ConfigError`
raised before any extract is scanned.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Protocol

import pandas as pd

from survival_invest.choices import ENGINES, EngineName
from survival_invest.config import ConfigError, Portfolio
from survival_invest.config.sections import conflict_reasons, engine_conflict_message, sql_engine_conflicts
from survival_invest.engines.aggregates import CaseSpec, SqlBackend, sql_aggregates
from survival_invest.engines.members_sql import MembershipsFile
from survival_invest.engines.memory import EngineRun, memory_statistics
from survival_invest.errors import ExtractError
from survival_invest.io import read_classification, read_memberships
from survival_invest.io.periods import RunClock
from survival_invest.io.sources import Location, part_files, remote_readers, remote_scheme
from survival_invest.stats import assemble

__all__ = [
    "EngineChoice",
    "EngineRun",
    "choose_engine",
    "engine_choice",
    "portfolio_statistics",
    "refuse_remote_in_memory",
    "refuse_sql_format",
    "spells_size_mb",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EngineChoice:
    """The engine a run will use and why (for ``validate``, the log and ``run.json``)."""

    name: EngineName
    reason: str


def spells_size_mb(path: Location) -> float:
    """Size on disk of the spells extract (a file, a folder's parts or a glob's files), in MB (10^6 bytes).

    0 for a remote URI (its size is not known without the engine) and for a
    path that does not exist (the reader says so).
    """
    if remote_scheme(path) is not None:
        return 0.0
    try:
        files = part_files(path)
    except ExtractError:
        return 0.0
    return sum(q.stat().st_size for q in files) / 1e6


def refuse_remote_in_memory(config: Portfolio) -> None:
    """Refuse spells or memberships on remote storage for the in-memory engine, naming the engines that read them.

    Raises
    ------
    ConfigError
        ``[data] spells`` or ``memberships`` is a remote URI (``hdfs://``, ``s3a://``, ``s3://`` ...).
    """
    for key, location in (("spells", config.data.spells), ("memberships", config.data.memberships)):
        scheme = remote_scheme(location)
        if scheme is not None:
            raise ConfigError(
                f"{config.source}: [data] {key} = {str(location)!r} is on {scheme}:// storage, which the "
                f"in-memory engine cannot read; use {remote_readers(scheme)}: [engine] name, or --engine."
            )


def refuse_sql_format(config: Portfolio, engine: str) -> None:
    """Refuse a DREAM wide extract for the DuckDB and Spark engines, which read long spells only.

    Raises
    ------
    ConfigError
        ``[data] spells_format`` is not ``long``.
    """
    if config.data.spells_format != "long":
        raise ConfigError(
            f"{config.source}: engine {engine!r} reads long spells (person_id, period, benefit) as Parquet "
            'or CSV; convert the DREAM wide file once (docs/scaling.md) or use engine = "memory".'
        )


def _requested(config: Portfolio, engine: str | None) -> tuple[str, str]:
    if engine:
        return engine, "the engine argument"
    env = os.environ.get("SURVIVAL_INVEST_ENGINE")
    if env:
        return env, "SURVIVAL_INVEST_ENGINE"
    return config.engine.name, f"{config.source}: [engine], key 'name'"


def engine_choice(config: Portfolio, engine: str | None = None) -> EngineChoice:
    """Resolve the engine (rules in the module docstring) without reading any extract.

    Parameters
    ----------
    config : Portfolio
    engine : str, optional
        ``auto``, ``memory``, ``duckdb`` or ``spark``; overrides the environment and the configuration.

    Returns
    -------
    EngineChoice

    Raises
    ------
    ConfigError
        An unknown engine name, or ``duckdb``/``spark`` for a portfolio with a ``matched`` or ``adjusted``
        case or one with ``destinations = true``.
    """
    name, where = _requested(config, engine)
    if name not in ENGINES:
        raise ConfigError(
            f"engine must be one of {list(ENGINES)}; got {name!r} (argument, SURVIVAL_INVEST_ENGINE or "
            f"[engine] name in {config.source})."
        )
    conflicts = sql_engine_conflicts(config.cases)
    # the occupancy clock's interval needs each person's months (economics.influence): in memory when they fit
    occupancy = ", ".join(repr(c.id) for c in config.cases if c.method == "survival" and c.curve == "occupancy")
    if name in ("duckdb", "spark"):
        if config.privacy.ids == "cpr":  # the SQL engines read the spells file itself: its ids are not pseudonymised
            raise ConfigError(
                f"{where}: engine {name!r} reads the extract files directly, so declared CPR numbers "
                '([privacy] ids = "cpr") would not be pseudonymised; use engine = "memory" or "auto".'
            )
        if conflicts:
            raise ConfigError(engine_conflict_message(name, conflicts, where, conflict_reasons(config.cases)))
        return EngineChoice(name, f"chosen by {where}" + _occupancy_caveat(occupancy))
    if name == "memory":
        return EngineChoice("memory", f"chosen by {where}")
    if config.privacy.ids == "cpr":
        return EngineChoice("memory", "auto: declared CPR numbers are pseudonymised as the in-memory engine reads them")
    long = config.data.spells_format == "long"
    scheme = remote_scheme(config.data.spells)
    if scheme is not None and not conflicts:
        reason = f"auto: the spells are on {scheme}:// storage, which Spark reads"
        return EngineChoice("spark", reason + _occupancy_caveat(occupancy))
    size = spells_size_mb(config.data.spells) if long else 0.0
    threshold = config.engine.auto_threshold_mb
    if conflicts:
        reason = f"auto: {_person_level(config)}, which only the in-memory engine runs"
        if size > threshold:
            reason += f"; the spells take {size:,.0f} MB on disk (above {threshold:,.0f} MB): they must fit in memory"
            log.warning("engine %s", reason)
        return EngineChoice("memory", reason)
    if long and size > threshold:
        reason = f"auto: the spells take {size:,.0f} MB on disk, above {threshold:,.0f} MB"
        return EngineChoice("duckdb", reason + _occupancy_caveat(occupancy))
    if occupancy:
        return EngineChoice(
            "memory", f"auto: case {occupancy} uses the occupancy clock, whose interval needs each person's months"
        )
    what = (
        "DREAM wide spells are read in memory" if not long else f"{size:,.0f} MB of spells, within {threshold:,.0f} MB"
    )
    return EngineChoice("memory", f"auto: {what}")


def _person_level(config: Portfolio) -> str:
    """``case '3' uses comparison 'matched'``, ``case '5' asks for destinations = true``: why auto picks memory."""
    parts = []
    for c in config.cases:
        if c.id not in sql_engine_conflicts((c,)):
            continue
        if c.comparison in ("matched", "adjusted"):
            parts.append(f"case {c.id!r} uses comparison {c.comparison!r}")
        else:
            parts.append(f"case {c.id!r} asks for destinations = true (each person's destination)")
    return "; ".join(parts)


def _occupancy_caveat(occupancy: str) -> str:
    """What an SQL engine means for the occupancy cases' intervals (logged as a warning), or ``""``."""
    if not occupancy:
        return ""
    caveat = (
        f"; the interval of occupancy case {occupancy} is then the statistics-only approximation "
        "(a person's months taken as independent, too narrow): engine memory gives the person-level one"
    )
    log.warning("engine: %s", caveat[2:])
    return caveat


def choose_engine(config: Portfolio, engine: str | None = None) -> EngineName:
    """The name of the engine to run (:func:`engine_choice` without the reason)."""
    return engine_choice(config, engine).name


def portfolio_statistics(config: Portfolio, as_of: str | int | RunClock, engine: str | None = None) -> EngineRun:
    """The sufficient statistics of every survival case of ``config``.

    Parameters
    ----------
    config : Portfolio
    as_of : str, int or RunClock
        The run's month; a label or period number is parsed once here with the
        configuration's data lag.
    engine : str, optional
        See :func:`engine_choice`.

    Returns
    -------
    EngineRun
    """
    clock = RunClock.parse(as_of, config.run.data_lag, "month")
    choice = engine_choice(config, engine)
    log.info("engine %s (%s)", choice.name, choice.reason)
    cases = [c for c in config.cases if c.method == "survival"]
    if not cases:
        return EngineRun(choice.name, {}, {})
    if choice.name == "memory":
        refuse_remote_in_memory(config)
        return memory_statistics(config, clock)
    refuse_sql_format(config, choice.name)
    classification = read_classification(config.data.classification)
    specs = [CaseSpec(c.id, c.comparison, c.durable_exit, c.month_rule) for c in cases]
    backend = _backend(choice.name, config)
    data = config.data
    try:
        # DuckDB reads and checks the memberships itself (engines.members_sql: a national file never enters
        # Python); Spark gets them read here, passed unnamed so that sql_aggregates frees them once the engine
        # holds its members table. On remote storage the engine reads them (read_frame) and io checks them.
        def read() -> pd.DataFrame:
            return read_memberships(data.memberships, id_column=data.id_column, remote=backend.read_frame)

        agg, facts = sql_aggregates(
            backend,
            source=str(data.spells),
            memberships=MembershipsFile(data.memberships, data.id_column, read) if choice.name == "duckdb" else read(),
            classification=classification,
            cases=specs,
            clock=clock,
        )
        reported = {str(p): backend.describe_input(p) for p in (data.spells, data.memberships)}
    finally:
        backend.close()
    stats = assemble(agg, weekly_units=facts["weekly_units"], week_factor=facts["week_factor"])
    rows = {"spells": facts["spells_rows"], "memberships": facts["memberships_rows"]}
    return EngineRun(choice.name, stats, rows, inputs={k: v for k, v in reported.items() if v})


class ReadingBackend(SqlBackend, Protocol):
    """An SQL engine that also reads small remote inputs and reports what it read (DuckDB, Spark)."""

    def read_frame(self, location: Location, what: str) -> pd.DataFrame:
        """A small input on remote storage as a DataFrame."""
        ...

    def describe_input(self, location: Location) -> dict[str, object]:
        """What the engine reports of a remote input (``{}`` for a local one); never raises."""
        ...


def _backend(name: str, config: Portfolio) -> ReadingBackend:
    e = config.engine
    if name == "duckdb":
        # DuckDB and PySpark are imported only when their engine runs (each costs a second or more)
        from survival_invest.engines.duckdb_engine import DuckDBBackend, DuckDBSettings

        return DuckDBBackend(
            config.data.spells,
            DuckDBSettings(e.memory_limit, e.threads, None if e.temp_directory is None else str(e.temp_directory)),
            id_column=config.data.id_column,
        )
    try:
        from survival_invest.engines.spark_engine import SparkBackend
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ConfigError("engine 'spark' needs PySpark: pip install 'survival-invest[spark]'.") from exc
    return SparkBackend(
        config.data.spells,
        master=e.spark_master,
        conf=e.spark_conf,
        connect_timeout=e.connect_timeout_seconds,
        id_column=config.data.id_column,
    )
