"""The portfolio configuration as frozen dataclasses (what :mod:`survival_invest.config.parse` returns).

Every choice-valued field is typed with its ``Literal`` from
:mod:`survival_invest.choices`; the parser guarantees the values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from survival_invest.choices import (
    AdjustMethod,
    Comparison,
    Curve,
    EngineName,
    Estimand,
    IdKind,
    Language,
    Method,
    MonthRule,
    SpellsFormat,
    Tail,
)
from survival_invest.errors import SurvivalInvestError

__all__ = [
    "DEFAULT_REFUSION_BANDS",
    "AdjustConfig",
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
]


class ConfigError(SurvivalInvestError, ValueError):
    """The portfolio configuration is invalid (file, case and key named)."""


@dataclass(frozen=True)
class RefusionBand:
    """State refusion ``share`` of benefit spending in weeks ``from_week .. to_week`` of support."""

    from_week: int
    to_week: float  # inclusive; math.inf for the open last band
    share: float


#: Act on the refusion reform, in force 4 January 2016, section 5 (DOMAIN.md).
DEFAULT_REFUSION_BANDS = (
    RefusionBand(1, 4, 0.80),
    RefusionBand(5, 26, 0.40),
    RefusionBand(27, 52, 0.30),
    RefusionBand(53, math.inf, 0.20),
)


@dataclass(frozen=True)
class Refusion:
    """Refusion staircase and the pre-reform comparison share.

    ``pre_reform_share`` is the flat refusion share assumed before the 2016
    reform; the "of which refusion reform" part of a saving is the saving under
    the staircase minus the saving under that flat share (seed 000, table 3).
    """

    enabled: bool = True
    bands: tuple[RefusionBand, ...] = DEFAULT_REFUSION_BANDS
    pre_reform_share: float = 0.30


@dataclass(frozen=True)
class InflowStep:
    """Planned participants entering per month from ``start`` to ``end`` (``YYYY-MM``, inclusive)."""

    start: str
    end: str
    per_month: float


@dataclass(frozen=True)
class AdjustConfig:
    """``adjust = { method, covariates, estimand }`` of a case with ``comparison = "adjusted"``.

    ``method``: ``aipw`` (default, doubly robust), ``ipw`` or ``gformula``;
    ``covariates``: columns of the cohort's persons (the person table's
    ``age``, ``age_band``, ``sex`` and the cohort's ``prior_weeks``,
    ``benefit_group``); ``estimand``: ``att`` (default: the effect on the
    participants, what the savings figure needs) or ``ate``.
    """

    covariates: tuple[str, ...]
    method: AdjustMethod = "aipw"
    estimand: Estimand = "att"


@dataclass(frozen=True)
class CaseConfig:
    """One investment case.

    ``month_rule`` (``any`` / ``majority`` / ``all``): when a month rolled up
    from weekly data is on support for the case's exit clock; the occupancy
    share, prior weeks and benefit at entry are read from the weeks under every
    rule (:mod:`survival_invest.cohort.status`). It has no effect on monthly data.

    ``horizon`` is the requested horizon (months) of the area between the curves
    and of the forecast. ``tail`` says what the curves do beyond the last observed
    duration: ``none`` (default) caps the horizon at the smaller of the two
    groups' largest observed durations (as survRM2 does); ``flat``,
    ``exponential`` (constant hazard of each group's last ``tail_months``
    observed months), ``weibull`` or ``loglogistic`` extrapolate to the horizon
    (:mod:`survival_invest.estimate.tails`, ``docs/extrapolation.md``).

    ``adjust`` (only with ``comparison = "adjusted"``): how the curves are
    adjusted for covariates (:class:`AdjustConfig`). ``destinations``: the
    report shows where the persons went (job, education, flex job, other) and
    the results table the months by destination.
    """

    id: str
    name: str
    method: Method
    years: tuple[int, ...]
    budget_investment: tuple[float, ...]
    budget_savings: tuple[float, ...]
    comparison: Comparison = "non_participants"
    curve: Curve = "first_exit"
    durable_exit: int = 1
    horizon: int = 36
    month_rule: MonthRule = "any"
    tail: Tail = "none"
    tail_months: int = 12  # the exponential tail's fitting window: each group's last observed months
    cost_per_fte: Mapping[str, float] = field(default_factory=dict)  # benefit group (or "*") -> kr/year
    cost_price_year: int | None = None
    planned_inflow: tuple[InflowStep, ...] = ()
    saving_per_placement: float | None = None  # mio. kr. per placement (count cases)
    placements: tuple[float, ...] = ()  # planned placements per year (count cases)
    realised_placements: tuple[float, ...] = ()  # realised placements per year so far (count cases)
    adjust: AdjustConfig | None = None  # comparison = "adjusted" only
    destinations: bool = False

    def cost_for(self, benefit_group: str | None) -> float:
        """Gross yearly cost of one full-time person on ``benefit_group`` (falls back to ``"*"``)."""
        if benefit_group is not None and benefit_group in self.cost_per_fte:
            return self.cost_per_fte[benefit_group]
        if "*" in self.cost_per_fte:
            return self.cost_per_fte["*"]
        raise ConfigError(
            f"case {self.id!r}: no cost_per_fte for benefit group {benefit_group!r}; "
            "give one figure (cost_per_fte = 184000) or one per benefit group including it."
        )


@dataclass(frozen=True)
class RunConfig:
    """``[run]``: the price level and index, data lag (months), the suppression limit and the report's language."""

    price_level: int
    price_index: Mapping[int, float]
    data_lag: int = 2
    min_persons: int = 5
    language: Language = "da"
    keep_runs: int = 3  # superseded run folders kept per month in OUT/.runs (docs/publishing.md)
    lock_timeout_seconds: float = 120.0  # how long a run waits for another run on the same OUT to finish


@dataclass(frozen=True)
class DataConfig:
    """``[data]``: where the extracts are (absolute paths) and the spells file's layout."""

    spells: Path | str  # str: a URI (hdfs://, s3a://, file:// ...), passed to the engine untouched
    memberships: Path | str
    spells_format: SpellsFormat = "long"
    classification: Path | None = None
    finance: Path | None = None
    persons: Path | None = None  # person covariate table (read_persons): age and sex for balance and IPW
    id_column: str | None = None  # the spells file's person id column (None: PNR or person_id, see io.dream)
    payments: Path | None = None  # the payment file (io.payments): realised kroner from payments when given
    payment_benefits: Mapping[str, str] = field(default_factory=dict)  # payment benefit name -> benefit group


@dataclass(frozen=True)
class Targets:
    """Yearly reduction targets (mio. kr., negative = reduction) and other initiatives' contributions.

    What the portfolio delivers is its forecast savings per year; ``other_initiatives``
    adds named contributions from outside the engine (negative amounts), as in the
    2021 note (seed 003).
    """

    years: tuple[int, ...]
    reduction: tuple[float, ...]
    other_initiatives: Mapping[str, tuple[float, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class EngineConfig:
    """Where the extract is aggregated (``[engine]``; see ``docs/scaling.md``).

    ``name``: ``memory`` (numpy/pandas), ``duckdb`` (out-of-core over Parquet),
    ``spark`` (a cluster, or local mode), or ``auto`` (default: ``duckdb`` when
    the spells on disk exceed ``auto_threshold_mb``, else ``memory``). The
    environment variable ``SURVIVAL_INVEST_ENGINE`` overrides ``name``.
    DuckDB: ``memory_limit`` (e.g. ``"6GB"``), ``threads``, ``temp_directory``
    (spill files). Spark: ``spark_master`` (else ``$SPARK_MASTER``, else
    ``local[*]``), ``spark_conf`` (a table of Spark settings) and
    ``connect_timeout_seconds`` (how long to wait for a ``spark://`` master to
    answer before the run fails naming it; Spark's own standalone client waits
    3 x 20 s).
    """

    name: EngineName = "auto"
    auto_threshold_mb: float = 1000.0
    memory_limit: str | None = None
    threads: int | None = None
    temp_directory: Path | None = None
    spark_master: str | None = None
    spark_conf: Mapping[str, str] = field(default_factory=dict)
    connect_timeout_seconds: float = 10.0


#: The environment variable that holds the pseudonymisation key (when no key file is named).
PSEUDONYM_KEY_ENV = "SURVIVAL_INVEST_PSEUDONYM_KEY"


@dataclass(frozen=True)
class PrivacyConfig:
    """``[privacy]``: what the person ids are, and where the pseudonymisation key is.

    ``ids = "cpr"`` declares every input's id column to be CPR numbers: they
    are normalised and replaced by keyed pseudonyms when read
    (:mod:`survival_invest.io.privacy`). The key is never in the
    configuration: it is the content of ``key_file`` when named, else of the
    environment variable ``key_env`` (default :data:`PSEUDONYM_KEY_ENV`).
    """

    ids: IdKind = "plain"
    key_file: Path | None = None
    key_env: str = PSEUDONYM_KEY_ENV


@dataclass(frozen=True)
class Portfolio:
    """A validated portfolio configuration."""

    source: Path
    run: RunConfig
    data: DataConfig
    refusion: Refusion
    cases: tuple[CaseConfig, ...]
    targets: Targets | None = None
    engine: EngineConfig = field(default_factory=EngineConfig)
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)

    def case(self, case_id: str) -> CaseConfig:
        """The case with this id (a :class:`ConfigError` listing the ids when there is none)."""
        for c in self.cases:
            if c.id == str(case_id):
                return c
        raise ConfigError(f"{self.source}: no case {case_id!r}; cases are {[c.id for c in self.cases]}.")
