"""The economics of a case with ``comparison = "adjusted"``: savings from covariate-adjusted curves (issue 16).

An adjusted case compares its participants with the non-participants of its
target group (:func:`survival_invest.cohort.rules.comparison_rows`), adjusted
for the case's covariates by :func:`survival_invest.adjust.adjusted_curves`
(``adjust = { method, covariates, estimand }``, default AIPW and the ATT).
How the adjusted curves feed the economics that every other comparison uses:

* **The curves.** ``S_c(t)`` is the adjusted counterfactual curve of the
  comparison arm (ATT: the participants had they not taken part; ATE: the
  whole cohort), ``S_i(t)`` the intervention arm's (ATT: the participants' own
  curve, Kaplan-Meier-like). Both are on the duration clock ``t = 0 .. tau -
  1`` with ``tau = min(horizon, last observed)`` (the cap of
  :func:`~survival_invest.economics.horizon.case_horizon`; an adjusted case has
  no tail model) and are carried flat beyond ``tau``, as the Kaplan-Meier
  curves are.
* **Realised** (:func:`adjusted_realised`): the participants' *actual*
  counted months, cell by cell (calendar month, duration, benefit group,
  prior periods, :attr:`~survival_invest.stats.CaseStatistics.participants`),
  against the adjusted counterfactual: ``saved = n S_c(t) - o``, priced by
  :func:`~survival_invest.economics.prices.month_prices` exactly as
  :func:`~survival_invest.economics.savings.realised_savings` prices them.
* **Forecast** (:func:`adjusted_forecast`): the forecast's linear weights
  (:func:`~survival_invest.economics.forecast.case_forecast_weights`: realised
  and planned inflow, each entrant priced at its cell) times ``S_c - S_i``.
* **Intervals** from the influence function of the adjusted estimator, the
  propensity and outcome (and censoring) fits included (M-estimation,
  :mod:`survival_invest.adjust.adjusted`): a figure ``w @ (S_c - S_i)`` has
  ``Var = sum_j (IF_j @ w)^2 / n^2`` with ``IF_j`` person ``j``'s influence on
  the difference of the curves. The realised figure is the participants'
  actual months against ``w @ S_c``: its variance is the influence-function
  variance of ``w @ S_c`` plus the exact variance of the participants' own
  months inside each year's window
  (:func:`~survival_invest.economics.variance.window_variance`, as for the
  other comparisons), the two added as independent (the counterfactual's
  dependence on the participants' covariates is left out). The participants'
  curve's influence alone spread a year's randomness over every participant
  and under-covered the first year (89.6 % in the coverage study's first run).
  ``docs/comparisons.md`` has the coverage of these intervals (the IPW one
  includes the propensity fit).

Realised savings from the payment file are not used for an adjusted case (the
payments of the comparison group are not adjusted): its basis stays
``cost_per_fte``. Persons' covariates ``age``, ``age_band`` and ``sex`` come from
the person table (``[data] persons``), attached here; ``prior_weeks`` and
``benefit_group`` are the cohort's own.
"""

from __future__ import annotations

import logging
from typing import NamedTuple

import numpy as np
import pandas as pd

from survival_invest.adjust import AdjustedCurves, adjusted_curves
from survival_invest.cohort.build import Cohort
from survival_invest.config import CaseConfig, ConfigError, Portfolio, pseudonym_key
from survival_invest.config.adjusting import PERSON_TABLE_COVARIATES
from survival_invest.config.model import AdjustConfig
from survival_invest.economics.forecast import case_forecast_weights, case_horizon, inflow
from survival_invest.economics.prices import month_prices
from survival_invest.economics.savings import YearFigures
from survival_invest.economics.variance import window_variance
from survival_invest.errors import InputError
from survival_invest.io import read_persons
from survival_invest.io.privacy import IdPolicy
from survival_invest.stats import CaseStatistics, as_statistics

__all__ = [
    "AdjustedCurves",
    "AdjustedFigures",
    "adjusted_figures",
    "adjusted_forecast",
    "adjusted_persons",
    "adjusted_realised",
    "case_adjusted_curves",
]

log = logging.getLogger(__name__)

_MEASURES = ("saved_fte", "savings_kr", "refusion_part_kr")


class AdjustedFigures(NamedTuple):
    """An adjusted case's realised and forecast figures, the months of duration counted and the curves."""

    realised: YearFigures
    forecast: YearFigures
    tau: int
    curves: AdjustedCurves


def adjusted_persons(cohort: Cohort, case: CaseConfig, config: Portfolio) -> pd.DataFrame:
    """The cohort's persons with the covariates of ``case.adjust`` (the person table attached when needed).

    Parameters
    ----------
    cohort : Cohort
    case : CaseConfig
        An adjusted case (``case.adjust`` set).
    config : Portfolio
        ``[data] persons``, the id column and the privacy settings.

    Returns
    -------
    DataFrame
        ``cohort.persons`` with every covariate column.

    Raises
    ------
    ConfigError
        The case has no ``adjust`` table, or a covariate is not a column of the persons.
    """
    if case.adjust is None:
        raise ConfigError(f"{config.source}: case {case.id!r}, key 'adjust': missing for comparison = 'adjusted'.")
    persons = cohort.persons
    if any(c in PERSON_TABLE_COVARIATES for c in case.adjust.covariates) and config.data.persons is not None:
        ids = IdPolicy(pseudonym_key(config.privacy, config.source))
        table = read_persons(config.data.persons, ids=ids, id_column=config.data.id_column)
        persons = cohort.with_persons(table).persons
    missing = [c for c in case.adjust.covariates if c not in persons.columns]
    if missing:
        raise ConfigError(
            f"{config.source}: case {case.id!r}, key 'adjust.covariates': {missing[0]!r} is not a column of the "
            f"cohort's persons (columns: {sorted(map(str, persons.columns))}); age, age_band and sex need "
            "[data] persons."
        )
    return persons


def case_adjusted_curves(cohort: Cohort, case: CaseConfig, config: Portfolio, *, alpha: float = 0.05) -> AdjustedCurves:
    """The case's adjusted curves on ``t < tau`` (the capped horizon), their influence matrices kept.

    Parameters
    ----------
    cohort : Cohort
    case : CaseConfig
    config : Portfolio
    alpha : float
        1 - level of the intervals.

    Returns
    -------
    AdjustedCurves

    Raises
    ------
    ConfigError
        A weekly cohort (the adjusted curves are on the monthly clock) or a bad covariate.
    InputError
        A covariate with missing values (named, with the case).
    """
    if cohort.frequency != "month":
        raise ConfigError(
            f"{config.source}: case {case.id!r}, key 'comparison': 'adjusted' needs monthly memberships "
            f"(the adjusted curves are on the monthly clock); this case's cohort is by {cohort.frequency}."
        )
    persons = adjusted_persons(cohort, case, config)  # refuses a case without its adjust table
    adjust = case.adjust if case.adjust is not None else AdjustConfig(())
    tau = case_horizon(as_statistics(cohort), case).tau
    try:
        return adjusted_curves(
            persons,
            list(adjust.covariates),
            method=adjust.method,
            estimand=adjust.estimand,
            tau=tau,
            alpha=alpha,
            keep_influence=True,
        )
    except InputError as exc:
        raise InputError(f"case {case.id!r}, adjust = {{method = {adjust.method!r}}}: {exc}") from exc


def _on_grid(fit: AdjustedCurves, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """``S_c - S_i`` on ``t = 0 .. horizon - 1`` and its influence matrix, carried flat beyond ``tau``."""
    if fit.influence is None:
        raise InputError("adjusted curves without influence matrices: fit with keep_influence=True.")
    delta = fit.curve("comparison")["survival"].to_numpy() - fit.curve("intervention")["survival"].to_numpy()
    infl = fit.influence["comparison"] - fit.influence["intervention"]
    cols = np.minimum(np.arange(horizon), fit.tau - 1)
    return delta[cols], infl[:, cols]


def _se(infl: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """SE of ``weights @ delta`` per row of ``weights`` (Y, H): ``sqrt(sum_j (IF_j @ w)^2) / n``."""
    n = infl.shape[0]
    return np.sqrt(((infl @ weights.T) ** 2).sum(axis=0)) / n


def _participants_by_year(entrants: pd.DataFrame, years: np.ndarray) -> np.ndarray:
    """Participants who had entered by the end of each year."""
    entry_year = entrants["entry"].to_numpy() // 12
    n = entrants["n"].to_numpy().astype(np.float64)
    return np.array([n[entry_year <= y].sum() for y in years])  # a few years


def adjusted_realised(
    stats: CaseStatistics, case: CaseConfig, config: Portfolio, fit: AdjustedCurves, *, alpha: float = 0.05
) -> YearFigures:
    """Realised figures: the participants' counted months against the adjusted counterfactual (module docstring).

    Parameters
    ----------
    stats : CaseStatistics
    case : CaseConfig
    config : Portfolio
    fit : AdjustedCurves
        From :func:`case_adjusted_curves`.
    alpha : float

    Returns
    -------
    YearFigures
        Years from the first participant's entry to the cut-off's year.
    """
    h = int(case.horizon)
    part = stats.participants
    part = part[(part["t"] < h) & (part["counted"] > 0)]
    n = part["counted"].to_numpy().astype(np.float64)
    t = part["t"].to_numpy().astype(np.int64)
    comparison = fit.curve("comparison")["survival"].to_numpy()[np.minimum(np.arange(h), fit.tau - 1)]
    saved = n * comparison[t] - part["in_spell"].to_numpy().astype(np.float64)
    run = config.run
    kr, ref_w = month_prices(
        part,
        case,
        week_factor=stats.week_factor,
        price_index=run.price_index,
        price_level=run.price_level,
        refusion=config.refusion,
    )
    year = part["month"].to_numpy() // 12
    years = np.arange(int(year.min()), int(year.max()) + 1) if year.size else np.zeros(0, dtype=np.int64)
    yi = (year - (years[0] if years.size else 0)).astype(np.int64)
    if fit.influence is None:
        raise InputError("adjusted curves without influence matrices: fit with keep_influence=True.")
    infl = fit.influence["comparison"][:, np.minimum(np.arange(h), fit.tau - 1)]
    prices = np.stack([np.ones_like(kr), kr, ref_w])
    curves = stats.curves()
    own_curve = curves.survival_at(np.arange(h))[list(curves.labels).index("intervention")]
    own = window_variance(part, n, prices, own_curve, yi, years.size)  # the participants' own months, exactly
    out: dict[str, object] = {"year": years}
    for k, (col, price) in enumerate(zip(_MEASURES, prices, strict=True)):
        scale = 12.0 if k == 0 else 1.0
        wt = np.bincount(yi * h + t, weights=price * n, minlength=years.size * h).reshape(years.size, h)
        out[col] = np.bincount(yi, weights=saved * price, minlength=years.size) / scale
        out[f"{col}_se"] = np.sqrt(_se(infl, wt) ** 2 + own[k]) / scale
    out["participants"] = _participants_by_year(stats.entrants, years)
    out["months"] = np.bincount(yi, weights=n, minlength=years.size)
    return YearFigures(pd.DataFrame(out), alpha)


def adjusted_forecast(
    stats: CaseStatistics, case: CaseConfig, config: Portfolio, fit: AdjustedCurves, *, cutoff: int, alpha: float = 0.05
) -> YearFigures:
    """Forecast figures: the forecast's weights times the adjusted ``S_c - S_i`` (module docstring).

    Parameters
    ----------
    stats : CaseStatistics
    case : CaseConfig
    config : Portfolio
    fit : AdjustedCurves
    cutoff : int
        The data cut-off (month number).
    alpha : float

    Returns
    -------
    YearFigures
        One row per year of ``case.years``; no tail (``*_extrapolated`` and ``*_tail_var`` are 0).
    """
    h = int(case.horizon)
    weights = case_forecast_weights(stats, case, config, cutoff=cutoff, tau=fit.tau)
    delta, infl = _on_grid(fit, h)
    flow = inflow(stats, case, cutoff)
    entry_year = flow.index.to_numpy().astype(np.int64) // 12
    out: dict[str, object] = {"year": list(case.years)}
    for k, col in enumerate(_MEASURES):
        scale = 12.0 if k == 0 else 1.0
        out[col] = (weights[k] @ delta) / scale
        out[f"{col}_se"] = _se(infl, weights[k]) / scale
        out[f"{col}_tail_var"] = np.zeros(len(case.years))
        out[f"{col}_extrapolated"] = np.zeros(len(case.years))
    out["participants"] = [float(flow.to_numpy()[entry_year <= y].sum()) for y in case.years]
    out["months"] = weights[0].sum(axis=1)
    return YearFigures(pd.DataFrame(out), alpha)


def adjusted_figures(
    cohort: Cohort | None, case: CaseConfig, config: Portfolio, *, cutoff: int, alpha: float = 0.05
) -> AdjustedFigures:
    """Realised and forecast figures of an adjusted case, and the months of duration counted.

    Parameters
    ----------
    cohort : Cohort or None
        The case's cohort (the in-memory engine); None is refused.
    case : CaseConfig
    config : Portfolio
    cutoff : int
        The data cut-off (month number).
    alpha : float

    Returns
    -------
    AdjustedFigures

    Raises
    ------
    ConfigError
        No cohort (an SQL engine's count tables cannot be adjusted person by person).
    """
    if cohort is None:
        raise ConfigError(
            f"{config.source}: case {case.id!r} uses comparison 'adjusted', whose curves are fitted on each "
            'person\'s covariates: run it with engine = "memory" (or "auto").'
        )
    stats = as_statistics(cohort)
    fit = case_adjusted_curves(cohort, case, config, alpha=alpha)
    adjust = case.adjust
    log.info(
        "case %s: adjusted curves (%s, %s) to %d months",
        case.id,
        adjust and adjust.method,
        adjust and adjust.estimand,
        fit.tau,
    )
    real = adjusted_realised(stats, case, config, fit, alpha=alpha)
    fc = adjusted_forecast(stats, case, config, fit, cutoff=cutoff, alpha=alpha)
    return AdjustedFigures(real, fc, fit.tau, fit)
