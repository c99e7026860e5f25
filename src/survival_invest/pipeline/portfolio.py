"""Run a whole portfolio: config + extracts -> the long results table.

``run_portfolio(config, as_of)`` reads the data named in the config, builds
every survival case's cohort, computes realised and forecast figures
(:mod:`survival_invest.economics`) and returns one long, unrounded table from
which every report table is made:

``case_id, year, measure, kind, value, lower, upper, unit``

* ``measure``: ``investment``, ``savings``, ``net``, ``saved_fte``, ``refusion_part``;
* ``kind``: ``budget`` (from the config), ``realised`` (to the data cut-off; a
  year in progress is year-to-date), ``forecast`` (curve-based, the whole year);
* ``unit``: ``mio_kr`` (at the run's price level; savings and refusion part
  negative, as in the Norddjurs tables) or ``fte``.

Rules: ``net = investment + savings`` within a kind. Realised investment comes
from the finance extract (no row without one); the forecast's investment is
the budget's. Count cases (method ``count``) have realised savings =
realised placements x saving per placement, forecast = planned placements x
saving per placement, and no curve-based intervals (counts are counts).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from survival_invest.cohort.build import Cohort
from survival_invest.config import CaseConfig, Portfolio, load_config
from survival_invest.economics.savings import (
    YearFigures,
    forecast_savings,
    monthly_costs,
    occupancy_on_grid,
    realised_savings,
)
from survival_invest.io.periods import parse_as_of
from survival_invest.io.readers import read_finance
from survival_invest.stats import CaseStatistics, case_statistics

__all__ = ["RESULT_COLUMNS", "PortfolioRun", "budget_results", "case_results", "run_portfolio", "run_portfolio_full"]

log = logging.getLogger(__name__)

RESULT_COLUMNS = ["case_id", "year", "measure", "kind", "value", "lower", "upper", "unit"]


@dataclass(frozen=True)
class PortfolioRun:
    """Everything one run produced: the long table plus the statistics (and, in memory, cohorts) behind it."""

    results: pd.DataFrame
    statistics: dict[str, CaseStatistics]
    as_of: int
    cutoff: int
    input_rows: dict[str, int]
    engine: str = "memory"
    cohorts: dict[str, Cohort] = field(default_factory=dict)


def _inflow(stats: CaseStatistics, case: CaseConfig, cutoff: int) -> pd.Series:
    """Participants entering per month: realised up to the cut-off, planned (config) after it."""
    realised = stats.entrants.groupby("entry")["n"].sum().astype(float)
    planned = {}
    for step in case.planned_inflow:
        start, end = parse_as_of(step.start, "month"), parse_as_of(step.end, "month")
        for m in range(max(start, cutoff + 1), end + 1):  # months of a plan, not persons
            planned[m] = planned.get(m, 0.0) + step.per_month
    return pd.concat([realised, pd.Series(planned, dtype=float)]).groupby(level=0).sum().sort_index()


def _curves_on_grid(stats: CaseStatistics, case: CaseConfig):
    """S and Greenwood V (or occupancy shares and their unit variance) at t = 0 .. horizon-1."""
    grid = np.arange(case.horizon)
    if case.curve == "occupancy":
        occ = occupancy_on_grid(stats, case.horizon)
        unit = occ["comparison"][1] + occ["intervention"][1]
        return occ["comparison"][0], None, occ["intervention"][0], None, unit
    curves = stats.curves()
    s = curves.survival_at(grid)
    v = curves.greenwood_at(grid)
    ic = list(curves.labels).index("comparison")
    ii = list(curves.labels).index("intervention")
    return s[ic], v[ic], s[ii], v[ii], None


def _rows(case_id: str, figures: YearFigures, kind: str, years: tuple[int, ...]) -> list[dict]:
    f = figures.with_limits()
    f = f[f["year"].isin(years)]
    rows = []
    for r in f.itertuples(index=False):  # a few years per case
        rows.append(
            dict(
                case_id=case_id,
                year=int(r.year),
                measure="saved_fte",
                kind=kind,
                value=r.saved_fte,
                lower=r.saved_fte_lower,
                upper=r.saved_fte_upper,
                unit="fte",
            )
        )
        rows.append(
            dict(
                case_id=case_id,
                year=int(r.year),
                measure="savings",
                kind=kind,
                value=-r.savings_kr / 1e6,
                lower=-r.savings_kr_upper / 1e6,
                upper=-r.savings_kr_lower / 1e6,
                unit="mio_kr",
            )
        )
        rows.append(
            dict(
                case_id=case_id,
                year=int(r.year),
                measure="refusion_part",
                kind=kind,
                value=-r.refusion_part_kr / 1e6,
                lower=-r.refusion_part_kr_upper / 1e6,
                upper=-r.refusion_part_kr_lower / 1e6,
                unit="mio_kr",
            )
        )
    return rows


def case_results(
    case: CaseConfig,
    config: Portfolio,
    *,
    statistics: CaseStatistics | Cohort | None,
    finance: pd.DataFrame | None,
    cutoff: int,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """The long results rows of one case (see the module docstring)."""
    rows: list[dict] = _budget_rows(case)
    if finance is not None:
        fin = finance[finance["case_id"] == case.id]
        for r in fin.itertuples(index=False):
            if r.year in case.years:
                rows.append(
                    dict(
                        case_id=case.id,
                        year=int(r.year),
                        measure="investment",
                        kind="realised",
                        value=r.investment_mkr,
                        lower=np.nan,
                        upper=np.nan,
                        unit="mio_kr",
                    )
                )
    for y, inv in zip(case.years, case.budget_investment, strict=True):
        rows.append(
            dict(
                case_id=case.id,
                year=y,
                measure="investment",
                kind="forecast",
                value=inv,
                lower=np.nan,
                upper=np.nan,
                unit="mio_kr",
            )
        )
    cut_year = cutoff // 12
    if case.method == "count":
        spp = case.saving_per_placement or 0.0
        for y, n in zip(case.years, case.placements, strict=True):
            rows.append(
                dict(
                    case_id=case.id,
                    year=y,
                    measure="savings",
                    kind="forecast",
                    value=-n * spp,
                    lower=np.nan,
                    upper=np.nan,
                    unit="mio_kr",
                )
            )
        for y, n in zip(case.years, case.realised_placements, strict=False):
            if y <= cut_year:
                rows.append(
                    dict(
                        case_id=case.id,
                        year=y,
                        measure="savings",
                        kind="realised",
                        value=-n * spp,
                        lower=np.nan,
                        upper=np.nan,
                        unit="mio_kr",
                    )
                )
    else:
        assert statistics is not None
        stats = statistics if isinstance(statistics, CaseStatistics) else case_statistics(statistics)
        idx, lvl = config.run.price_index, config.run.price_level
        real = realised_savings(stats, case, price_index=idx, price_level=lvl, refusion=config.refusion, alpha=alpha)
        rows += _rows(case.id, real, "realised", tuple(y for y in case.years if y <= cut_year))
        sc, vc, si_, vi, unit = _curves_on_grid(stats, case)
        ent = stats.entrants
        n_ent = ent["n"].to_numpy().astype(np.float64)
        costs = monthly_costs(ent, case, idx, lvl)
        total = float(n_ent.sum())
        # entrants are priced at the participants' mean monthly cost and mean prior weeks
        monthly_cost = float(costs @ n_ent) / total if total else case.cost_for(None) / 12.0
        prior = float((ent["prior_periods"].to_numpy() * stats.week_factor) @ n_ent) / total if total else 0.0
        fc = forecast_savings(
            sc,
            vc,
            si_,
            vi,
            _inflow(stats, case, cutoff),
            case.years,
            monthly_cost=monthly_cost,
            prior_weeks=prior,
            refusion=config.refusion,
            alpha=alpha,
            unit_variance=unit,
        )
        rows += _rows(case.id, fc, "forecast", case.years)
    return _with_net(pd.DataFrame(rows, columns=RESULT_COLUMNS), case.id)


def _budget_rows(case: CaseConfig) -> list[dict]:
    rows = []
    for y, inv, sav in zip(case.years, case.budget_investment, case.budget_savings, strict=True):
        rows.append(
            dict(
                case_id=case.id,
                year=y,
                measure="investment",
                kind="budget",
                value=inv,
                lower=np.nan,
                upper=np.nan,
                unit="mio_kr",
            )
        )
        rows.append(
            dict(
                case_id=case.id,
                year=y,
                measure="savings",
                kind="budget",
                value=sav,
                lower=np.nan,
                upper=np.nan,
                unit="mio_kr",
            )
        )
    return rows


def budget_results(config: Portfolio) -> pd.DataFrame:
    """The budget rows (investment, savings, net) of every case, from the config alone."""
    frames = [_with_net(pd.DataFrame(_budget_rows(c), columns=RESULT_COLUMNS), c.id) for c in config.cases]
    return pd.concat(frames, ignore_index=True)


def _with_net(out: pd.DataFrame, case_id: str) -> pd.DataFrame:
    """Add ``net = investment + savings`` within each kind and year where both exist."""
    piv = out[out["measure"].isin(["investment", "savings"])].pivot_table(
        index=["year", "kind"], columns="measure", values="value", aggfunc="sum"
    )
    if {"investment", "savings"} <= set(piv.columns):
        net = piv.dropna(subset=["investment", "savings"])
        extra = pd.DataFrame(
            {
                "case_id": case_id,
                "year": net.index.get_level_values("year").astype(int),
                "measure": "net",
                "kind": net.index.get_level_values("kind"),
                "value": (net["investment"] + net["savings"]).to_numpy(),
                "lower": np.nan,
                "upper": np.nan,
                "unit": "mio_kr",
            }
        )
        # the interval of net is the savings' interval shifted by the (certain) investment
        sav = out[out["measure"] == "savings"].set_index(["year", "kind"])
        key = list(zip(extra["year"], extra["kind"], strict=True))
        inv = net["investment"].to_numpy()
        extra["lower"] = sav.reindex(key)["lower"].to_numpy() + inv
        extra["upper"] = sav.reindex(key)["upper"].to_numpy() + inv
        out = pd.concat([out, extra], ignore_index=True)
    return out


def run_portfolio(
    config: Portfolio | str, as_of: str | int, *, alpha: float = 0.05, engine: str | None = None
) -> pd.DataFrame:
    """Run every case of the portfolio for the as-of month; return the long results table.

    Parameters
    ----------
    config : Portfolio or path
        From :func:`survival_invest.load_config` (or the path of the TOML file).
    as_of : str or int
        The run's month (``YYYY-MM``); the data cut-off is ``as_of - data_lag``.
    alpha : float
        1 - confidence level of the intervals (delta method from the curves).

    Returns
    -------
    DataFrame
        Columns ``case_id, year, measure, kind, value, lower, upper, unit``, unrounded.
    """
    return run_portfolio_full(config, as_of, alpha=alpha, engine=engine).results


def run_portfolio_full(
    config: Portfolio | str, as_of: str | int, *, alpha: float = 0.05, engine: str | None = None
) -> PortfolioRun:
    """As :func:`run_portfolio`, also returning the statistics (and in-memory cohorts) behind the figures.

    ``engine``: ``memory``, ``duckdb``, ``spark`` or ``auto`` (default: the
    config's ``[engine]``; see :mod:`survival_invest.engines`). Every engine
    gives the same figures.
    """
    from survival_invest.engines import portfolio_statistics

    if not isinstance(config, Portfolio):
        config = load_config(config)
    as_of_p = parse_as_of(as_of, "month")
    cutoff = as_of_p - config.run.data_lag
    finance = read_finance(config.data.finance) if config.data.finance else None
    ran = portfolio_statistics(config, as_of_p, engine)
    frames = []
    for case in config.cases:  # a handful of cases; each is vectorised inside
        stats = ran.statistics.get(case.id)
        frames.append(case_results(case, config, statistics=stats, finance=finance, cutoff=cutoff, alpha=alpha))
        log.info("case %s done (%s engine)", case.id, ran.engine)
    results = pd.concat(frames, ignore_index=True)
    order = {"investment": 0, "savings": 1, "net": 2, "saved_fte": 3, "refusion_part": 4}
    kinds = {"budget": 0, "realised": 1, "forecast": 2}
    results = results.sort_values(
        ["case_id", "year", "measure", "kind"],
        key=lambda s: s.map(order) if s.name == "measure" else (s.map(kinds) if s.name == "kind" else s),
    ).reset_index(drop=True)
    input_rows = dict(ran.input_rows)
    if finance is not None:
        input_rows["finance"] = len(finance)
    return PortfolioRun(results, ran.statistics, as_of_p, cutoff, input_rows, ran.engine, ran.cohorts)
