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

A case with ``destinations = true`` adds its months by destination
(``measure = months_in_job``, ``months_in_education``, ``months_in_flex_job``,
``months_in_other``; ``kind = realised``, ``unit = months``, ``year`` = the
cut-off's year: :mod:`survival_invest.pipeline.destinations`). An adjusted case
(``comparison = "adjusted"``) has the same rows as the others, from its adjusted
curves (:mod:`survival_invest.pipeline.adjusted`).

``horizon`` and ``extrapolated`` (forecast rows of survival cases): the months
of duration counted and the part of the value from a declared tail
(:mod:`survival_invest.pipeline.horizon`).

``basis`` says what a figure rests on: ``budget`` (the config), ``finance`` (the finance extract), ``curves``
(saved full-time persons), ``cost_per_fte`` (months priced with the configured cost per full-time person: the
forecast, the refusion-reform part, and realised savings without a payment file), ``payments`` (realised savings
from the payment file, :mod:`survival_invest.economics.payments`; in-memory engine only), ``placements`` (counts).

Rules: ``net = investment + savings`` within a kind. Realised investment comes
from the finance extract (no row without one); the forecast's investment is
the budget's. Count cases (method ``count``) have realised savings =
realised placements x saving per placement, forecast = planned placements x
saving per placement, and no curve-based intervals (counts are counts).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd

from survival_invest.cohort.build import Cohort
from survival_invest.cohort.rules import refuse_empty_groups
from survival_invest.config import CaseConfig, Portfolio, load_config
from survival_invest.config.sections import person_level_reason
from survival_invest.economics.forecast import case_forecast, case_horizon, count_forecast
from survival_invest.economics.influence import needs_persons, realised_figures
from survival_invest.economics.payments import payment_savings
from survival_invest.economics.savings import YearFigures
from survival_invest.engines import portfolio_statistics
from survival_invest.errors import CohortError, InputError
from survival_invest.io.periods import RunClock
from survival_invest.io.readers import read_finance
from survival_invest.pipeline.adjusted import AdjustedCurves, adjusted_figures
from survival_invest.pipeline.destinations import destination_rows
from survival_invest.pipeline.horizon import flag_rows, horizon_notes
from survival_invest.pipeline.payments import payment_costs, with_bases
from survival_invest.stats import CaseStatistics, as_statistics
from survival_invest.stats.tables import GROUPS

__all__ = ["RESULT_COLUMNS", "PortfolioRun", "budget_results", "case_results", "run_portfolio", "run_portfolio_full"]

log = logging.getLogger(__name__)

RESULT_COLUMNS = ["case_id", "year", "measure", "kind", "value", "lower", "upper", "unit", "basis", "horizon"]
RESULT_COLUMNS += ["extrapolated"]

#: The order of measures and kinds in the results table (within case and year).
_MEASURE_ORDER = {"investment": 0, "savings": 1, "net": 2, "saved_fte": 3, "refusion_part": 4}
_KIND_ORDER = {"budget": 0, "realised": 1, "forecast": 2}

Row = dict[str, object]


@dataclass(frozen=True)
class PortfolioRun:
    """Everything one run produced: the long table plus the statistics (and, in memory, cohorts) behind it.

    ``as_of`` and ``cutoff`` are month numbers; :attr:`clock` is the run clock they came from.
    """

    results: pd.DataFrame
    statistics: dict[str, CaseStatistics]
    as_of: int
    cutoff: int
    input_rows: dict[str, int]
    engine: str = "memory"
    cohorts: dict[str, Cohort] = field(default_factory=dict)
    notes: tuple[str, ...] = ()  # warnings for the report's data-quality lines (a capped or extrapolated horizon)
    engine_inputs: dict[str, dict[str, object]] = field(default_factory=dict)  # what an SQL engine read, for run.json
    adjusted: dict[str, AdjustedCurves] = field(default_factory=dict)  # an adjusted case's curves, for its page

    @property
    def clock(self) -> RunClock:
        """The run clock: as-of month and data lag (``as_of - cutoff``), by month."""
        return RunClock(self.as_of, self.as_of - self.cutoff, "month")


def _row(
    case_id: str, year: int, measure: str, kind: str, value: float, lower: float = np.nan, upper: float = np.nan
) -> Row:
    """One results row; kroner rows (every measure but ``saved_fte``) are in million kroner."""
    unit = "fte" if measure == "saved_fte" else "mio_kr"
    return dict(
        case_id=case_id, year=year, measure=measure, kind=kind, value=value, lower=lower, upper=upper, unit=unit
    )


def _rows(case_id: str, figures: YearFigures, kind: str, years: tuple[int, ...], tau: int | None = None) -> list[Row]:
    """Saved full-time persons, savings, refusion part of ``figures`` in ``years`` (kroner negated, mio.; tau: flagged)."""
    f = figures.with_limits()
    f = f[f["year"].isin(years)]
    rows = []
    for r in f.to_dict("records"):  # a few years per case
        y = int(r["year"])
        rows.append(_row(case_id, y, "saved_fte", kind, r["saved_fte"], r["saved_fte_lower"], r["saved_fte_upper"]))
        for measure, col in (("savings", "savings_kr"), ("refusion_part", "refusion_part_kr")):  # negated, mio. kr.
            lo, hi = -r[f"{col}_upper"] / 1e6, -r[f"{col}_lower"] / 1e6
            rows.append(_row(case_id, y, measure, kind, -r[col] / 1e6, lo, hi))
    return rows if tau is None else flag_rows(rows, f, tau)


def _investment_rows(case: CaseConfig, finance: pd.DataFrame | None) -> list[Row]:
    """Realised investment (finance extract, the case's years) and the forecast's (the budget's)."""
    rows = []
    if finance is not None:
        fin = finance[finance["case_id"] == case.id]
        for r in fin.to_dict("records"):
            if r["year"] in case.years:
                rows.append(_row(case.id, int(r["year"]), "investment", "realised", r["investment_mkr"]))
    for y, inv in zip(case.years, case.budget_investment, strict=True):
        rows.append(_row(case.id, y, "investment", "forecast", inv))
    return rows


def _count_rows(case: CaseConfig, cutoff: int) -> list[Row]:
    """Savings of a count case: placements x saving per placement (realised: to the cut-off; forecast: count_forecast)."""
    spp = case.saving_per_placement or 0.0
    cut_year = cutoff // 12
    forecast = count_forecast(case, cutoff)
    rows = [_row(case.id, y, "savings", "forecast", -n * spp) for y, n in zip(case.years, forecast, strict=True)]
    for y, n in zip(case.years, case.realised_placements, strict=False):
        if y <= cut_year:
            rows.append(_row(case.id, y, "savings", "realised", -n * spp))
    return rows


def _survival_rows(
    case: CaseConfig,
    config: Portfolio,
    statistics: CaseStatistics | Cohort | None,
    cutoff: int,
    alpha: float,
    payments: pd.DataFrame | None,
    kept: dict[str, AdjustedCurves],
) -> list[Row]:
    """Realised (years to the cut-off's) and forecast figures of a survival case (``kept``: an adjusted fit)."""
    if statistics is None:
        raise CohortError(
            f"case {case.id!r} is a survival case (method 'survival') but no statistics were given: pass "
            "statistics= the case's CaseStatistics (survival_invest.engines.portfolio_statistics) or its Cohort "
            "(build_cohort), or set method = 'count' for a case followed by counting placements."
        )
    stats = as_statistics(statistics)
    refuse_empty_groups(
        case.id, {g: stats.persons(g) for g in GROUPS}, "the exclusions (no spell data, censored at entry)"
    )
    # occupancy and matched cases get the person-level variance when the cohort is at hand (economics.influence)
    cohort = statistics if isinstance(statistics, Cohort) else None
    adjusted = case.comparison == "adjusted"
    if adjusted:  # the adjusted curves through the same economics (pipeline.adjusted)
        real, fc, tau, fit = adjusted_figures(cohort, case, config, cutoff=cutoff, alpha=alpha)
        kept[case.id] = fit  # the page draws these curves (report.pages)
    else:
        real = realised_figures(stats, case, config, cohort=cohort, alpha=alpha)
        fc, tau = case_forecast(stats, case, config, cutoff=cutoff, alpha=alpha), case_horizon(stats, case).tau
    rows = _rows(case.id, real, "realised", tuple(y for y in case.years if y <= cutoff // 12))
    if payments is not None and isinstance(statistics, Cohort) and not adjusted:
        rows = _payment_rows(case, config, statistics, payments, rows, alpha)
    return rows + _rows(case.id, fc, "forecast", case.years, tau) + destination_rows(case, config, statistics, cutoff)


def _payment_rows(
    case: CaseConfig, config: Portfolio, cohort: Cohort, payments: pd.DataFrame, rows: list[Row], alpha: float
) -> list[Row]:
    """``rows`` with the realised savings replaced by those from the payment file (basis ``payments``)."""
    idx, lvl = config.run.price_index, config.run.price_level
    paid = payment_savings(cohort, payments, case, price_index=idx, price_level=lvl, alpha=alpha)
    by_year = {int(r["year"]): r for r in paid.to_dict("records")}  # a few years
    out = []
    for r in rows:
        p = by_year.get(int(r["year"]))  # type: ignore[call-overload]  # years are ints
        if r["measure"] == "savings" and p is not None:
            lo, hi = -p["savings_kr_upper"] / 1e6, -p["savings_kr_lower"] / 1e6
            r = {
                **_row(case.id, int(p["year"]), "savings", "realised", -p["savings_kr"] / 1e6, lo, hi),
                "basis": "payments",
            }
        out.append(r)
    return out


def case_results(
    case: CaseConfig,
    config: Portfolio,
    *,
    statistics: CaseStatistics | Cohort | None,
    finance: pd.DataFrame | None,
    cutoff: int | None = None,
    clock: RunClock | None = None,
    alpha: float = 0.05,
    payments: pd.DataFrame | None = None,
    adjusted: dict[str, AdjustedCurves] | None = None,
) -> pd.DataFrame:
    """The long results rows of one case (see the module docstring).

    Parameters
    ----------
    case : CaseConfig
    config : Portfolio
        Price index, price level and refusion of the run.
    statistics : CaseStatistics, Cohort or None
        The case's statistics (or cohort); None only for a count case.
    finance : DataFrame or None
        The finance extract (``case_id, year, investment_mkr``).
    cutoff : int, optional
        The data cut-off (month number); kept for callers from before the run clock.
    clock : RunClock, optional
        The run clock; its ``cutoff`` is used. Give ``clock`` or ``cutoff``.
    alpha : float
        1 - confidence level of the intervals.
    payments : DataFrame, optional
        The net cost per person and month (:func:`survival_invest.io.payments.monthly_net`):
        realised savings from payments when ``statistics`` is the case's cohort.
    adjusted : dict, optional
        An adjusted case's :class:`~survival_invest.adjust.AdjustedCurves` are stored in it under the case id.

    Returns
    -------
    DataFrame
        Columns :data:`RESULT_COLUMNS`, with ``net = investment + savings`` per kind and year.

    Raises
    ------
    InputError
        Neither or disagreeing ``clock`` and ``cutoff``.
    CohortError
        A survival case without statistics.
    """
    if clock is not None:
        if cutoff is not None and cutoff != clock.cutoff:
            raise InputError(f"case_results: cutoff={cutoff} disagrees with the clock's cut-off {clock.describe()}.")
        cutoff = clock.cutoff
    if cutoff is None:
        raise InputError("case_results needs the run clock: pass clock= (RunClock.parse(as_of, data_lag)).")
    rows = _budget_rows(case) + _investment_rows(case, finance)
    if case.method == "count":
        rows += _count_rows(case, cutoff)
    else:
        rows += _survival_rows(case, config, statistics, cutoff, alpha, payments, {} if adjusted is None else adjusted)
    return with_bases(_with_net(pd.DataFrame(rows, columns=RESULT_COLUMNS), case.id), case)


def _budget_rows(case: CaseConfig) -> list[Row]:
    """The budget's investment and savings of every year of the case."""
    rows = []
    for y, inv, sav in zip(case.years, case.budget_investment, case.budget_savings, strict=True):
        rows.append(_row(case.id, y, "investment", "budget", inv))
        rows.append(_row(case.id, y, "savings", "budget", sav))
    return rows


def budget_results(config: Portfolio) -> pd.DataFrame:
    """The budget rows (investment, savings, net) of every case, from the config alone."""
    frames = [
        with_bases(_with_net(pd.DataFrame(_budget_rows(c), columns=RESULT_COLUMNS), c.id), c) for c in config.cases
    ]
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
        for col in ("horizon", "extrapolated"):  # net = investment + savings: the savings' horizon and tail part
            extra[col] = sav.reindex(key)[col].to_numpy() if col in sav.columns else np.nan
        out = pd.concat([out, extra], ignore_index=True)
    return out


def run_portfolio(
    config: Portfolio | str, as_of: str | int | RunClock, *, alpha: float = 0.05, engine: str | None = None
) -> pd.DataFrame:
    """Run every case of the portfolio for the as-of month; return the long results table.

    Parameters
    ----------
    config : Portfolio or path
        From :func:`survival_invest.load_config` (or the path of the TOML file).
    as_of : str, int or RunClock
        The run's month (``YYYY-MM``, a month number, or a clock with the
        config's data lag); the data cut-off is ``as_of - data_lag``.
    alpha : float
        1 - confidence level of the intervals (delta method from the curves).
    engine : str, optional
        ``memory``, ``duckdb``, ``spark`` or ``auto`` (default: the config's ``[engine]``).

    Returns
    -------
    DataFrame
        Columns ``case_id, year, measure, kind, value, lower, upper, unit``, unrounded.
    """
    return run_portfolio_full(config, as_of, alpha=alpha, engine=engine).results


def run_portfolio_full(
    config: Portfolio | str, as_of: str | int | RunClock, *, alpha: float = 0.05, engine: str | None = None
) -> PortfolioRun:
    """As :func:`run_portfolio`, also returning the statistics (and in-memory cohorts) behind the figures.

    The as-of month is parsed once into a :class:`~survival_invest.io.periods.RunClock`
    with the config's data lag, and that clock is passed to the engine and every case.

    Parameters
    ----------
    config : Portfolio or path
    as_of : str, int or RunClock
    alpha : float
    engine : str, optional
        ``memory``, ``duckdb``, ``spark`` or ``auto`` (default: the config's
        ``[engine]``; see :mod:`survival_invest.engines`). Every engine gives
        the same figures.

    Returns
    -------
    PortfolioRun
    """
    if not isinstance(config, Portfolio):
        config = load_config(config)
    clock = RunClock.parse(as_of, config.run.data_lag, "month")
    finance = read_finance(config.data.finance) if config.data.finance else None
    ran = portfolio_statistics(config, clock, engine)
    payments = payment_costs(config, ran.engine)
    frames, adjusted = [], dict[str, AdjustedCurves]()  # adjusted: case id -> its curves (case_results fills it)
    results_of = partial(case_results, finance=finance, clock=clock, alpha=alpha, payments=payments, adjusted=adjusted)
    for case in config.cases:  # a handful of cases; each is vectorised inside
        wants_cohort = payments is not None or needs_persons(case) or person_level_reason(case) is not None
        stats: CaseStatistics | Cohort | None = ran.cohorts.get(case.id) if wants_cohort else None
        stats = stats if stats is not None else ran.statistics.get(case.id)
        frames.append(results_of(case, config, statistics=stats))
        log.info("case %s done (%s engine)", case.id, ran.engine)
    results = _in_order(pd.concat(frames, ignore_index=True))
    input_rows = dict(ran.input_rows)
    if finance is not None:
        input_rows["finance"] = len(finance)
    if payments is not None:
        input_rows["payments"] = len(payments)
    notes = horizon_notes(config, ran.statistics)
    run = (results, ran.statistics, clock.as_of, clock.cutoff, input_rows, ran.engine, ran.cohorts, notes, ran.inputs)
    return PortfolioRun(*run, adjusted)


def _in_order(results: pd.DataFrame) -> pd.DataFrame:
    """Rows sorted by case, year, measure (investment, savings, net, saved_fte, refusion_part) and kind."""

    def key(s: pd.Series) -> pd.Series:
        """Sort key of a column: the rank of a measure or kind, other columns as they are."""
        if s.name == "measure":
            return s.map(_MEASURE_ORDER)
        return s.map(_KIND_ORDER) if s.name == "kind" else s

    return results.sort_values(["case_id", "year", "measure", "kind"], key=key).reset_index(drop=True)
