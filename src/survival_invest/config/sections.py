"""The non-case sections of the portfolio file: ``[run]``, ``[data]``, ``[refusion]``, ``[targets]``, ``[engine]``.

Each function validates one section and returns its dataclass; the keys each
section allows are listed at the top. The cross-check between ``[engine]`` and
the cases' comparison rules is here too (:func:`sql_engine_conflicts`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from survival_invest.choices import ENGINES, LANGUAGES, SPELLS_FORMATS, SQL_COMPARISONS
from survival_invest.config.model import (
    DEFAULT_REFUSION_BANDS,
    CaseConfig,
    DataConfig,
    EngineConfig,
    Refusion,
    RefusionBand,
    RunConfig,
    Targets,
)
from survival_invest.config.reader import TableReader, is_number, location_value, path_value

__all__ = [
    "PERSON_LEVEL_REASONS",
    "conflict_reasons",
    "data_section",
    "engine_conflict_message",
    "engine_section",
    "person_level_reason",
    "refusion_section",
    "run_section",
    "sql_engine_conflicts",
    "targets_section",
]

ENGINE_KEYS = {
    "name",
    "auto_threshold_mb",
    "memory_limit",
    "threads",
    "temp_directory",
    "spark_master",
    "spark_conf",
    "connect_timeout_seconds",
}
TARGET_KEYS = {"years", "reduction", "other_initiatives"}
RUN_KEYS = {"price_level", "price_index", "data_lag", "min_persons", "language", "keep_runs", "lock_timeout_seconds"}
DATA_KEYS = {
    "spells",
    "spells_format",
    "memberships",
    "classification",
    "finance",
    "persons",
    "id_column",
    "payments",
    "payment_benefits",
}
REFUSION_KEYS = {"enabled", "bands", "pre_reform_share"}
BAND_KEYS = {"from_week", "to_week", "share"}


def refusion_section(source: Path, table: Mapping[str, Any]) -> Refusion:
    """``[refusion]``: the staircase bands (contiguous, from week 1, the last open) and the pre-reform share."""
    ctx = TableReader(source, "[refusion]")
    ctx.unknown(table, REFUSION_KEYS)
    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ctx.error("enabled", f"expected true or false, got {enabled!r}")
    bands: tuple[RefusionBand, ...] = DEFAULT_REFUSION_BANDS
    if "bands" in table:
        raw = table["bands"]
        if not isinstance(raw, list) or not raw:
            raise ctx.error("bands", "expected a list of {from_week, to_week, share} tables")
        out = []
        for i, b in enumerate(raw, start=1):
            bctx = TableReader(source, f"[refusion] band {i}")
            if not isinstance(b, dict):
                raise bctx.error("bands", f"expected a table, got {b!r}")
            bctx.unknown(b, BAND_KEYS)
            fw = bctx.number(b, "from_week", lo=1, integer=True)
            tw = bctx.number(b, "to_week", lo=fw, integer=True, default=math.inf)
            share = bctx.number(b, "share", lo=0, hi=1)
            out.append(RefusionBand(fw, tw, float(share)))
        for prev, cur in itertools.pairwise(out):
            if cur.from_week != prev.to_week + 1:
                raise ctx.error(
                    "bands",
                    f"band starting at week {cur.from_week} does not follow the band ending at week {prev.to_week}; bands must be contiguous",
                )
        if out[0].from_week != 1 or not math.isinf(out[-1].to_week):
            raise ctx.error("bands", "bands must start at week 1 and the last must be open (no to_week)")
        bands = tuple(out)
    pre = ctx.number(table, "pre_reform_share", lo=0, hi=1, default=0.30)
    return Refusion(enabled, bands, float(pre))


def run_section(source: Path, run_t: Any) -> RunConfig:
    """``[run]``: price level and index (the level year must be in the index), data lag, min_persons, language."""
    rctx = TableReader(source, "[run]")
    rctx.unknown(run_t, RUN_KEYS)
    price_level = rctx.number(run_t, "price_level", lo=1900, hi=2200, integer=True)
    idx_raw = rctx.need(run_t, "price_index")
    if not isinstance(idx_raw, dict) or not idx_raw:
        raise rctx.error("price_index", "expected a table of year = index, e.g. 2020 = 100.0")
    index: dict[int, float] = {}
    for k, v in idx_raw.items():
        if not str(k).isdigit():
            raise rctx.error(f"price_index.{k}", "keys must be years like 2020")
        if not is_number(v) or v <= 0:
            raise rctx.error(f"price_index.{k}", f"expected a positive finite index, got {v!r}")
        index[int(k)] = float(v)
    if price_level not in index:
        raise rctx.error("price_index", f"has no entry for the price level year {price_level}")
    return RunConfig(
        price_level=price_level,
        price_index=index,
        data_lag=int(rctx.number(run_t, "data_lag", lo=0, hi=24, integer=True, default=2)),
        min_persons=int(rctx.number(run_t, "min_persons", lo=1, integer=True, default=5)),
        language=rctx.choice(run_t, "language", LANGUAGES, "da"),
        keep_runs=int(rctx.number(run_t, "keep_runs", lo=0, hi=1000, integer=True, default=3)),
        lock_timeout_seconds=float(rctx.number(run_t, "lock_timeout_seconds", lo=0, hi=86400, default=120.0)),
    )


def data_section(source: Path, data_t: Any) -> DataConfig:
    """``[data]``: the extract paths (relative to the configuration's folder) and the spells format.

    ``spells`` and ``memberships`` may be a file, a folder of Parquet parts, a
    glob, or a URI (kept as text, never joined to the folder); see
    :mod:`survival_invest.io.sources`.
    """
    dctx = TableReader(source, "[data]")
    dctx.unknown(data_t, DATA_KEYS)
    base = source.parent
    return DataConfig(
        spells=location_value(dctx, data_t, "spells", base),
        memberships=location_value(dctx, data_t, "memberships", base),
        spells_format=dctx.choice(data_t, "spells_format", SPELLS_FORMATS, "long"),
        classification=path_value(dctx, data_t, "classification", base, False),
        finance=path_value(dctx, data_t, "finance", base, False),
        persons=path_value(dctx, data_t, "persons", base, False),
        id_column=_id_column(dctx, data_t),
        payments=path_value(dctx, data_t, "payments", base, False),
        payment_benefits=_payment_benefits(dctx, data_t),
    )


def _payment_benefits(ctx: TableReader, table: Mapping[str, Any]) -> dict[str, str]:
    """``[data] payment_benefits``: the payment file's benefit names -> benefit groups (non-empty strings)."""
    raw = table.get("payment_benefits", {})
    if not isinstance(raw, dict) or not all(
        isinstance(k, str) and k.strip() and isinstance(v, str) and v.strip() for k, v in raw.items()
    ):
        raise ctx.error(
            "payment_benefits",
            f'expected a table of benefit names and groups like {{ "Kontanthjælp" = "kontanthjaelp" }}, got {raw!r}',
        )
    return {k.strip(): v.strip() for k, v in raw.items()}


def _id_column(ctx: TableReader, table: Mapping[str, Any]) -> str | None:
    """``[data] id_column``: the spells file's person id column (a non-empty name), or ``None`` (the default)."""
    v = table.get("id_column")
    if v is not None and (not isinstance(v, str) or not v.strip()):
        raise ctx.error("id_column", f'expected a column name like "PNR", got {v!r}')
    return None if v is None else v.strip()


def targets_section(source: Path, t: Any) -> Targets:
    """``[targets]``: reduction targets per year and other initiatives' contributions (one amount per year)."""
    tctx = TableReader(source, "[targets]")
    if not isinstance(t, dict):
        raise tctx.error("targets", "expected a table")
    tctx.unknown(t, TARGET_KEYS)
    years_raw = tctx.need(t, "years")
    if not isinstance(years_raw, list) or not years_raw or not all(isinstance(y, int) for y in years_raw):
        raise tctx.error("years", f"expected a list of years, got {years_raw!r}")
    reduction = tctx.numbers(t, "reduction", len(years_raw))
    others: dict[str, tuple[float, ...]] = {}
    raw_o = t.get("other_initiatives", {})
    if not isinstance(raw_o, dict):
        raise tctx.error("other_initiatives", "expected a table of name = [amount per year]")
    for name in raw_o:
        others[str(name)] = tctx.numbers(raw_o, name, len(years_raw))
    return Targets(tuple(years_raw), reduction, others)


def engine_section(source: Path, raw: Any, base: Path) -> EngineConfig:
    """``[engine]``: engine name, the auto threshold, DuckDB and Spark settings.

    Parameters
    ----------
    source : Path
        The configuration file, for messages.
    raw : table
        The ``[engine]`` table (``{}`` when absent).
    base : Path
        The configuration's folder (base of a relative ``temp_directory``).

    Returns
    -------
    EngineConfig
    """
    ctx = TableReader(source, "[engine]")
    if not isinstance(raw, dict):
        raise ctx.error("engine", "expected a table")
    ctx.unknown(raw, ENGINE_KEYS)
    conf = raw.get("spark_conf", {})
    if not isinstance(conf, dict) or not all(isinstance(v, (str, bool)) or is_number(v) for v in conf.values()):
        raise ctx.error("spark_conf", f"expected a table of setting = value, got {conf!r}")
    for key in ("memory_limit", "spark_master"):
        if key in raw and not isinstance(raw[key], str):
            raise ctx.error(key, f"expected a string, got {raw[key]!r}")
    threads = raw.get("threads")
    temp = raw.get("temp_directory")
    if temp is not None and not isinstance(temp, str):
        raise ctx.error("temp_directory", f"expected a folder path, got {temp!r}")
    return EngineConfig(
        name=ctx.choice(raw, "name", ENGINES, "auto"),
        auto_threshold_mb=float(ctx.number(raw, "auto_threshold_mb", lo=0, default=1000.0)),
        memory_limit=raw.get("memory_limit"),
        threads=None if threads is None else int(ctx.number(raw, "threads", lo=1, integer=True)),
        temp_directory=None if temp is None else (base / temp),
        spark_master=raw.get("spark_master"),
        spark_conf={str(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in conf.items()},
        connect_timeout_seconds=float(ctx.number(raw, "connect_timeout_seconds", lo=0.1, hi=3600, default=10.0)),
    )


#: Why a case needs the in-memory engine, by what it asks for (the SQL engines return count tables only).
PERSON_LEVEL_REASONS = {
    "matched": "comparison 'matched': sequential matching needs each person's months",
    "adjusted": "comparison 'adjusted': the hazard models are fitted on each person's covariates",
    "destinations": "destinations = true: each person's destination at exit",
}


def person_level_reason(case: CaseConfig) -> str | None:
    """Why ``case`` needs the in-memory engine (:data:`PERSON_LEVEL_REASONS`), or None when any engine runs it."""
    if case.method != "survival":
        return None
    if case.comparison not in SQL_COMPARISONS:
        return PERSON_LEVEL_REASONS.get(case.comparison, f"comparison {case.comparison!r}")
    return PERSON_LEVEL_REASONS["destinations"] if case.destinations else None


def sql_engine_conflicts(cases: tuple[CaseConfig, ...]) -> list[str]:
    """Ids of the survival cases the SQL engines cannot run (:func:`person_level_reason`).

    Parameters
    ----------
    cases : tuple of CaseConfig

    Returns
    -------
    list of str
        Case ids whose ``comparison`` is not in
        :data:`survival_invest.choices.SQL_COMPARISONS` (``matched``,
        ``adjusted``) or that ask for ``destinations``, in configuration order.
    """
    return [c.id for c in cases if person_level_reason(c) is not None]


def conflict_reasons(cases: tuple[CaseConfig, ...]) -> str:
    """``case '3' (comparison 'matched': ...), case '5' (...)``: the cases only the in-memory engine runs, and why."""
    return ", ".join(f"case {c.id!r} ({person_level_reason(c)})" for c in cases if person_level_reason(c) is not None)


def engine_conflict_message(engine: str, case_ids: list[str], where: str, why: str = "") -> str:
    """The one message for "these cases need the in-memory engine but ``engine`` was asked for".

    Parameters
    ----------
    engine : str
        The engine that was asked for (``duckdb`` or ``spark``).
    case_ids : list of str
        The cases only the in-memory engine runs.
    where : str
        Where the engine was chosen (the file and key, the argument, or the environment variable).
    why : str
        The cases and their reasons (:func:`conflict_reasons`); default: the cases as comparison 'matched'.

    Returns
    -------
    str
    """
    cases = ", ".join(repr(c) for c in case_ids)
    what = why or f"case {cases} (comparison 'matched': sequential matching needs the in-memory engine)"
    return (
        f"{where}: engine {engine!r} cannot run {what}; the SQL engines return count tables and implement the "
        f"comparisons {', '.join(SQL_COMPARISONS)}, so only the in-memory engine runs it; "
        'use engine = "memory" or "auto", or change that case.'
    )
