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

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from survival_invest.choices import COMPARISONS, CURVES, METHODS
from survival_invest.config.model import CaseConfig, ConfigError, InflowStep, Portfolio
from survival_invest.config.reader import TableReader
from survival_invest.config.sections import (
    data_section,
    engine_conflict_message,
    engine_section,
    refusion_section,
    run_section,
    sql_engine_conflicts,
    targets_section,
)

__all__ = ["load_config", "parse_config"]

_SECTIONS = {"run", "data", "refusion", "case", "targets", "engine"}
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


def _case_years(ctx: TableReader, raw: Mapping[str, Any]) -> tuple[int, ...]:
    years_raw = ctx.need(raw, "years")
    if not isinstance(years_raw, list) or not years_raw or not all(isinstance(y, int) for y in years_raw):
        raise ctx.error("years", f"expected a list of years like [2020, 2021], got {years_raw!r}")
    if sorted(set(years_raw)) != years_raw:
        raise ctx.error("years", f"years must be increasing and distinct, got {years_raw!r}")
    return tuple(years_raw)


def _costs(ctx: TableReader, raw: Mapping[str, Any]) -> dict[str, float]:
    """``cost_per_fte``: one figure (key ``"*"``) or a table by benefit group, kroner per year, positive."""
    cost = ctx.need(raw, "cost_per_fte")
    if isinstance(cost, (int, float)) and not isinstance(cost, bool):
        if cost <= 0:
            raise ctx.error("cost_per_fte", f"must be positive, got {cost!r}")
        return {"*": float(cost)}
    if isinstance(cost, dict) and cost:
        costs = {}
        for k, v in cost.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0:
                raise ctx.error(f"cost_per_fte.{k}", f"expected a positive number of kroner per year, got {v!r}")
            costs[str(k)] = float(v)
        return costs
    raise ctx.error("cost_per_fte", f"expected kroner per year (a number) or a table by benefit group, got {cost!r}")


def _is_month(v: object) -> bool:
    return (
        isinstance(v, str)
        and len(v) == 7
        and v[4] == "-"
        and v[:4].isdigit()
        and v[5:].isdigit()
        and 1 <= int(v[5:]) <= 12
    )


def _inflow(source: Path, cid: str, raw: Mapping[str, Any]) -> tuple[InflowStep, ...]:
    inflow = []
    for i, step in enumerate(raw.get("planned_inflow", []), start=1):
        sctx = TableReader(source, f"case {cid!r} planned_inflow {i}")
        if not isinstance(step, dict):
            raise sctx.error("planned_inflow", f"expected a table {{start, end, per_month}}, got {step!r}")
        sctx.unknown(step, _INFLOW_KEYS)
        start, end = sctx.need(step, "start"), sctx.need(step, "end")
        for key, v in (("start", start), ("end", end)):
            if not _is_month(v):
                raise sctx.error(key, f"expected a month YYYY-MM, got {v!r}")
        if end < start:
            raise sctx.error("end", f"{end} is before start {start}")
        inflow.append(InflowStep(start, end, float(sctx.number(step, "per_month", lo=0))))
    return tuple(inflow)


def _case(source: Path, raw: Mapping[str, Any], index: int, price_level: int) -> CaseConfig:
    ident = raw.get("id", f"#{index}")
    ctx = TableReader(source, f"case {str(ident)!r}")
    ctx.unknown(raw, _CASE_KEYS)
    cid = ctx.need(raw, "id")
    if not isinstance(cid, (str, int)) or isinstance(cid, bool):
        raise ctx.error("id", f"expected a text or number, got {cid!r}")
    name = raw.get("name", str(cid))
    method = ctx.choice(raw, "method", METHODS, "survival")
    years = _case_years(ctx, raw)
    inv = ctx.numbers(raw, "budget_investment", len(years))
    sav = ctx.numbers(raw, "budget_savings", len(years))
    common = dict(id=str(cid), name=str(name), method=method, years=years, budget_investment=inv, budget_savings=sav)
    if method == "count":
        for key in ("comparison", "curve", "durable_exit", "horizon", "cost_per_fte", "planned_inflow"):
            if key in raw:
                raise ctx.error(key, 'not used by a count case (method = "count"); remove it')
        spp = ctx.number(raw, "saving_per_placement", lo=0)
        return CaseConfig(
            **common,  # type: ignore[arg-type]  # the dict's values are typed per key above
            saving_per_placement=float(spp),
            placements=ctx.numbers(raw, "placements", len(years)),
            realised_placements=ctx.numbers(raw, "realised_placements", required=False),
        )
    for key in ("saving_per_placement", "placements", "realised_placements"):
        if key in raw:
            raise ctx.error(key, 'only for count cases (method = "count")')
    costs = _costs(ctx, raw)
    return CaseConfig(
        **common,  # type: ignore[arg-type]  # the dict's values are typed per key above
        comparison=ctx.choice(raw, "comparison", COMPARISONS, "non_participants"),
        curve=ctx.choice(raw, "curve", CURVES, "first_exit"),
        durable_exit=int(ctx.number(raw, "durable_exit", lo=1, integer=True, default=1)),
        horizon=int(ctx.number(raw, "horizon", lo=1, integer=True, default=36)),
        cost_per_fte=costs,
        cost_price_year=int(ctx.number(raw, "cost_price_year", integer=True, default=price_level)),
        planned_inflow=_inflow(source, str(cid), raw),
    )


def _check_cases(source: Path, cases: tuple[CaseConfig, ...], index: Mapping[int, float]) -> None:
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


def parse_config(doc: Mapping[str, Any], source: Path) -> Portfolio:
    """Validate a parsed TOML document once, including the cross-checks between sections.

    Parameters
    ----------
    doc : mapping
        The document as :mod:`tomllib` parsed it.
    source : Path
        The file it came from: named in every message, and the base of relative paths.

    Returns
    -------
    Portfolio

    Raises
    ------
    ConfigError
        The first problem, naming the file, the section or case and the key.
        Cross-check: ``[engine] name = "duckdb"`` or ``"spark"`` with a
        ``matched`` case (the SQL engines cannot match sequentially).
    """
    top = TableReader(source, "top level")
    top.unknown(doc, _SECTIONS)
    run = run_section(source, top.need(doc, "run"))
    data = data_section(source, top.need(doc, "data"))
    refusion = refusion_section(source, doc.get("refusion", {}))
    raw_cases = top.need(doc, "case")
    if not isinstance(raw_cases, list) or not raw_cases:
        raise top.error("case", "expected one or more [[case]] tables")
    cases = tuple(_case(source, c, i, run.price_level) for i, c in enumerate(raw_cases, start=1))
    _check_cases(source, cases, run.price_index)
    targets = targets_section(source, doc["targets"]) if "targets" in doc else None
    engine = engine_section(source, doc.get("engine", {}), source.parent)
    conflicts = sql_engine_conflicts(cases)
    if engine.name in ("duckdb", "spark") and conflicts:
        raise ConfigError(engine_conflict_message(engine.name, conflicts, f"{source}: [engine], key 'name'"))
    return Portfolio(source, run, data, refusion, cases, targets, engine)


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
