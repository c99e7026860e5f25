"""Portfolio configuration: one TOML file -> validated frozen dataclasses.

A municipality's portfolio is one file (see ``examples/norddjurs.toml``)::

    [run]        price_level, price_index, data_lag, min_persons, language
    [data]       spells, spells_format, memberships, classification, finance, persons
    [refusion]   enabled, bands = [{from_week, to_week, share}, ...], pre_reform_share
    [targets]    years, reduction, other_initiatives (optional)
    [[case]]     id, name, method, comparison, curve, durable_exit, horizon,
                 tail, tail_months, month_rule, cost_per_fte, cost_price_year, years, budget_investment,
                 adjust = {method, covariates, estimand} (comparison "adjusted"), destinations,
                 budget_savings, planned_inflow (survival cases) or
                 saving_per_placement, placements (count cases)

Read with the standard library's ``tomllib``. Every error is a
:class:`ConfigError` naming the file, the case (where there is one) and the key,
and unknown keys get a "did you mean" hint. Amounts in the budget are mio. kr.
at the run's price level (savings negative, as in the Norddjurs tables); cost
per full-time person is kroner per year at ``cost_price_year``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from survival_invest.choices import COMPARISONS, CURVES, METHODS, MONTH_RULES, TAILS, Method
from survival_invest.config.adjusting import adjust_setting, check_adjusted, person_table_problems
from survival_invest.config.model import CaseConfig, ConfigError, InflowStep, Portfolio
from survival_invest.config.privacy import privacy_section
from survival_invest.config.reader import TableReader, is_number
from survival_invest.config.sections import (
    conflict_reasons,
    data_section,
    engine_conflict_message,
    engine_section,
    refusion_section,
    run_section,
    sql_engine_conflicts,
    targets_section,
)

__all__ = ["load_config", "parse_config"]

_SECTIONS = {"run", "data", "refusion", "case", "targets", "engine", "privacy"}
_CASE_KEYS = {
    "id",
    "name",
    "method",
    "comparison",
    "curve",
    "durable_exit",
    "horizon",
    "tail",
    "tail_months",
    "month_rule",
    "cost_per_fte",
    "cost_price_year",
    "years",
    "budget_investment",
    "budget_savings",
    "planned_inflow",
    "saving_per_placement",
    "placements",
    "realised_placements",
    "adjust",
    "destinations",
}
_INFLOW_KEYS = {"start", "end", "per_month"}

#: A case id: a letter or digit, then letters, digits, ``-``, ``_``, ``.``; at most 24 characters in all.
CASE_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,23}")
#: Ids a case may not have (case-insensitive): ``portfolio`` names the whole portfolio in the report and history.
RESERVED_CASE_IDS = frozenset({"portfolio"})


def _case_id(ctx: TableReader, raw: Mapping[str, Any]) -> str:
    """The case id as text; the rule (:data:`CASE_ID_PATTERN`, :data:`RESERVED_CASE_IDS`) keeps it safe as a
    file name (``case_<id>.csv``), an Excel sheet title and a spreadsheet cell."""
    cid = ctx.need(raw, "id")
    if not isinstance(cid, (str, int)) or isinstance(cid, bool):
        raise ctx.error("id", f"expected a text or whole number, got {cid!r}")
    text = str(cid)
    shown = repr(text) if len(text) <= 30 else repr(text[:24] + "…") + f" ({len(text)} characters)"
    if not CASE_ID_PATTERN.fullmatch(text):
        raise ctx.error(
            "id",
            f"{shown} is not a safe case id; expected 1 to 24 letters, digits, '-', '_' or '.', "
            'starting with a letter or digit (it names files and Excel sheets), e.g. "1" or "job-net"',
        )
    if text.lower() in RESERVED_CASE_IDS:
        raise ctx.error("id", f"{shown} is reserved (it names the whole portfolio); choose another id")
    return text


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
        if not is_number(cost) or cost <= 0:
            raise ctx.error("cost_per_fte", f"must be positive, got {cost!r}")
        return {"*": float(cost)}
    if isinstance(cost, dict) and cost:
        costs = {}
        for k, v in cost.items():
            if not is_number(v) or v <= 0:
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
    steps = raw.get("planned_inflow", [])
    if not isinstance(steps, list):
        raise TableReader(source, f"case {cid!r}").error("planned_inflow", f"expected a list of tables, got {steps!r}")
    for i, step in enumerate(steps, start=1):
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
    ident = raw.get("id", f"#{index}") if isinstance(raw, Mapping) else f"#{index}"
    ctx = TableReader(source, f"case {str(ident)[:30]!r}")
    if not isinstance(raw, Mapping):
        raise ctx.error("case", f"expected a [[case]] table, got {raw!r}")
    ctx.attempt(lambda: ctx.unknown(raw, _CASE_KEYS), None)
    cid = ctx.attempt(lambda: _case_id(ctx, raw), str(ident))
    name = raw.get("name", cid)
    if not isinstance(name, (str, int)) or isinstance(name, bool):
        ctx.problems.append(str(ctx.error("name", f"expected a text, got {name!r}")))
    survival: Method = "survival"
    method = ctx.attempt(lambda: ctx.choice(raw, "method", METHODS, "survival"), survival)
    years = ctx.attempt(lambda: _case_years(ctx, raw), ())
    n = len(years) or None
    base = CaseConfig(
        id=cid,
        name=str(name),
        method=method,
        years=years,
        budget_investment=ctx.attempt(lambda: ctx.numbers(raw, "budget_investment", n), ()),
        budget_savings=ctx.attempt(lambda: ctx.numbers(raw, "budget_savings", n), ()),
    )
    if method == "count":
        survival_keys: tuple[str, ...] = ("comparison", "curve", "durable_exit", "horizon", "tail", "tail_months")
        survival_keys += ("month_rule", "adjust", "destinations")
        for key in (*survival_keys, "cost_per_fte", "planned_inflow"):
            if key in raw:
                ctx.problems.append(str(ctx.error(key, 'not used by a count case (method = "count"); remove it')))
        spp = ctx.attempt(lambda: ctx.number(raw, "saving_per_placement", lo=0), 0.0)
        case = replace(
            base,
            saving_per_placement=float(spp),
            placements=ctx.attempt(lambda: ctx.numbers(raw, "placements", n), ()),
            realised_placements=ctx.attempt(lambda: ctx.numbers(raw, "realised_placements", required=False), ()),
        )
    else:
        case = _survival_case(ctx, source, raw, base, price_level)
    ctx.done()
    return case


def _survival_case(
    ctx: TableReader, source: Path, raw: Mapping[str, Any], base: CaseConfig, price_level: int
) -> CaseConfig:
    """The survival settings of a case (comparison, curve, costs, inflow); every problem recorded in ``ctx``."""
    for key in ("saving_per_placement", "placements", "realised_placements"):
        if key in raw:
            ctx.problems.append(str(ctx.error(key, 'only for count cases (method = "count")')))
    no_costs: dict[str, float] = {}
    case = replace(
        base,
        comparison=ctx.attempt(
            lambda: ctx.choice(raw, "comparison", COMPARISONS, "non_participants"), "non_participants"
        ),
        curve=ctx.attempt(lambda: ctx.choice(raw, "curve", CURVES, "first_exit"), "first_exit"),
        durable_exit=int(ctx.attempt(lambda: ctx.number(raw, "durable_exit", lo=1, integer=True, default=1), 1)),
        horizon=int(ctx.attempt(lambda: ctx.number(raw, "horizon", lo=1, integer=True, default=36), 36)),
        month_rule=ctx.attempt(lambda: ctx.choice(raw, "month_rule", MONTH_RULES, "any"), "any"),
        cost_per_fte=ctx.attempt(lambda: _costs(ctx, raw), no_costs),
        cost_price_year=int(
            ctx.attempt(lambda: ctx.number(raw, "cost_price_year", integer=True, default=price_level), price_level)
        ),
        planned_inflow=ctx.attempt(lambda: _inflow(source, base.id, raw), ()),
        tail=ctx.attempt(lambda: ctx.choice(raw, "tail", TAILS, "none"), "none"),
        tail_months=int(ctx.attempt(lambda: ctx.number(raw, "tail_months", lo=1, integer=True, default=12), 12)),
    )
    _check_tail(ctx, raw, case)
    case = replace(
        case,
        adjust=adjust_setting(ctx, raw, case.comparison),
        destinations=raw.get("destinations", False) is True,
    )
    check_adjusted(ctx, raw, case)
    return case


def _check_tail(ctx: TableReader, raw: Mapping[str, Any], case: CaseConfig) -> None:
    """A tail model fits first-exit hazards; ``tail_months`` belongs to the exponential tail only."""
    if case.curve == "occupancy" and case.tail not in ("none", "flat"):
        ctx.problems.append(
            str(
                ctx.error(
                    "tail",
                    f"{case.tail!r} fits first-exit hazards; an occupancy curve (curve = 'occupancy') takes "
                    "tail = 'none' or 'flat'",
                )
            )
        )
    if "tail_months" in raw and case.tail != "exponential":
        ctx.problems.append(str(ctx.error("tail_months", "used only with tail = 'exponential'; remove it")))


def _check_cases(source: Path, cases: tuple[CaseConfig, ...], index: Mapping[int, float] | None) -> list[str]:
    """Problems across cases: a repeated id, and years without a price index (``index`` None: [run] failed)."""
    problems: list[str] = []
    seen: set[str] = set()
    for c in cases:
        if c.id in seen:
            problems.append(f"{source}: case {c.id!r}, key 'id': used by more than one case")
        seen.add(c.id)
        if index is None:
            continue
        missing = [y for y in c.years if y not in index]
        if missing:
            problems.append(
                f"{source}: case {c.id!r}, key 'years': no price index for {missing[0]} in [run] price_index"
            )
        if c.cost_price_year is not None and c.cost_price_year not in index:
            problems.append(
                f"{source}: case {c.id!r}, key 'cost_price_year': no price index for {c.cost_price_year} "
                "in [run] price_index"
            )
    return problems


def parse_config(doc: Mapping[str, Any], source: Path) -> Portfolio:
    """Validate a parsed TOML document once, including the cross-checks between sections.

    Every section and every case is checked even when an earlier one failed,
    and within a case every independent key, so one pass names every problem
    it can (a section whose table is itself wrong stops at that).

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
        One problem, naming the file, the section or case and the key; or
        :class:`~survival_invest.config.reader.ConfigProblems` with every
        problem found (``problems``: one line each). Cross-check:
        ``[engine] name = "duckdb"`` or ``"spark"`` with a ``matched`` or
        ``adjusted`` case or one with ``destinations = true`` (person-level:
        the SQL engines return counts only). Numbers must be finite
        (``nan`` and ``inf`` are refused with the section and key).
    """
    top = TableReader(source, "top level")
    top.attempt(lambda: top.unknown(doc, _SECTIONS), None)
    run = top.attempt(lambda: run_section(source, top.need(doc, "run")), None)
    data = top.attempt(lambda: data_section(source, top.need(doc, "data")), None)
    refusion = top.attempt(lambda: refusion_section(source, doc.get("refusion", {})), None)
    raw_cases = doc.get("case")
    cases: tuple[CaseConfig, ...] = ()
    if not isinstance(raw_cases, list) or not raw_cases:
        top.problems.append(str(top.error("case", "expected one or more [[case]] tables")))
    else:
        level = run.price_level if run is not None else 2020
        parsed = [top.attempt(partial(_case, source, c, i, level), None) for i, c in enumerate(raw_cases, start=1)]
        cases = tuple(c for c in parsed if c is not None)
    top.problems.extend(_check_cases(source, cases, run.price_index if run is not None else None))
    top.problems.extend(person_table_problems(source, cases, data))
    targets = top.attempt(lambda: targets_section(source, doc["targets"]), None) if "targets" in doc else None
    engine = top.attempt(lambda: engine_section(source, doc.get("engine", {}), source.parent), None)
    privacy = top.attempt(lambda: privacy_section(source, doc.get("privacy", {})), None)
    conflicts = sql_engine_conflicts(cases)
    if engine is not None and engine.name in ("duckdb", "spark") and conflicts:
        top.problems.append(
            engine_conflict_message(engine.name, conflicts, f"{source}: [engine], key 'name'", conflict_reasons(cases))
        )
    if len(top.problems) == 1:
        raise ConfigError(top.problems[0])
    top.done()
    if run is None or data is None or refusion is None or engine is None or privacy is None:  # each recorded a problem
        raise ConfigError(f"{source}: invalid configuration")
    return Portfolio(source, run, data, refusion, cases, targets, engine, privacy)


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
