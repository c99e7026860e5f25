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
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from survival_invest.stats import CaseStatistics

__all__ = ["suppress_small_numbers"]


def _estimated(results: pd.DataFrame, case_id: str) -> pd.Series:
    """Rows of one case that are estimates (not budget, not investment)."""
    return (results["case_id"] == case_id) & (results["kind"] != "budget") & (results["measure"] != "investment")


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
        A copy of ``results`` with the suppressed cells NaN, and one warning per suppressing case.
    """
    results = results.copy()
    warnings: list[str] = []
    for case_id, stats in statistics.items():
        small = [g for g in ("comparison", "intervention") if stats.persons(g) < min_persons]
        if small:
            results.loc[_estimated(results, case_id), ["value", "lower", "upper"]] = np.nan
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
            results.loc[rows, ["value", "lower", "upper"]] = np.nan
            warnings.append(
                f"case {case_id}: fewer than {min_persons} participants by {', '.join(map(str, sorted(few)))}; "
                "those years' estimates suppressed"
            )
    return results, warnings
