"""Estimation core: Kaplan-Meier kernel, curve objects, RMST/RMTL, the area between curves, competing risks."""

from survival_invest.estimate.bootstrap import BootstrapResult, bootstrap
from survival_invest.estimate.competing import CumulativeIncidence, cumulative_incidence
from survival_invest.estimate.curves import SurvivalCurve, SurvivalCurves
from survival_invest.estimate.curvetest import CurveTest, supremum_test
from survival_invest.estimate.estimates import AreaBetween, Estimate
from survival_invest.estimate.fit import (
    area_between,
    kaplan_meier,
    kaplan_meier_by,
    kaplan_meier_from_counts,
)
from survival_invest.estimate.timelost import Ratio, rmtl_ratio

__all__ = [
    "AreaBetween",
    "BootstrapResult",
    "CumulativeIncidence",
    "CurveTest",
    "Estimate",
    "Ratio",
    "SurvivalCurve",
    "SurvivalCurves",
    "area_between",
    "bootstrap",
    "cumulative_incidence",
    "kaplan_meier",
    "kaplan_meier_by",
    "kaplan_meier_from_counts",
    "rmtl_ratio",
    "supremum_test",
]
