"""Portfolio configuration: one TOML file -> validated frozen dataclasses.

A municipality's portfolio is one file (see ``examples/norddjurs.toml``)::

    [run]        price_level, price_index, data_lag, min_persons, language
    [data]       spells, spells_format, memberships, classification, finance, persons
    [refusion]   enabled, bands = [{from_week, to_week, share}, ...], pre_reform_share
    [targets]    years, reduction, other_initiatives (optional)
    [[case]]     id, name, method, comparison, curve, durable_exit, horizon,
                 cost_per_fte, cost_price_year, years, budget_investment,
                 budget_savings, planned_inflow (survival cases) or
                 saving_per_placement, placements (count cases)

Read with the standard library's ``tomllib``. Every error is a
:class:`ConfigError` naming the file, the case (where there is one) and the key,
and unknown keys get a "did you mean" hint. Amounts in the budget are mio. kr.
at the run's price level (savings negative, as in the Norddjurs tables); cost
per full-time person is kroner per year at ``cost_price_year``.
"""

from __future__ import annotations

import difflib
import itertools
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from survival_invest.errors import SurvivalInvestError

__all__ = [
    "DEFAULT_REFUSION_BANDS",
    "CaseConfig",
    "ConfigError",
    "DataConfig",
    "InflowStep",
    "Portfolio",
    "Refusion",
    "RefusionBand",
    "RunConfig",
    "Targets",
    "load_config",
    "parse_config",
]


class ConfigError(SurvivalInvestError, ValueError):
    """The portfolio configuration is invalid (file, case and key named)."""


@dataclass(frozen=True)
class RefusionBand:
    """State refusion ``share`` of benefit spending in weeks ``from_week .. to_week`` of support."""

    from_week: int
    to_week: float  # inclusive; math.inf for the open last band
    share: float


#: Act on the refusion reform, in force 4 January 2016, section 5 (DOMAIN.md).
DEFAULT_REFUSION_BANDS = (
    RefusionBand(1, 4, 0.80),
    RefusionBand(5, 26, 0.40),
    RefusionBand(27, 52, 0.30),
    RefusionBand(53, math.inf, 0.20),
)


@dataclass(frozen=True)
class Refusion:
    """Refusion staircase and the pre-reform comparison share.

    ``pre_reform_share`` is the flat refusion share assumed before the 2016
    reform; the "of which refusion reform" part of a saving is the saving under
    the staircase minus the saving under that flat share (seed 000, table 3).
    """

    enabled: bool = True
    bands: tuple[RefusionBand, ...] = DEFAULT_REFUSION_BANDS
    pre_reform_share: float = 0.30


@dataclass(frozen=True)
class InflowStep:
    """Planned participants entering per month from ``start`` to ``end`` (``YYYY-MM``, inclusive)."""

    start: str
    end: str
    per_month: float


@dataclass(frozen=True)
class CaseConfig:
    """One investment case."""

    id: str
    name: str
    method: str  # "survival" | "count"
    years: tuple[int, ...]
    budget_investment: tuple[float, ...]
    budget_savings: tuple[float, ...]
    comparison: str = "non_participants"
    curve: str = "first_exit"
    durable_exit: int = 1
    horizon: int = 36
    cost_per_fte: Mapping[str, float] = field(default_factory=dict)  # benefit group (or "*") -> kr/year
    cost_price_year: int | None = None
    planned_inflow: tuple[InflowStep, ...] = ()
    saving_per_placement: float | None = None  # mio. kr. per placement (count cases)
    placements: tuple[float, ...] = ()  # planned placements per year (count cases)
    realised_placements: tuple[float, ...] = ()  # realised placements per year so far (count cases)

    def cost_for(self, benefit_group: str | None) -> float:
        """Gross yearly cost of one full-time person on ``benefit_group`` (falls back to ``"*"``)."""
        if benefit_group is not None and benefit_group in self.cost_per_fte:
            return self.cost_per_fte[benefit_group]
        if "*" in self.cost_per_fte:
            return self.cost_per_fte["*"]
        raise ConfigError(
            f"case {self.id!r}: no cost_per_fte for benefit group {benefit_group!r}; "
            "give one figure (cost_per_fte = 184000) or one per benefit group including it."
        )


@dataclass(frozen=True)
class RunConfig:
    price_level: int
    price_index: Mapping[int, float]
    data_lag: int = 2
    min_persons: int = 5
    language: str = "da"


@dataclass(frozen=True)
class DataConfig:
    spells: Path
    memberships: Path
    spells_format: str = "long"
    classification: Path | None = None
    finance: Path | None = None
    persons: Path | None = None  # person covariate table (read_persons): age and sex for balance and IPW


@dataclass(frozen=True)
class Targets:
    """Yearly reduction targets (mio. kr., negative = reduction) and other initiatives' contributions.

    What the portfolio delivers is its forecast savings per year; ``other_initiatives``
    adds named contributions from outside the engine (negative amounts), as in the
    2021 note (seed 003).
    """

    years: tuple[int, ...]
    reduction: tuple[float, ...]
    other_initiatives: Mapping[str, tuple[float, ...]] = field(default_factory=dict)


ENGINES = ("auto", "memory", "duckdb", "spark")


@dataclass(frozen=True)
class EngineConfig:
    """Where the extract is aggregated (``[engine]``; see ``docs/scaling.md``).

    ``name``: ``memory`` (numpy/pandas), ``duckdb`` (out-of-core over Parquet),
    ``spark`` (a cluster, or local mode), or ``auto`` (default: ``duckdb`` when
    the spells on disk exceed ``auto_threshold_mb``, else ``memory``). The
    environment variable ``SURVIVAL_INVEST_ENGINE`` overrides ``name``.
    DuckDB: ``memory_limit`` (e.g. ``"6GB"``), ``threads``, ``temp_directory``
    (spill files). Spark: ``spark_master`` (else ``$SPARK_MASTER``, else
    ``local[*]``) and ``spark_conf`` (a table of Spark settings).
    """

    name: str = "auto"
    auto_threshold_mb: float = 1000.0
    memory_limit: str | None = None
    threads: int | None = None
    temp_directory: Path | None = None
    spark_master: str | None = None
    spark_conf: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Portfolio:
    """A validated portfolio configuration."""

    source: Path
    run: RunConfig
    data: DataConfig
    refusion: Refusion
    cases: tuple[CaseConfig, ...]
    targets: Targets | None = None
    engine: EngineConfig = field(default_factory=EngineConfig)

    def case(self, case_id: str) -> CaseConfig:
        for c in self.cases:
            if c.id == str(case_id):
                return c
        raise ConfigError(f"{self.source}: no case {case_id!r}; cases are {[c.id for c in self.cases]}.")


_SECTIONS = {"run", "data", "refusion", "case", "targets", "engine"}
_ENGINE_KEYS = {"name", "auto_threshold_mb", "memory_limit", "threads", "temp_directory", "spark_master", "spark_conf"}
_TARGET_KEYS = {"years", "reduction", "other_initiatives"}
_RUN_KEYS = {"price_level", "price_index", "data_lag", "min_persons", "language"}
_DATA_KEYS = {"spells", "spells_format", "memberships", "classification", "finance", "persons"}
_REFUSION_KEYS = {"enabled", "bands", "pre_reform_share"}
_BAND_KEYS = {"from_week", "to_week", "share"}
_CASE_KEYS = {
    "id",
    "name",
    "method",
    "comparison",
    "curve",
    "durable_exit",
    "horizon",
    "cost_per_fte",
    "cost_price_year",
    "years",
    "budget_investment",
    "budget_savings",
    "planned_inflow",
    "saving_per_placement",
    "placements",
    "realised_placements",
}
_INFLOW_KEYS = {"start", "end", "per_month"}


class _Ctx:
    """Where in the file we are, for messages."""

    def __init__(self, source: Path, where: str) -> None:
        self.source = source
        self.where = where

    def error(self, key: str, msg: str) -> ConfigError:
        return ConfigError(f"{self.source}: {self.where}, key '{key}': {msg}")

    def unknown(self, table: Mapping[str, Any], allowed: set[str]) -> None:
        for key in table:
            if key not in allowed:
                close = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.6)
                hint = f" (did you mean '{close[0]}'?)" if close else f"; allowed: {sorted(allowed)}"
                raise self.error(key, f"unknown key{hint}")

    def need(self, table: Mapping[str, Any], key: str) -> Any:
        if key not in table:
            raise self.error(key, "missing")
        return table[key]

    def number(
        self,
        table: Mapping[str, Any],
        key: str,
        *,
        lo: float | None = None,
        hi: float | None = None,
        integer: bool = False,
        default: Any = ...,
    ) -> Any:
        if key not in table:
            if default is ...:
                raise self.error(key, "missing")
            return default
        v = table[key]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or (integer and not isinstance(v, int)):
            raise self.error(key, f"expected {'a whole number' if integer else 'a number'}, got {v!r}")
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            rng = f"{lo if lo is not None else '-inf'} .. {hi if hi is not None else 'inf'}"
            raise self.error(key, f"{v!r} is outside {rng}")
        return v

    def choice(self, table: Mapping[str, Any], key: str, options: tuple[str, ...], default: str) -> str:
        v = table.get(key, default)
        if v not in options:
            close = difflib.get_close_matches(str(v), options, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise self.error(key, f"{v!r} is not one of {list(options)}{hint}")
        return v

    def numbers(
        self, table: Mapping[str, Any], key: str, n: int | None = None, *, required: bool = True
    ) -> tuple[float, ...]:
        if key not in table:
            if required:
                raise self.error(key, "missing")
            return ()
        v = table[key]
        if not isinstance(v, list) or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v):
            raise self.error(key, f"expected a list of numbers, got {v!r}")
        if n is not None and len(v) != n:
            raise self.error(key, f"has {len(v)} values but 'years' has {n}; give one per year")
        return tuple(float(x) for x in v)


def _path(ctx: _Ctx, table: Mapping[str, Any], key: str, base: Path, required: bool) -> Path | None:
    if key not in table:
        if required:
            raise ctx.error(key, "missing")
        return None
    v = table[key]
    if not isinstance(v, str) or not v:
        raise ctx.error(key, f"expected a file path, got {v!r}")
    p = Path(v)
    return p if p.is_absolute() else (base / p)


def _refusion(source: Path, table: Mapping[str, Any]) -> Refusion:
    ctx = _Ctx(source, "[refusion]")
    ctx.unknown(table, _REFUSION_KEYS)
    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ctx.error("enabled", f"expected true or false, got {enabled!r}")
    bands = DEFAULT_REFUSION_BANDS
    if "bands" in table:
        raw = table["bands"]
        if not isinstance(raw, list) or not raw:
            raise ctx.error("bands", "expected a list of {from_week, to_week, share} tables")
        out = []
        for i, b in enumerate(raw, start=1):
            bctx = _Ctx(source, f"[refusion] band {i}")
            if not isinstance(b, dict):
                raise bctx.error("bands", f"expected a table, got {b!r}")
            bctx.unknown(b, _BAND_KEYS)
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


def _case(source: Path, raw: Mapping[str, Any], index: int, price_level: int) -> CaseConfig:
    ident = raw.get("id", f"#{index}")
    ctx = _Ctx(source, f"case {str(ident)!r}")
    ctx.unknown(raw, _CASE_KEYS)
    cid = ctx.need(raw, "id")
    if not isinstance(cid, (str, int)) or isinstance(cid, bool):
        raise ctx.error("id", f"expected a text or number, got {cid!r}")
    name = raw.get("name", str(cid))
    method = ctx.choice(raw, "method", ("survival", "count"), "survival")
    years_raw = ctx.need(raw, "years")
    if not isinstance(years_raw, list) or not years_raw or not all(isinstance(y, int) for y in years_raw):
        raise ctx.error("years", f"expected a list of years like [2020, 2021], got {years_raw!r}")
    if sorted(set(years_raw)) != years_raw:
        raise ctx.error("years", f"years must be increasing and distinct, got {years_raw!r}")
    years = tuple(years_raw)
    inv = ctx.numbers(raw, "budget_investment", len(years))
    sav = ctx.numbers(raw, "budget_savings", len(years))
    common = dict(id=str(cid), name=str(name), method=method, years=years, budget_investment=inv, budget_savings=sav)
    if method == "count":
        for key in ("comparison", "curve", "durable_exit", "horizon", "cost_per_fte", "planned_inflow"):
            if key in raw:
                raise ctx.error(key, 'not used by a count case (method = "count"); remove it')
        spp = ctx.number(raw, "saving_per_placement", lo=0)
        return CaseConfig(
            **common,
            saving_per_placement=float(spp),
            placements=ctx.numbers(raw, "placements", len(years)),
            realised_placements=ctx.numbers(raw, "realised_placements", required=False),
        )
    for key in ("saving_per_placement", "placements", "realised_placements"):
        if key in raw:
            raise ctx.error(key, 'only for count cases (method = "count")')
    cost = ctx.need(raw, "cost_per_fte")
    if isinstance(cost, (int, float)) and not isinstance(cost, bool):
        if cost <= 0:
            raise ctx.error("cost_per_fte", f"must be positive, got {cost!r}")
        costs = {"*": float(cost)}
    elif isinstance(cost, dict) and cost:
        costs = {}
        for k, v in cost.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0:
                raise ctx.error(f"cost_per_fte.{k}", f"expected a positive number of kroner per year, got {v!r}")
            costs[str(k)] = float(v)
    else:
        raise ctx.error(
            "cost_per_fte", f"expected kroner per year (a number) or a table by benefit group, got {cost!r}"
        )
    inflow = []
    for i, step in enumerate(raw.get("planned_inflow", []), start=1):
        sctx = _Ctx(source, f"case {str(cid)!r} planned_inflow {i}")
        if not isinstance(step, dict):
            raise sctx.error("planned_inflow", f"expected a table {{start, end, per_month}}, got {step!r}")
        sctx.unknown(step, _INFLOW_KEYS)
        start, end = sctx.need(step, "start"), sctx.need(step, "end")
        for key, v in (("start", start), ("end", end)):
            if not (
                isinstance(v, str)
                and len(v) == 7
                and v[4] == "-"
                and v[:4].isdigit()
                and v[5:].isdigit()
                and 1 <= int(v[5:]) <= 12
            ):
                raise sctx.error(key, f"expected a month YYYY-MM, got {v!r}")
        if end < start:
            raise sctx.error("end", f"{end} is before start {start}")
        inflow.append(InflowStep(start, end, float(sctx.number(step, "per_month", lo=0))))
    return CaseConfig(
        **common,
        comparison=ctx.choice(raw, "comparison", ("non_participants", "target_all", "matched"), "non_participants"),
        curve=ctx.choice(raw, "curve", ("first_exit", "occupancy"), "first_exit"),
        durable_exit=int(ctx.number(raw, "durable_exit", lo=1, integer=True, default=1)),
        horizon=int(ctx.number(raw, "horizon", lo=1, integer=True, default=36)),
        cost_per_fte=costs,
        cost_price_year=int(ctx.number(raw, "cost_price_year", integer=True, default=price_level)),
        planned_inflow=tuple(inflow),
    )


def parse_config(doc: Mapping[str, Any], source: Path) -> Portfolio:
    """Validate a parsed TOML document; see the module docstring for the layout."""
    top = _Ctx(source, "top level")
    top.unknown(doc, _SECTIONS)
    base = source.parent
    run_t = top.need(doc, "run")
    rctx = _Ctx(source, "[run]")
    rctx.unknown(run_t, _RUN_KEYS)
    price_level = rctx.number(run_t, "price_level", lo=1900, hi=2200, integer=True)
    idx_raw = rctx.need(run_t, "price_index")
    if not isinstance(idx_raw, dict) or not idx_raw:
        raise rctx.error("price_index", "expected a table of year = index, e.g. 2020 = 100.0")
    index: dict[int, float] = {}
    for k, v in idx_raw.items():
        if not str(k).isdigit():
            raise rctx.error(f"price_index.{k}", "keys must be years like 2020")
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0:
            raise rctx.error(f"price_index.{k}", f"expected a positive index, got {v!r}")
        index[int(k)] = float(v)
    if price_level not in index:
        raise rctx.error("price_index", f"has no entry for the price level year {price_level}")
    run = RunConfig(
        price_level=price_level,
        price_index=index,
        data_lag=int(rctx.number(run_t, "data_lag", lo=0, hi=24, integer=True, default=2)),
        min_persons=int(rctx.number(run_t, "min_persons", lo=1, integer=True, default=5)),
        language=rctx.choice(run_t, "language", ("da", "en"), "da"),
    )
    data_t = top.need(doc, "data")
    dctx = _Ctx(source, "[data]")
    dctx.unknown(data_t, _DATA_KEYS)
    data = DataConfig(
        spells=_path(dctx, data_t, "spells", base, True),  # type: ignore[arg-type]
        memberships=_path(dctx, data_t, "memberships", base, True),  # type: ignore[arg-type]
        spells_format=dctx.choice(data_t, "spells_format", ("long", "dream_wide"), "long"),
        classification=_path(dctx, data_t, "classification", base, False),
        finance=_path(dctx, data_t, "finance", base, False),
        persons=_path(dctx, data_t, "persons", base, False),
    )
    refusion = _refusion(source, doc.get("refusion", {}))
    raw_cases = top.need(doc, "case")
    if not isinstance(raw_cases, list) or not raw_cases:
        raise top.error("case", "expected one or more [[case]] tables")
    cases = tuple(_case(source, c, i, price_level) for i, c in enumerate(raw_cases, start=1))
    seen: set[str] = set()
    for c in cases:
        if c.id in seen:
            raise ConfigError(f"{source}: case {c.id!r}, key 'id': used by more than one case")
        seen.add(c.id)
        for y in c.years:
            if y not in index:
                raise ConfigError(f"{source}: case {c.id!r}, key 'years': no price index for {y} in [run] price_index")
        if c.cost_price_year is not None and c.cost_price_year not in index:
            raise ConfigError(
                f"{source}: case {c.id!r}, key 'cost_price_year': no price index for {c.cost_price_year} in [run] price_index"
            )
    targets = None
    if "targets" in doc:
        t = doc["targets"]
        tctx = _Ctx(source, "[targets]")
        if not isinstance(t, dict):
            raise tctx.error("targets", "expected a table")
        tctx.unknown(t, _TARGET_KEYS)
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
        targets = Targets(tuple(years_raw), reduction, others)
    return Portfolio(source, run, data, refusion, cases, targets, _engine(source, doc.get("engine", {}), base))


def _engine(source: Path, raw: Any, base: Path) -> EngineConfig:
    ctx = _Ctx(source, "[engine]")
    if not isinstance(raw, dict):
        raise ctx.error("engine", "expected a table")
    ctx.unknown(raw, _ENGINE_KEYS)
    conf = raw.get("spark_conf", {})
    if not isinstance(conf, dict) or not all(isinstance(v, (str, int, float, bool)) for v in conf.values()):
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
    )


def load_config(path: str | Path) -> Portfolio:
    """Read and validate a portfolio TOML file.

    Raises
    ------
    ConfigError
        Missing file, malformed TOML (with line and column), unknown keys (with a
        "did you mean"), wrong types or values; always naming the file, the case
        and the key.
    """
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{p}: configuration file not found.")
    try:
        doc = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{p}: not UTF-8 text: {exc}") from exc
    return parse_config(doc, p)
