"""A case's ``adjust = { method, covariates, estimand }`` and ``destinations`` settings (issue 16).

``comparison = "adjusted"`` compares the participants with the non-participants
of the case's target group through covariate-adjusted curves
(:mod:`survival_invest.economics.adjusted`); it needs the table::

    adjust = { method = "aipw", covariates = ["age", "sex", "prior_weeks"], estimand = "att" }

``method`` is one of :data:`~survival_invest.choices.ADJUST_METHODS` (default
``aipw``), ``estimand`` one of :data:`~survival_invest.choices.ESTIMANDS`
(default ``att``), ``covariates`` (required, at least one) are columns of the
cohort's persons: :data:`ADJUST_COVARIATES` (``age``, ``age_band`` and ``sex``
come from the person table, ``[data] persons``, which is then required).
An adjusted case takes the first-exit curve and no tail model (``tail = "none"``).

``destinations = true`` (default false): the case's report shows where the
persons went and the results table its months by destination.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from survival_invest.choices import ADJUST_METHODS, ESTIMANDS, AdjustMethod, Estimand
from survival_invest.config.model import AdjustConfig, CaseConfig, DataConfig
from survival_invest.config.reader import TableReader

__all__ = [
    "ADJUST_COVARIATES",
    "ADJUST_KEYS",
    "PERSON_TABLE_COVARIATES",
    "adjust_setting",
    "check_adjusted",
    "person_table_problems",
]

#: The keys of a case's ``adjust`` table.
ADJUST_KEYS = {"method", "covariates", "estimand"}
#: The covariates a case may adjust for: columns of the cohort's persons.
ADJUST_COVARIATES = ("age", "age_band", "sex", "prior_weeks", "benefit_group")
#: The covariates that come from the person table (``[data] persons``).
PERSON_TABLE_COVARIATES = ("age", "age_band", "sex")


def _covariates(ctx: TableReader, raw: Mapping[str, Any]) -> tuple[str, ...]:
    """The ``covariates`` list: distinct names from :data:`ADJUST_COVARIATES`, at least one."""
    cov = ctx.need(raw, "covariates")
    if not isinstance(cov, list) or not cov or not all(isinstance(c, str) for c in cov):
        raise ctx.error("covariates", f"expected a list of column names like ['age', 'sex'], got {cov!r}")
    unknown = [c for c in cov if c not in ADJUST_COVARIATES]
    if unknown:
        raise ctx.error(
            "covariates",
            f"{unknown[0]!r} is not a column of the cohort's persons; allowed: {list(ADJUST_COVARIATES)}",
        )
    if len(set(cov)) != len(cov):
        raise ctx.error("covariates", f"a covariate is named twice: {cov!r}")
    return tuple(cov)


def adjust_setting(ctx: TableReader, raw: Mapping[str, Any], comparison: str) -> AdjustConfig | None:
    """The case's ``adjust`` table (None unless ``comparison = "adjusted"``); problems recorded in ``ctx``.

    Parameters
    ----------
    ctx : TableReader
        The case's reader (its file and case name every message).
    raw : mapping
        The case's table.
    comparison : str
        The case's (parsed) comparison rule.

    Returns
    -------
    AdjustConfig or None
    """
    if comparison != "adjusted":
        if "adjust" in raw:
            ctx.problems.append(str(ctx.error("adjust", "used only with comparison = 'adjusted'; remove it")))
        return None
    table = raw.get("adjust")
    if table is None:
        ctx.problems.append(
            str(
                ctx.error(
                    "adjust",
                    "missing; comparison = 'adjusted' needs adjust = { method = \"aipw\", covariates = [...] } "
                    f"(covariates from {list(ADJUST_COVARIATES)})",
                )
            )
        )
        return None
    if not isinstance(table, dict):
        ctx.problems.append(
            str(ctx.error("adjust", f"expected a table {{method, covariates, estimand}}, got {table!r}"))
        )
        return None
    sub = TableReader(ctx.source, f"{ctx.where} adjust")
    sub.attempt(lambda: sub.unknown(table, ADJUST_KEYS), None)
    aipw: AdjustMethod = "aipw"
    att: Estimand = "att"
    method = sub.attempt(lambda: sub.choice(table, "method", ADJUST_METHODS, aipw), aipw)
    estimand = sub.attempt(lambda: sub.choice(table, "estimand", ESTIMANDS, att), att)
    covariates = sub.attempt(lambda: _covariates(sub, table), ())
    ctx.problems.extend(sub.problems)
    return AdjustConfig(covariates=covariates, method=method, estimand=estimand)


def check_adjusted(ctx: TableReader, raw: Mapping[str, Any], case: CaseConfig) -> None:
    """An adjusted case uses the first-exit curve without a tail model; ``destinations`` is true or false.

    Parameters
    ----------
    ctx : TableReader
        The case's reader; problems are recorded in it.
    raw : mapping
        The case's table.
    case : CaseConfig
        The case as parsed so far.
    """
    if "destinations" in raw and not isinstance(raw["destinations"], bool):
        ctx.problems.append(str(ctx.error("destinations", f"expected true or false, got {raw['destinations']!r}")))
    if case.comparison != "adjusted":
        return
    if case.curve != "first_exit":
        ctx.problems.append(
            str(ctx.error("curve", "comparison = 'adjusted' adjusts first-exit curves; use curve = 'first_exit'"))
        )
    if case.tail != "none":
        ctx.problems.append(
            str(ctx.error("tail", "comparison = 'adjusted' has no tail model; use tail = 'none' (the default)"))
        )


def person_table_problems(source: object, cases: tuple[CaseConfig, ...], data: DataConfig | None) -> list[str]:
    """Adjusted cases whose covariates need the person table when ``[data] persons`` is not given.

    Parameters
    ----------
    source : path
        The configuration file (named in the messages).
    cases : tuple of CaseConfig
    data : DataConfig or None
        ``None`` when ``[data]`` itself failed (nothing to check then).

    Returns
    -------
    list of str
        One message per such case.
    """
    if data is None or data.persons is not None:
        return []
    out = []
    for c in cases:
        needs = [v for v in (c.adjust.covariates if c.adjust else ()) if v in PERSON_TABLE_COVARIATES]
        if needs:
            out.append(
                f"{source}: case {c.id!r}, key 'adjust.covariates': {needs[0]!r} comes from the person table; "
                'give [data] persons = "persons.csv" (person_id, birth_date or birth_year, sex) or adjust for '
                "prior_weeks and benefit_group only"
            )
    return out
