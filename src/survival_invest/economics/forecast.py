"""Forecast savings: curve-based saved full-time persons and kroner of the whole inflow, per calendar year.

Definition (DOMAIN.md, "From curves to kroner")
-----------------------------------------------
With the inflow ``n_e`` of participants by calendar month (realised entries up
to the cut-off, the configured planned inflow after it: :func:`inflow`)::

    saved(m) = sum_e n_e [S_comparison(m - e) - S_intervention(m - e)],  0 <= m - e < horizon

a convolution (``np.convolve``). *Tail assumption*: beyond the last observed
duration of a curve it stays at its last value (Kaplan-Meier's own
convention); nothing is counted at or beyond the case horizon. The forecast of
a year is the curve-based figure for all its months, so for a year already
observed it estimates the same quantity as the realised figure.

Entrants are priced at the participants' mean monthly cost and mean prior
weeks (:func:`entrant_prices`); the kroner of a month at duration ``t`` are
``cost * net_share(prior_weeks + 52/12 t + 1)``
(:mod:`survival_invest.economics.prices`). The variance is the delta method of
:mod:`survival_invest.economics.savings`, both curves' variances added.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import pandas as pd

from survival_invest.config import CaseConfig, Portfolio, Refusion
from survival_invest.economics.prices import WEEKS_PER_MONTH, monthly_costs, net_factors
from survival_invest.economics.savings import YearFigures, curve_variance, occupancy_on_grid
from survival_invest.errors import InputError
from survival_invest.io.periods import parse_as_of
from survival_invest.stats import CaseStatistics

__all__ = [
    "GridCurves",
    "case_forecast",
    "curves_on_grid",
    "entrant_prices",
    "forecast_savings",
    "forecast_weights",
    "inflow",
]


class GridCurves(NamedTuple):
    """Both groups' curves on ``t = 0 .. horizon-1`` (unpacks as a 5-tuple).

    First exit: ``S`` and Greenwood ``V`` per group, ``unit_variance`` None.
    Occupancy: the shares, the Greenwood fields None, and ``unit_variance`` the
    per-duration variance of ``S_c(t) - S_i(t)`` (sum of both groups' binomial
    variances).
    """

    comparison: np.ndarray
    comparison_greenwood: np.ndarray | None
    intervention: np.ndarray
    intervention_greenwood: np.ndarray | None
    unit_variance: np.ndarray | None


def inflow(stats: CaseStatistics, case: CaseConfig, cutoff: int) -> pd.Series:
    """Participants entering per month: realised up to the cut-off, planned (config) after it.

    Parameters
    ----------
    stats : CaseStatistics
        The realised entrants (``stats.entrants``).
    case : CaseConfig
        The planned inflow steps ``(start, end, per_month)``.
    cutoff : int
        The data cut-off (month number); plans count from ``cutoff + 1``.

    Returns
    -------
    Series
        Entrants per month number, sorted by month; realised and planned
        entrants of the same month are added.
    """
    realised = stats.entrants.groupby("entry")["n"].sum().astype(float)
    planned: dict[int, float] = {}
    for step in case.planned_inflow:
        start, end = parse_as_of(step.start, "month"), parse_as_of(step.end, "month")
        for m in range(max(start, cutoff + 1), end + 1):  # months of a plan, not persons
            planned[m] = planned.get(m, 0.0) + step.per_month
    return pd.concat([realised, pd.Series(planned, dtype=float)]).groupby(level=0).sum().sort_index()


def curves_on_grid(stats: CaseStatistics, case: CaseConfig) -> GridCurves:
    """S and Greenwood V (or occupancy shares and their unit variance) at ``t = 0 .. horizon-1``."""
    grid = np.arange(case.horizon)
    if case.curve == "occupancy":
        occ = occupancy_on_grid(stats, case.horizon)
        unit = occ["comparison"][1] + occ["intervention"][1]
        return GridCurves(occ["comparison"][0], None, occ["intervention"][0], None, unit)
    curves = stats.curves()
    s = curves.survival_at(grid)
    v = curves.greenwood_at(grid)
    ic = list(curves.labels).index("comparison")
    ii = list(curves.labels).index("intervention")
    return GridCurves(s[ic], v[ic], s[ii], v[ii], None)


def entrant_prices(
    stats: CaseStatistics, case: CaseConfig, price_index: Mapping[int, float], price_level: int
) -> tuple[float, float]:
    """The forecast's price of an entrant: the participants' mean monthly cost and mean prior weeks.

    ``monthly_cost = sum_e n_e cost(bg_e) / sum_e n_e`` and ``prior_weeks =
    sum_e n_e prior_periods_e week_factor / sum_e n_e`` over the entrant cells
    ``e`` of ``stats.entrants``; without entrants, the cost of an unknown
    benefit group ÷ 12 and 0 weeks.

    Parameters
    ----------
    stats : CaseStatistics
    case : CaseConfig
        Costs per full-time person.
    price_index : mapping of int to float
        The run's price index.
    price_level : int
        The run's price level year.

    Returns
    -------
    (monthly_cost, prior_weeks) : tuple of float
    """
    ent = stats.entrants
    n_ent = ent["n"].to_numpy().astype(np.float64)
    total = float(n_ent.sum())
    costs = monthly_costs(ent, case, price_index, price_level)
    monthly_cost = float(costs @ n_ent) / total if total else case.cost_for(None) / 12.0
    prior = float((ent["prior_periods"].to_numpy() * stats.week_factor) @ n_ent) / total if total else 0.0
    return monthly_cost, prior


def case_forecast(
    stats: CaseStatistics, case: CaseConfig, config: Portfolio, *, cutoff: int, alpha: float = 0.05
) -> YearFigures:
    """The published forecast of a survival case: :func:`forecast_savings` of its curves, inflow and prices.

    Parameters
    ----------
    stats : CaseStatistics
    case : CaseConfig
        Horizon, curve, years, planned inflow and costs.
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
    sc, vc, si_, vi, unit = curves_on_grid(stats, case)
    monthly_cost, prior = entrant_prices(stats, case, config.run.price_index, config.run.price_level)
    return forecast_savings(
        sc,
        vc,
        si_,
        vi,
        inflow(stats, case, cutoff),
        case.years,
        monthly_cost=monthly_cost,
        prior_weeks=prior,
        refusion=config.refusion,
        alpha=alpha,
        unit_variance=unit,
    )


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
