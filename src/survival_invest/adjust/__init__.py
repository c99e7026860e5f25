"""Selection adjustment: propensity scores, inverse-probability weights, balance.

Rules and choices: :mod:`survival_invest.adjust.ipw` and
:mod:`survival_invest.adjust.balance`; which comparison group to use:
``docs/comparisons.md``.
"""

from survival_invest.adjust.balance import BASELINE, balance_table, baseline_covariates, covariate_columns
from survival_invest.adjust.ipw import IPWArea, design_matrix, ipw_area, ipw_bootstrap, ipw_weights, propensity

__all__ = [
    "BASELINE",
    "IPWArea",
    "balance_table",
    "baseline_covariates",
    "covariate_columns",
    "design_matrix",
    "ipw_area",
    "ipw_bootstrap",
    "ipw_weights",
    "propensity",
]
