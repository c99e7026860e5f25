"""survival-invest: follow municipal employment investments with survival curves.

Register spells in, Kaplan-Meier curves for a target and an intervention group,
the area between them as saved full-time persons and kroner, out.
"""

from survival_invest._version import __version__
from survival_invest.cohort import Cohort, build_cohort
from survival_invest.config import ConfigError, Portfolio, load_config
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
    bootstrap,
    Estimate,
    SurvivalCurve,
    SurvivalCurves,
    area_between,
    kaplan_meier,
    kaplan_meier_by,
)
from survival_invest.io import Spells, read_classification, read_memberships, read_persons, read_spells
from survival_invest.pipeline import run_portfolio
from survival_invest.economics import SavingsBootstrap, bootstrap_savings


__all__ = [
    "AreaBetween",
    "BootstrapResult",
    "bootstrap",
    "bootstrap_savings",
    "SavingsBootstrap",
    "Cohort",
    "CohortError",
    "ConfigError",
    "Portfolio",
    "Estimate",
    "ExtractError",
    "InputError",
    "Spells",
    "build_cohort",
    "load_config",
    "run_portfolio",
    "read_classification",
    "read_memberships",
    "read_persons",
    "read_spells",
    "SurvivalCurve",
    "SurvivalCurves",
    "SurvivalInvestError",
    "SurvivalInvestWarning",
    "area_between",
    "kaplan_meier",
    "kaplan_meier_by",
    "__version__",
]
