"""From curves to kroner: prices, refusion, realised and forecast savings, and their uncertainty.

Definitions, the tail assumption and the variance formula:
:mod:`survival_invest.economics.savings`; the person bootstrap:
:mod:`survival_invest.economics.uncertainty`.
"""

from survival_invest.economics.savings import (
    YearFigures,
    convert_price,
    curve_variance,
    forecast_savings,
    forecast_weights,
    month_prices,
    monthly_costs,
    occupancy_on_grid,
    price_factor,
    realised_savings,
    refusion_share,
    support_week,
)
from survival_invest.economics.uncertainty import SavingsBootstrap, bootstrap_savings, savings_replicates

__all__ = [
    "SavingsBootstrap",
    "YearFigures",
    "bootstrap_savings",
    "convert_price",
    "curve_variance",
    "forecast_savings",
    "forecast_weights",
    "month_prices",
    "monthly_costs",
    "occupancy_on_grid",
    "price_factor",
    "realised_savings",
    "refusion_share",
    "savings_replicates",
    "support_week",
]
