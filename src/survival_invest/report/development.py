"""The development of realised savings over the as-of months, against the budget to date.

The chart (:func:`~survival_invest.report.plots.development_figure`) shows, for
every case that this report does not suppress, the realised savings to the
cut-off (all years) as each month's report stated them, from the history's
current rows, and as a dashed line the budget to date of the same years
(:func:`~survival_invest.report.summary.budget_to_date`: a year's budget spread
evenly over its months up to that month's cut-off). Only months up to the
report's own as-of are shown.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from survival_invest.choices import Language
from survival_invest.io.periods import RunClock
from survival_invest.report.plots import development_figure, png_svg
from survival_invest.report.summary import budget_to_date

__all__ = ["development_budget", "development_history", "development_png"]


def development_budget(history: pd.DataFrame, data_lag: int) -> pd.DataFrame:
    """The budget to date of each case at each as-of month of the history (the development chart's dashed lines).

    A month's budget to date spreads each year's budgeted savings over its
    months up to that month's cut-off (``as_of - data_lag``), over the years
    whose realised savings that month shows (:func:`budget_to_date`).

    Parameters
    ----------
    history : DataFrame
        Long results rows with an ``as_of`` column (``YYYY-MM``).
    data_lag : int
        Months between as-of and cut-off (the config's; the same for every month).

    Returns
    -------
    DataFrame
        As-of months (sorted) by case id, mio. kr. signed as savings (negative).
    """
    frames = []
    for month, rows in history.groupby("as_of", sort=True):  # one per as-of month of the history
        clock = RunClock.parse(str(month), data_lag, "month")
        b = budget_to_date(rows, clock).groupby("case_id")["budget"].sum()
        frames.append(b.rename(str(month)))
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, axis=1).T.sort_index()


def development_history(history: pd.DataFrame, results: pd.DataFrame, as_of_label: str) -> pd.DataFrame:
    """The earlier months' current rows with this run's results as month ``as_of_label`` (a rerun replaces it).

    Only months up to the report's as-of are shown: a report for 2022-04 made
    after 2022-06 was published shows 2022-04 and the months before it, as the
    report made in 2022-04 did (``as_of`` labels ``YYYY-MM`` compare as text).

    Parameters
    ----------
    history : DataFrame
        The history's current rows (with ``as_of``), e.g. :func:`~survival_invest.report.published.current_rows`.
    results : DataFrame
        This run's long results.
    as_of_label : str
        This run's month; its stored rows are replaced by ``results``, later months left out.

    Returns
    -------
    DataFrame
        The stored rows of the months before ``as_of_label``, then this run's rows (``as_of`` set).
    """
    earlier = history[history["as_of"].astype(str) < as_of_label]
    frames = [results.assign(as_of=as_of_label)]
    return pd.concat(frames if earlier.empty else [earlier, *frames], ignore_index=True)


def development_png(
    history: pd.DataFrame, language: Language, names: Mapping[str, str], data_lag: int | None = None
) -> bytes | None:
    """The development plot (:func:`~survival_invest.report.plots.development_figure`) as PNG; None when empty.

    Parameters
    ----------
    history : DataFrame
        Long results rows of every month (:func:`development_history`).
    language : {"da", "en"}
        Labels and decimal mark.
    names : mapping of case id to name
        The cases' names for the legend.
    data_lag : int, optional
        The config's data lag: with it, each case's budget to date is drawn
        (:func:`~survival_invest.report.summary.development_budget`).

    Returns
    -------
    bytes or None
    """
    budget = None if data_lag is None else development_budget(history, data_lag)
    fig = development_figure(history, language, names, budget)
    return None if fig is None else png_svg(fig)[0]
