"""Selection adjustment: propensity scores, inverse-probability weights, balance.

Rules and choices: :mod:`survival_invest.adjust.ipw` and
:mod:`survival_invest.adjust.balance`; adjusted curves (IPW, g-formula, AIPW
on the monthly clock): :mod:`survival_invest.adjust.adjusted`; which
comparison group to use: ``docs/comparisons.md``.
"""

from survival_invest.adjust.adjusted import AdjustedBootstrap, AdjustedCurves, adjusted_bootstrap, adjusted_curves
from survival_invest.adjust.balance import BASELINE, balance_table, baseline_covariates, covariate_columns
from survival_invest.adjust.ipw import IPWArea, design_matrix, ipw_area, ipw_bootstrap, ipw_weights, propensity

__all__ = [
    "BASELINE",
    "AdjustedBootstrap",
    "AdjustedCurves",
    "IPWArea",
    "adjusted_bootstrap",
    "adjusted_curves",
    "balance_table",
    "baseline_covariates",
    "covariate_columns",
    "design_matrix",
    "ipw_area",
    "ipw_bootstrap",
    "ipw_weights",
    "propensity",
]
