"""Forecast savings: curve-based saved full-time persons and kroner of the whole inflow, per calendar year.

Definition (DOMAIN.md, "From curves to kroner")
-----------------------------------------------
With the inflow ``n_e`` of participants by calendar month (realised entries up
to the cut-off, the configured planned inflow after it: :func:`inflow`)::

    saved(m) = sum_e n_e [S_comparison(m - e) - S_intervention(m - e)],  0 <= m - e < tau

a convolution over durations ``t = m - e``. The forecast of a year is the
curve-based figure for all its months, so for a year already observed it
estimates the same quantity as the realised figure.

Horizon and tail (:func:`case_horizon`, ``docs/extrapolation.md``)
------------------------------------------------------------------
``last observed`` is the smaller of the two groups' largest observed durations
(an exit or a censoring, as survRM2 counts it). Without a declared tail
(``tail = "none"``, the default) ``tau = min(horizon, last observed)``: nothing
is counted at or beyond the cap, and a warning says so (:func:`horizon_warnings`).
With a declared tail ``tau = horizon`` and each group's curve beyond its own
last observed duration comes from the tail model
(:mod:`survival_invest.estimate.tails`: ``flat``, ``exponential`` on the last
``tail_months`` months, ``weibull``, ``loglogistic``), its parameters'
uncertainty carried into the delta-method variance. Occupancy curves take
``none`` or ``flat`` only.

Prices (:func:`entrant_price_mass`)
-----------------------------------
A realised entrant is priced at its own cell: its benefit group's monthly cost
times the municipal net share at its own week of support ``prior_weeks +
52/12 t + 1`` (:func:`~survival_invest.economics.prices.month_prices`, the
realised figures' rule). A planned entrant is priced at the realised entrants'
*average price per duration* (the mean of the price over their cells, not the
price at their mean prior weeks, which is what the refusion staircase makes
different); without realised entrants, at the unknown benefit group's cost
and 0 prior weeks. :func:`entrant_prices` (the mean cost and mean prior weeks)
is kept for callers of :func:`forecast_savings`.

Variance: the delta method, both groups' variances added (independent
groups); first exit: Greenwood plus the tail model's part
(:func:`~survival_invest.estimate.tails.extended_variance`); occupancy: the
per-duration binomial variances summed. The inflow and prices are held fixed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from survival_invest.config import CaseConfig, Portfolio, Refusion
from survival_invest.economics.entrants import convolve_inflow, entrant_price_mass, entrant_prices, inflow
from survival_invest.economics.horizon import (
    CaseHorizon,
    ForecastCurves,
    GridCurves,
    case_horizon,
    curves_on_grid,
    forecast_curves,
    horizon_warnings,
)
from survival_invest.economics.prices import WEEKS_PER_MONTH, net_factors
from survival_invest.economics.savings import YearFigures, curve_variance
from survival_invest.errors import InputError
from survival_invest.estimate.tails import extended_variance
from survival_invest.stats import CaseStatistics

__all__ = [
    "CaseHorizon",
    "ForecastCurves",
    "GridCurves",
    "case_forecast",
    "case_forecast_weights",
    "case_horizon",
    "count_forecast",
    "curves_on_grid",
    "entrant_price_mass",
    "entrant_prices",
    "forecast_curves",
    "forecast_savings",
    "forecast_weights",
    "horizon_warnings",
    "inflow",
]


def case_forecast_weights(
    stats: CaseStatistics, case: CaseConfig, config: Portfolio, *, cutoff: int, tau: int | None = None
) -> np.ndarray:
    """The linear weights of a case's forecast, ``figures = weights @ (S_c - S_i)``, on ``t < case.horizon``.

    Realised and planned inflow, each entrant priced by :func:`entrant_price_mass`;
    durations ``t >= tau`` get weight 0 (the cap, :func:`case_horizon`).

    Parameters
    ----------
    stats : CaseStatistics
    case : CaseConfig
    config : Portfolio
        Price index, price level and refusion.
    cutoff : int
        The data cut-off (month number).
    tau : int, optional
        Durations counted (default: :func:`case_horizon`'s ``tau``).

    Returns
    -------
    ndarray, shape (3, len(case.years), case.horizon)
        Saved months, kroner and the refusion-reform part, as :func:`forecast_weights`.
    """
    h = int(case.horizon)
    tau = case_horizon(stats, case).tau if tau is None else int(tau)
    flow = inflow(stats, case, cutoff)
    first = min(int(flow.index.min()) if len(flow) else case.years[0] * 12, case.years[0] * 12)
    months = np.arange(first, case.years[-1] * 12 + 12)
    w = convolve_inflow(
        entrant_price_mass(stats, case, config, cutoff=cutoff, months=months, horizon=h), months, case.years, h
    )
    w[:, :, tau:] = 0.0
    return w


def _case_figures(
    weights: np.ndarray, curves: ForecastCurves, flow: pd.Series, years: tuple[int, ...], alpha: float
) -> YearFigures:
    """The forecast's rows from its weights and curves (variance: module docstring)."""
    c, i = curves.comparison, curves.intervention
    delta = c.survival - i.survival
    beyond = (c.extrapolated | i.extrapolated).astype(np.float64)
    entry_year = flow.index.to_numpy().astype(np.int64) // 12
    out: dict[str, object] = {"year": list(years)}
    for k, col in enumerate(("saved_fte", "savings_kr", "refusion_part_kr")):
        w = weights[k]
        scale = 12.0 if k == 0 else 1.0
        if curves.unit_variance is not None:
            var, tail = (w * w) @ curves.unit_variance, np.zeros(len(years))
        else:
            vc, tc = extended_variance(w, c)
            vi, ti = extended_variance(w, i)
            var, tail = vc + vi, tc + ti
        out[col] = (w @ delta) / scale
        out[f"{col}_se"] = np.sqrt(np.maximum(var, 0.0)) / scale
        out[f"{col}_tail_var"] = tail / scale**2
        out[f"{col}_extrapolated"] = (w @ (delta * beyond)) / scale
    out["participants"] = [float(flow.to_numpy()[entry_year <= y].sum()) for y in years]
    out["months"] = weights[0].sum(axis=1)
    return YearFigures(pd.DataFrame(out), alpha)


def case_forecast(
    stats: CaseStatistics, case: CaseConfig, config: Portfolio, *, cutoff: int, alpha: float = 0.05
) -> YearFigures:
    """The published forecast of a survival case: its curves (capped or with their tail), inflow and prices.

    Columns as :func:`forecast_savings`, plus per measure ``<m>_extrapolated``
    (the part of the figure from durations beyond a group's last observed one)
    and ``<m>_tail_var`` (the tail model's part of the variance).

    Parameters
    ----------
    stats : CaseStatistics
    case : CaseConfig
        Horizon, tail, curve, years, planned inflow and costs.
    config : Portfolio
        Price index, price level and refusion of the run.
    cutoff : int
        The data cut-off (month number) between realised and planned inflow.
    alpha : float
        1 - level of the intervals.

    Returns
    -------
    YearFigures
        One row per year of ``case.years``.
    """
    curves = forecast_curves(stats, case)
    weights = case_forecast_weights(stats, case, config, cutoff=cutoff, tau=curves.horizon.tau)
    return _case_figures(weights, curves, inflow(stats, case, cutoff), case.years, alpha)


def count_forecast(case: CaseConfig, cutoff: int) -> tuple[float, ...]:
    """Placements per year of a count case's forecast: realised where observed, planned for the rest.

    A year wholly before the cut-off takes its realised placements; the year
    of the cut-off takes its realised placements so far plus the planned
    placements of its remaining months (``planned x months left / 12``); later
    years, and years without a realised figure, take the plan.

    Parameters
    ----------
    case : CaseConfig
        ``years``, ``placements`` (planned) and ``realised_placements`` (so far).
    cutoff : int
        The data cut-off (month number).

    Returns
    -------
    tuple of float
        One figure per year of ``case.years``.
    """
    out = []
    for k, (year, planned) in enumerate(zip(case.years, case.placements, strict=True)):
        left = min(max(year * 12 + 11 - cutoff, 0), 12)
        if k < len(case.realised_placements) and left < 12:
            out.append(float(case.realised_placements[k]) + float(planned) * left / 12.0)
        else:
            out.append(float(planned))
    return tuple(out)


def _variance(
    w: np.ndarray, curves: tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray | None], unit: np.ndarray | None
) -> float:
    """Variance of ``w @ (S_c - S_i)``: per-duration unit variances summed, else both curves' delta method."""
    if unit is not None:
        return float((w * w) @ unit)
    sc, vc, s_i, vi = curves
    if vc is None or vi is None:
        raise InputError(
            "forecast_savings needs comparison_greenwood and intervention_greenwood for first-exit curves, "
            "or unit_variance for occupancy curves; got None."
        )
    return float(curve_variance(w[None, :], sc, vc)[0] + curve_variance(w[None, :], s_i, vi)[0])


def forecast_savings(
    comparison_survival: np.ndarray,
    comparison_greenwood: np.ndarray | None,
    intervention_survival: np.ndarray,
    intervention_greenwood: np.ndarray | None,
    inflow: pd.Series,
    years: tuple[int, ...],
    *,
    monthly_cost: float,
    prior_weeks: float,
    refusion: Refusion,
    alpha: float = 0.05,
    unit_variance: np.ndarray | None = None,
) -> YearFigures:
    """Curve-based saved full-time persons and kroner per calendar year.

    Parameters
    ----------
    comparison_survival, comparison_greenwood, intervention_survival, intervention_greenwood : ndarray, shape (H,)
        ``S(t)`` and Greenwood ``V(t)`` at ``t = 0 .. H-1`` (``H`` = case horizon),
        already carried flat beyond the last observed duration.
    inflow : Series
        Participants entering per calendar month number (index: month numbers).
    years : tuple of int
        Calendar years to report.
    monthly_cost : float
        Gross monthly cost of one full-time person (kr., run price level).
    prior_weeks : float
        Weeks on support before entry assumed for entrants (refusion staircase).
    refusion : Refusion
        The refusion staircase and the pre-reform share.
    alpha : float
        1 - level of the intervals.
    unit_variance : ndarray, shape (H,), optional
        For occupancy curves (no Greenwood sums): the variance of
        ``S_c(t) - S_i(t)`` per duration, summed over durations as if
        independent (see the module docstring). Pass the greenwood arrays as None.

    Returns
    -------
    YearFigures
    """
    h = comparison_survival.shape[0]
    delta = comparison_survival - intervention_survival
    curves = (comparison_survival, comparison_greenwood, intervention_survival, intervention_greenwood)
    weights = forecast_weights(inflow, years, h, monthly_cost=monthly_cost, prior_weeks=prior_weeks, refusion=refusion)
    entry_year = inflow.index.to_numpy().astype(np.int64) // 12 if len(inflow) else np.zeros(0, dtype=np.int64)
    rows = []
    for yi, y in enumerate(years):  # a few budget years
        w, kr_w, ref_wt = weights[:, yi, :]
        rows.append(
            {
                "year": y,
                "saved_fte": float(w @ delta) / 12.0,
                "saved_fte_se": np.sqrt(_variance(w, curves, unit_variance)) / 12.0,
                "savings_kr": float(kr_w @ delta),
                "savings_kr_se": np.sqrt(_variance(kr_w, curves, unit_variance)),
                "refusion_part_kr": float(ref_wt @ delta),
                "refusion_part_kr_se": np.sqrt(_variance(ref_wt, curves, unit_variance)),
                "participants": float(inflow.to_numpy()[entry_year <= y].sum()),
                "months": float(w.sum()),
            }
        )
    return YearFigures(pd.DataFrame(rows), alpha)


def forecast_weights(
    inflow: pd.Series,
    years: tuple[int, ...],
    horizon: int,
    *,
    monthly_cost: float,
    prior_weeks: float,
    refusion: Refusion,
) -> np.ndarray:
    """The linear weights of :func:`forecast_savings`: figures = ``weights @ (S_c - S_i)``.

    For fixed inflow, prices and prior weeks the forecast of every year is a
    weighted sum over durations of the difference between the curves, so a
    bootstrap of the curves needs only these weights:
    ``w[y, t] = sum_{m in year y} n_{m - t}``, times ``monthly_cost * net(t)``
    for kroner and ``monthly_cost * (net(t) - pre)`` for the reform part.

    Parameters
    ----------
    inflow : Series
        Participants entering per calendar month number.
    years : tuple of int
        Calendar years to report.
    horizon : int
        Durations ``t = 0 .. horizon-1``.
    monthly_cost, prior_weeks, refusion
        As for :func:`forecast_savings`.

    Returns
    -------
    ndarray, shape (3, len(years), horizon)
        Rows: saved *months* (divide by 12 for full-time persons), kroner, and
        the refusion-reform part of the kroner, per year and duration
        ``t = 0 .. horizon-1``.
    """
    t = np.arange(horizon)
    net, pre = net_factors(prior_weeks + WEEKS_PER_MONTH * t + 1.0, refusion)
    first_month = min(int(inflow.index.min()) if len(inflow) else years[0] * 12, years[0] * 12)
    last_month = years[-1] * 12 + 11
    n_months = last_month - first_month + 1
    n_e = np.zeros(n_months)
    if len(inflow):
        idx = inflow.index.to_numpy().astype(np.int64) - first_month
        ok = (idx >= 0) & (idx < n_months)
        np.add.at(n_e, idx[ok], inflow.to_numpy()[ok])
    month_year = (first_month + np.arange(n_months)) // 12
    # w[y, t] = sum over the months m of year y of n_e[m - t]: a (years x months x durations) gather
    in_year = month_year[None, :] == np.asarray(years)[:, None]
    back = np.arange(n_months)[:, None] - t[None, :]
    gathered = np.where(back >= 0, n_e[np.clip(back, 0, None)], 0.0)
    w = in_year.astype(np.float64) @ gathered
    return np.stack([w, w * monthly_cost * net, w * monthly_cost * (net - pre)])
