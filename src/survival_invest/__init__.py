"""survival-invest: follow municipal employment investments with survival curves.

Register spells in, Kaplan-Meier curves for a target and an intervention group,
the area between them as saved full-time persons and kroner, out.
"""

from survival_invest._version import __version__
from survival_invest.cohort import Cohort, build_cohort
from survival_invest.config import ConfigError, Portfolio, load_config
from survival_invest.economics import SavingsBootstrap, bootstrap_savings
from survival_invest.errors import (
    CohortError,
    ExtractError,
    InputError,
    SurvivalInvestError,
    SurvivalInvestWarning,
)
from survival_invest.estimate import (
    AreaBetween,
    BootstrapResult,
    CumulativeIncidence,
    CurveTest,
    Estimate,
    SurvivalCurve,
    SurvivalCurves,
    area_between,
    bootstrap,
    cumulative_incidence,
    kaplan_meier,
    kaplan_meier_by,
    rmtl_ratio,
    supremum_test,
)
from survival_invest.io import Spells, read_classification, read_memberships, read_persons, read_spells
from survival_invest.pipeline import run_portfolio

__all__ = [
    "AreaBetween",
    "BootstrapResult",
    "Cohort",
    "CohortError",
    "ConfigError",
    "CumulativeIncidence",
    "CurveTest",
    "Estimate",
    "ExtractError",
    "InputError",
    "Portfolio",
    "SavingsBootstrap",
    "Spells",
    "SurvivalCurve",
    "SurvivalCurves",
    "SurvivalInvestError",
    "SurvivalInvestWarning",
    "__version__",
    "area_between",
    "bootstrap",
    "bootstrap_savings",
    "build_cohort",
    "cumulative_incidence",
    "kaplan_meier",
    "kaplan_meier_by",
    "load_config",
    "read_classification",
    "read_memberships",
    "read_persons",
    "read_spells",
    "rmtl_ratio",
    "run_portfolio",
    "supremum_test",
]
