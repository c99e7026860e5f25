"""Portfolio configuration: one TOML file -> validated frozen dataclasses, validated once.

:mod:`~survival_invest.config.model` holds the dataclasses,
:mod:`~survival_invest.config.parse` the reader and every check (the file
layout is in its docstring), including the cross-checks between sections
(a ``matched`` case needs the in-memory engine). Everything below the
configuration trusts it.
"""

from survival_invest.choices import ENGINES
from survival_invest.config.model import (
    DEFAULT_REFUSION_BANDS,
    CaseConfig,
    ConfigError,
    DataConfig,
    EngineConfig,
    InflowStep,
    Portfolio,
    PrivacyConfig,
    Refusion,
    RefusionBand,
    RunConfig,
    Targets,
)
from survival_invest.config.parse import load_config, parse_config
from survival_invest.config.privacy import pseudonym_key

__all__ = [
    "DEFAULT_REFUSION_BANDS",
    "ENGINES",
    "CaseConfig",
    "ConfigError",
    "DataConfig",
    "EngineConfig",
    "InflowStep",
    "Portfolio",
    "PrivacyConfig",
    "Refusion",
    "RefusionBand",
    "RunConfig",
    "Targets",
    "load_config",
    "parse_config",
    "pseudonym_key",
]
