"""The summary paragraph at the top of the report, written from the figures (Danish or English).

What it says, each sentence only when its figures exist:

1. the realised savings to the cut-off, all years, with the portfolio's 95 %
   interval, against the **budget to date** of the same cases: each year's
   budget spread evenly over its twelve months, counted up to the cut-off
   month (a year before the cut-off's year counts whole, the cut-off's year
   ``month / 12``, later years not at all); the realised net (after the
   realised investment) likewise, or that the investment is not known;
2. the forecast of the report's year (the as-of month's year) with its
   interval, against that year's budget;
3. the cases whose realised savings fall below their budget to date by more
   than their interval (the interval's most favourable limit still short of
   the budget), or that there are none;
4. the cases suppressed (too few persons) and the cases with no realised
   figure yet (a count case, a case that has not started).

No judgement beyond that: a case is called behind only when its interval
excludes the budget to date, and nothing is said of a case that is not. All
figures are sums of shown figures (suppressed cases are not in them), so no
figure rests on fewer than ``min_persons`` persons. Savings are written as
positive amounts, as one speaks of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from survival_invest.choices import Language
from survival_invest.economics.portfolio import ALL_YEARS, PORTFOLIO_ID, case_rows, left_out
from survival_invest.io.periods import RunClock
from survival_invest.report.i18n import format_mkr, label

__all__ = [
    "budget_to_date",
    "case_names",
    "cases_behind",
    "portfolio_notes",
    "short_name",
    "summary_paragraph",
    "year_fractions",
]


def year_fractions(years: np.ndarray, clock: RunClock) -> np.ndarray:
    """The share of each year's budget due by the cut-off: 1 before its year, ``month / 12`` in it, 0 after.

    Monthly clocks (month numbers ``12 * year + month - 1``), as the monthly job runs.
    """
    cut_year, cut_month = divmod(int(clock.cutoff), 12)
    y = np.asarray(years, dtype=np.int64)
    return np.where(y < cut_year, 1.0, np.where(y == cut_year, (cut_month + 1) / 12.0, 0.0))


def _realised(results: pd.DataFrame, measure: str = "savings") -> pd.DataFrame:
    r = case_rows(results)
    return r[(r["measure"] == measure) & (r["kind"] == "realised") & r["value"].notna()]


def budget_to_date(results: pd.DataFrame, clock: RunClock, measure: str = "savings") -> pd.DataFrame:
    """Per case and year with a realised figure: the budget due by the cut-off (:func:`year_fractions`).

    Parameters
    ----------
    results : DataFrame
        The run's long results.
    clock : RunClock
        The run's cut-off.
    measure : {"savings", "net"}
        The budget row spread.

    Returns
    -------
    DataFrame
        ``case_id, year, budget`` (mio. kr., signed as in the results).
    """
    shown = _realised(results, "savings")[["case_id", "year"]]
    r = case_rows(results)
    b = r[(r["measure"] == measure) & (r["kind"] == "budget")][["case_id", "year", "value"]]
    b = b.merge(shown, on=["case_id", "year"], how="inner")
    b = b.assign(budget=b["value"].to_numpy() * year_fractions(b["year"].to_numpy(), clock))
    return b[["case_id", "year", "budget"]]


def cases_behind(results: pd.DataFrame, clock: RunClock) -> list[str]:
    """Cases whose realised savings to date fall below the budget to date by more than their interval.

    A case's realised savings and half-widths are summed over its shown years
    (the half-widths add: its years rest on the same curves); it is behind when
    the interval's most favourable limit (the largest saving) is still short
    of the budget to date.

    Parameters
    ----------
    results : DataFrame
        The run's long results.
    clock : RunClock
        The run's cut-off.

    Returns
    -------
    list of str
        Case ids, in the results' order.
    """
    real = _realised(results)
    if real.empty:
        return []
    per = real.assign(below=real["value"] - real["lower"]).groupby("case_id", sort=False)[["value", "below"]].sum()
    budget = budget_to_date(results, clock).groupby("case_id", sort=False)["budget"].sum()
    best = per["value"] - per["below"]  # savings are negative: the most favourable limit is the lower one
    behind = best > budget.reindex(per.index)
    return [str(c) for c in per.index[behind.fillna(False).to_numpy(dtype=bool)]]


def _portfolio(results: pd.DataFrame, year: int, measure: str, kind: str) -> pd.Series | None:
    p = results[
        (results["case_id"].astype(str) == PORTFOLIO_ID)
        & (results["year"] == year)
        & (results["measure"] == measure)
        & (results["kind"] == kind)
    ]
    return None if p.empty or pd.isna(p["value"].iloc[0]) else p.iloc[0]


def _amounts(row: pd.Series, language: Language, sign: float) -> dict[str, str]:
    """Value and limits of a row in mio. kr., 2 decimals, multiplied by ``sign`` (limits kept in order)."""
    lo, up = sorted((sign * float(row["lower"]), sign * float(row["upper"])))
    return {
        k: format_mkr(v, language, 2) for k, v in (("value", sign * float(row["value"])), ("lower", lo), ("upper", up))
    }


def _budget_of_forecast(results: pd.DataFrame, year: int) -> float:
    """The budgeted savings of ``year`` of the cases whose forecast of that year is shown (the same cases)."""
    r = case_rows(results)
    r = r[(r["year"] == year) & (r["measure"] == "savings")]
    shown = set(r[(r["kind"] == "forecast") & r["value"].notna()]["case_id"].astype(str))
    budget = r[(r["kind"] == "budget") & r["case_id"].astype(str).isin(shown)]["value"]
    return float(budget.sum())


def short_name(name: str, width: int = 40) -> str:
    """A case name cut at a word boundary to at most ``width`` characters, ``…`` when cut."""
    if len(name) <= width:
        return name
    return name[: width - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def case_names(ids: Sequence[str], names: Mapping[str, str], language: Language) -> str:
    """``sag 1 (Mentor …), sag 2 (…)``: ids with their shortened names, for sentences.

    Parameters
    ----------
    ids : sequence of str
        Case ids.
    names : mapping of case id to name
        Case names (an id without one is shown as its name).
    language : {"da", "en"}
        The sentence's language.

    Returns
    -------
    str
    """
    return ", ".join(label("summary_case", language, id=i, name=short_name(names.get(i, i))) for i in ids)


def _status(results: pd.DataFrame, names: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """The cases whose realised figures are all suppressed, and those with no realised figure at all."""
    r = case_rows(results)
    sav = r[(r["measure"] == "savings") & (r["kind"] == "realised")]
    ids = [str(c) for c in dict.fromkeys(r["case_id"].astype(str))]
    has_rows = set(sav["case_id"].astype(str))
    shown = set(sav[sav["value"].notna()]["case_id"].astype(str))
    return [i for i in ids if i in has_rows and i not in shown], [i for i in ids if i not in has_rows]


def summary_paragraph(
    results: pd.DataFrame, clock: RunClock, names: Mapping[str, str], language: Language
) -> list[str]:
    """The summary's sentences (module docstring), in the report's language.

    Parameters
    ----------
    results : DataFrame
        The run's long results with the portfolio's rows (:func:`~survival_invest.economics.portfolio.with_portfolio`).
    clock : RunClock
        The as-of month and cut-off.
    names : mapping of case id to name
        Case names, shown after the ids.
    language : {"da", "en"}
        The report's language.

    Returns
    -------
    list of str
        Sentences; empty when the results hold no portfolio rows.
    """
    out: list[str] = []
    real = _portfolio(results, ALL_YEARS, "savings", "realised")
    if real is not None:
        budget = -float(budget_to_date(results, clock)["budget"].sum())
        out.append(
            label(
                "summary_realised",
                language,
                cutoff=clock.cutoff_label,
                budget=format_mkr(budget, language, 2),
                **_amounts(real, language, -1.0),
            )
        )
        net = _portfolio(results, ALL_YEARS, "net", "realised")
        if net is None:
            out.append(label("summary_no_investment", language))
        else:
            # savings positive, as in the sentences before and after it (the tables sign savings negative)
            net_budget = -float(budget_to_date(results, clock, "net")["budget"].sum())
            amounts = _amounts(net, language, -1.0)
            out.append(label("summary_net", language, budget=format_mkr(net_budget, language, 2), **amounts))
    year = int(clock.as_of_label[:4])
    fc = _portfolio(results, year, "savings", "forecast")
    if fc is not None:
        b = format_mkr(-_budget_of_forecast(results, year), language, 2)
        out.append(label("summary_forecast", language, year=year, budget=b, **_amounts(fc, language, -1.0)))
    if real is not None:
        behind = cases_behind(results, clock)
        key = "summary_behind" if behind else "summary_none_behind"
        out.append(label(key, language, cases=case_names(behind, names, language)))
    suppressed, not_measured = _status(results, names)
    if suppressed:
        out.append(label("summary_suppressed", language, cases=case_names(suppressed, names, language)))
    if not_measured:
        out.append(label("summary_not_measured", language, cases=case_names(not_measured, names, language)))
    return out


def portfolio_notes(results: pd.DataFrame, names: Mapping[str, str], language: Language) -> list[str]:
    """Which cases the portfolio's realised and forecast figures leave out, years with the same cases together.

    Parameters
    ----------
    results : DataFrame
        The run's long results.
    names : mapping of case id to name
        Unused names are fine; ids without a name are shown as they are.
    language : {"da", "en"}
        The notes' language.

    Returns
    -------
    list of str
    """
    notes = []
    years = sorted(int(y) for y in case_rows(results)["year"].unique())
    for kind in ("realised", "forecast"):
        by_set: dict[tuple[str, ...], list[str]] = {}
        for y in years:  # a handful of years
            out = tuple(left_out(results, y, kind))
            if out:
                by_set.setdefault(out, []).append(str(y))
        for cases, ys in by_set.items():
            shown = case_names(cases, names, language)
            notes.append(
                label("portfolio_left_out", language, kind=label(kind, language), year=", ".join(ys), cases=shown)
            )
    return notes
