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
    "price_factor",
    "convert_price",
    "refusion_share",
    "YearFigures",
    "realised_savings",
    "forecast_savings",
    "curve_variance",
    "occupancy_on_grid",
    "monthly_costs",
    "support_week",
    "month_prices",
    "forecast_weights",
    "SavingsBootstrap",
    "bootstrap_savings",
    "savings_replicates",
]
