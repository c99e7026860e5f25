"""From curves to kroner: prices, refusion, realised and forecast savings, and their uncertainty.

* :mod:`~survival_invest.economics.prices`: price level, cost per benefit group, refusion staircase;
* :mod:`~survival_invest.economics.savings`: realised savings, the tail assumption and the variance formula;
* :mod:`~survival_invest.economics.forecast`: the curve-based forecast (its horizon and tails in
  :mod:`~survival_invest.economics.horizon`, its entrants and their prices in
  :mod:`~survival_invest.economics.entrants`), and the count cases' forecast;
* :mod:`~survival_invest.economics.uncertainty`: the person bootstrap (its replicate design in
  :mod:`~survival_invest.economics.replicates`).
"""

from survival_invest.economics.forecast import (
    CaseHorizon,
    GridCurves,
    case_forecast,
    case_forecast_weights,
    case_horizon,
    count_forecast,
    curves_on_grid,
    entrant_prices,
    forecast_savings,
    forecast_weights,
    inflow,
)
from survival_invest.economics.prices import (
    WEEKS_PER_MONTH,
    convert_price,
    month_prices,
    monthly_costs,
    net_factors,
    price_factor,
    refusion_share,
    support_week,
)
from survival_invest.economics.savings import YearFigures, curve_variance, occupancy_on_grid, realised_savings
from survival_invest.economics.uncertainty import MEASURES, SavingsBootstrap, bootstrap_savings, savings_replicates

__all__ = [
    "MEASURES",
    "WEEKS_PER_MONTH",
    "CaseHorizon",
    "GridCurves",
    "SavingsBootstrap",
    "YearFigures",
    "bootstrap_savings",
    "case_forecast",
    "case_forecast_weights",
    "case_horizon",
    "convert_price",
    "count_forecast",
    "curve_variance",
    "curves_on_grid",
    "entrant_prices",
    "forecast_savings",
    "forecast_weights",
    "inflow",
    "month_prices",
    "monthly_costs",
    "net_factors",
    "occupancy_on_grid",
    "price_factor",
    "realised_savings",
    "refusion_share",
    "savings_replicates",
    "support_week",
]
