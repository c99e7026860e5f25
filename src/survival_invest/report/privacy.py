"""Small numbers: estimated figures resting on too few persons are blanked before anything is published.

Two rules, per survival case (``min_persons`` from the config's ``[run]``):

* a case whose comparison or intervention group has fewer than
  ``min_persons`` persons has every estimated figure suppressed;
* otherwise a year's figures rest on the participants who had entered by the
  end of that year: a year with fewer than ``min_persons`` of them has its
  estimated figures suppressed.

Suppressed means ``value``, ``lower`` and ``upper`` are NaN (an empty cell);
budget rows and investments are never estimates and stay. Each suppression
adds a warning that names the case.

Head counts follow the same rule wherever they are shown (``run.json``,
``validate``, warnings, the report): a count of persons from 1 to
``min_persons - 1`` is shown as ``<min_persons`` (:func:`shown_count`); 0 and
counts at or above the minimum are shown as they are. Counts of *rows* of a
file in an error message are about the file, not persons, and stay.

Members without spell data (no row at all in the extract: excluded from the
cohort) are counted per case in the run's warnings (:func:`no_spell_warnings`),
which ``run.json`` and the report's page both carry.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from survival_invest.stats import CaseStatistics

__all__ = [
    "cohort_counts",
    "no_spell_warnings",
    "shown_count",
    "shown_counts",
    "suppress_small_numbers",
    "without_spell_data",
]


def shown_count(n: int, min_persons: int) -> int | str:
    """A head count as it may be published: ``n``, or ``"<min_persons"`` when ``0 < n < min_persons``.

    Parameters
    ----------
    n : int
        Persons counted.
    min_persons : int
        The smallest number of persons a published figure may rest on (``[run] min_persons``).

    Returns
    -------
    int or str
    """
    return f"<{min_persons}" if 0 < n < min_persons else int(n)


def shown_counts(counts: Mapping[str, int], min_persons: int) -> dict[str, int | str]:
    """Every value of ``counts`` through :func:`shown_count` (a run.json ``cohorts`` entry, say)."""
    return {k: shown_count(int(v), min_persons) for k, v in counts.items()}


def without_spell_data(stats: CaseStatistics) -> int:
    """Members of a case (both groups) with no row in the spells extract: the summary's ``excluded_no_spell_data``."""
    return int(np.asarray(stats.summary.loc[["excluded_no_spell_data"], "all"]).sum())


def cohort_counts(stats: CaseStatistics, min_persons: int) -> dict[str, int | str]:
    """A case's head counts as ``run.json`` shows them: persons, comparison, intervention, without_spell_data.

    Rule: each through :func:`shown_count`; when a group is suppressed the
    total ``persons`` is suppressed too (``"suppressed"``), since total minus
    the other group would give the small count back.

    Parameters
    ----------
    stats : CaseStatistics
    min_persons : int

    Returns
    -------
    dict of str to int or str
    """
    comparison, intervention = stats.persons("comparison"), stats.persons("intervention")
    out = shown_counts(
        {
            "persons": comparison + intervention,
            "comparison": comparison,
            "intervention": intervention,
            "without_spell_data": without_spell_data(stats),
        },
        min_persons,
    )
    if isinstance(out["comparison"], str) or isinstance(out["intervention"], str):
        out["persons"] = "suppressed"
    return out


def no_spell_warnings(statistics: Mapping[str, CaseStatistics], min_persons: int) -> list[str]:
    """One warning per survival case with members that have no row in the spells extract (excluded, counted).

    Rule: the count is the summary item ``excluded_no_spell_data`` of both
    groups, shown with :func:`shown_count`; no line for a case without such members.
    """
    lines = []
    for case_id, stats in statistics.items():
        n = without_spell_data(stats)
        if n:
            lines.append(
                f"case {case_id}: {shown_count(n, min_persons)} members without spell data excluded "
                "(no row in the spells extract; check that the ids are written the same way in both files)"
            )
    return lines


def _estimated(results: pd.DataFrame, case_id: str) -> pd.Series:
    """Rows of one case that are estimates (not budget, not investment)."""
    return (results["case_id"] == case_id) & (results["kind"] != "budget") & (results["measure"] != "investment")


def _blanked(results: pd.DataFrame) -> list[str]:
    """The columns a suppressed row loses: its figures, and the part of its value from a tail (``extrapolated``)."""
    return [c for c in ("value", "lower", "upper", "extrapolated") if c in results.columns]


def suppress_small_numbers(
    results: pd.DataFrame, statistics: Mapping[str, CaseStatistics], min_persons: int
) -> tuple[pd.DataFrame, list[str]]:
    """Blank the estimates that rest on fewer than ``min_persons`` persons (rules: module docstring).

    Parameters
    ----------
    results : DataFrame
        The long results table (``case_id, year, measure, kind, value, lower, upper, unit``); not changed.
    statistics : mapping of case id to CaseStatistics
        The survival cases' statistics (persons per group, entrants by month).
    min_persons : int
        The smallest number of persons a published estimate may rest on.

    Returns
    -------
    (DataFrame, list of str)
        A copy of ``results`` with the suppressed cells NaN, one warning per suppressing case, and
        one per case with members without spell data (:func:`no_spell_warnings`).
    """
    results = results.copy()
    warnings: list[str] = []
    for case_id, stats in statistics.items():
        small = [g for g in ("comparison", "intervention") if stats.persons(g) < min_persons]
        if small:
            results.loc[_estimated(results, case_id), _blanked(results)] = np.nan
            warnings.append(
                f"case {case_id}: fewer than {min_persons} persons in the {' and '.join(small)} group; "
                "estimates suppressed"
            )
            continue
        ent = stats.entrants
        entry_year, n_ent = ent["entry"].to_numpy() // 12, ent["n"].to_numpy()
        entered = {
            y: int(n_ent[entry_year <= y].sum()) for y in results.loc[results["case_id"] == case_id, "year"].unique()
        }
        few = [y for y, n in entered.items() if n < min_persons]
        if few:
            rows = _estimated(results, case_id) & results["year"].isin(few)
            results.loc[rows, _blanked(results)] = np.nan
            warnings.append(
                f"case {case_id}: fewer than {min_persons} participants by {', '.join(map(str, sorted(few)))}; "
                "those years' estimates suppressed"
            )
    return results, warnings + no_spell_warnings(statistics, min_persons)
