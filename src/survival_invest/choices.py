"""The names of every setting that is a choice, defined once.

Each choice is a ``Literal`` type (for type checkers and signatures) and a
tuple of its values (for validation and messages), made from the same
definition with :func:`typing.get_args`, so a new value is added in one place.
:mod:`survival_invest.config` validates a portfolio file against these tuples
once; library functions that take a choice directly (``build_cohort``,
``choose_engine``) check it against the same tuple.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = [
    "ADJUST_METHODS",
    "COMPARISONS",
    "CURVES",
    "ENGINES",
    "ESTIMANDS",
    "ID_KINDS",
    "LANGUAGES",
    "METHODS",
    "MONTH_RULES",
    "SPELLS_FORMATS",
    "SQL_COMPARISONS",
    "TAILS",
    "AdjustMethod",
    "Comparison",
    "Curve",
    "EngineName",
    "Estimand",
    "IdKind",
    "Language",
    "Method",
    "MonthRule",
    "SpellsFormat",
    "Tail",
]

#: Who forms a case's comparison group (rules: :mod:`survival_invest.cohort.rules`).
Comparison = Literal["non_participants", "target_all", "matched", "adjusted"]
#: How an ``adjusted`` case's curves are adjusted for the covariates (:mod:`survival_invest.adjust.adjusted`).
AdjustMethod = Literal["aipw", "ipw", "gformula"]
#: Whose effect an ``adjusted`` case estimates: the participants' (ATT) or the whole cohort's (ATE).
Estimand = Literal["att", "ate"]
#: Which curve a case's figures rest on: the first exit (Kaplan-Meier) or occupancy.
Curve = Literal["first_exit", "occupancy"]
#: How a case's savings are computed: from survival curves, or counted placements.
Method = Literal["survival", "count"]
#: Where the extract is aggregated (:mod:`survival_invest.engines`).
EngineName = Literal["auto", "memory", "duckdb", "spark"]
#: When weekly data make a month "on support" (:mod:`survival_invest.cohort.status`).
MonthRule = Literal["any", "majority", "all"]
#: The report's language.
Language = Literal["da", "en"]
#: The layout of the spells extract.
SpellsFormat = Literal["long", "dream_wide"]
#: What the person ids of the extracts are: used as they are, or CPR numbers pseudonymised at read time.
IdKind = Literal["plain", "cpr"]
#: What a case's curves do beyond the last observed duration (:mod:`survival_invest.estimate.tails`):
#: ``none`` caps the horizon at the last observed duration; the others extrapolate.
Tail = Literal["none", "flat", "exponential", "weibull", "loglogistic"]

COMPARISONS: tuple[Comparison, ...] = get_args(Comparison)
CURVES: tuple[Curve, ...] = get_args(Curve)
METHODS: tuple[Method, ...] = get_args(Method)
ENGINES: tuple[EngineName, ...] = get_args(EngineName)
MONTH_RULES: tuple[MonthRule, ...] = get_args(MonthRule)
LANGUAGES: tuple[Language, ...] = get_args(Language)
SPELLS_FORMATS: tuple[SpellsFormat, ...] = get_args(SpellsFormat)
ID_KINDS: tuple[IdKind, ...] = get_args(IdKind)
TAILS: tuple[Tail, ...] = get_args(Tail)
ADJUST_METHODS: tuple[AdjustMethod, ...] = get_args(AdjustMethod)
ESTIMANDS: tuple[Estimand, ...] = get_args(Estimand)

#: The comparison rules the SQL engines (DuckDB, Spark) implement; ``matched``
#: needs the in-memory engine (sequential matching draws controls per month), and so does ``adjusted``
#: (person-level hazard models on each person's covariates).
SQL_COMPARISONS: tuple[Comparison, ...] = ("non_participants", "target_all")
