"""Estimation core: Kaplan-Meier kernel, curve objects, RMST and the area between curves."""

from survival_invest.estimate.bootstrap import BootstrapResult, bootstrap
from survival_invest.estimate.curves import SurvivalCurve, SurvivalCurves
from survival_invest.estimate.estimates import AreaBetween, Estimate
from survival_invest.estimate.fit import (
    area_between,
    kaplan_meier,
    kaplan_meier_by,
    kaplan_meier_from_counts,
)

__all__ = [
    "AreaBetween",
    "BootstrapResult",
    "Estimate",
    "SurvivalCurve",
    "SurvivalCurves",
    "area_between",
    "bootstrap",
    "kaplan_meier",
    "kaplan_meier_by",
    "kaplan_meier_from_counts",
]
