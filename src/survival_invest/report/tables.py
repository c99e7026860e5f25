"""The tables users expect, as pandas DataFrames from pure functions (no I/O, no rounding).

Totals and ratios are always computed from unrounded values; rounding happens
only when a writer shows a figure (:func:`survival_invest.report.i18n.format_mkr`). Sign convention of the
case tables (Norddjurs layout): investment positive, savings negative,
``Besparelse i alt = investment + savings``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from survival_invest.choices import LANGUAGES, Language
from survival_invest.economics.portfolio import ALL_YEARS, case_rows, portfolio_rows
from survival_invest.report.i18n import format_mkr, label

__all__ = [
    "CASE_MEASURES",
    "KEY_FIGURES",
    "LABELS",
    "PORTFOLIO_MEASURES",
    "case_table",
    "estimate_rows",
    "format_mkr",
    "portfolio_display",
    "portfolio_sheet",
    "portfolio_table",
    "reduction_targets_table",
    "targets_display",
    "totals_table",
    "with_case_totals",
]

_TABLE_KEYS = (
    "investment",
    "savings",
    "net",
    "saved_fte",
    "refusion_part",
    "budget",
    "realised",
    "forecast",
    "total",
    "savings_per_krone",
    "payback_year",
    "payback_not_reached",
    "reduction_target",
    "delivered",
    "outstanding",
    "target_carried",
    "outstanding_carried",
)

#: The table labels by language (``LABELS["da"]["net"]``), a view of :data:`survival_invest.report.i18n.LABELS`.
LABELS: Mapping[Language, Mapping[str, str]] = {
    language: {key: label(key, language) for key in _TABLE_KEYS} for language in LANGUAGES
}


def case_table(
    results: pd.DataFrame, case_id: str, *, language: Language = "da", with_limits: bool = True
) -> pd.DataFrame:
    """One case in the Norddjurs layout.

    Rows *Investering i indsats*, *Besparelse på forsørgelse*, *Besparelse i
    alt*, *heraf refusionsomlægning* and *Sparede fuldtidspersoner*; columns a
    MultiIndex (year, Budget / Realiseret / Forventet), mio. kr. (full-time
    persons in their row). With ``with_limits`` the lower and upper 95 % limits
    are extra rows ``<row> (nedre)`` / ``(øvre)`` for the estimated rows. Where
    a forecast's savings include months from a declared tail model, the row
    *heraf ekstrapoleret (hale)* shows that part (the results' ``extrapolated``).

    Parameters
    ----------
    results : DataFrame
        The long results (``case_id, year, measure, kind, value, lower, upper``).
    case_id : str
        The case shown.
    language : {"da", "en"}
        Row and column labels (:mod:`survival_invest.report.i18n`).
    with_limits : bool
        Add the limit rows of savings and saved full-time persons.

    Returns
    -------
    DataFrame
        Unrounded; empty rows and columns dropped; the index named after the case.
    """
    lab = LABELS[language]
    measures = ["investment", "savings", "net", "refusion_part", "saved_fte"]
    r = results[(results["case_id"].astype(str) == str(case_id)) & results["measure"].isin(measures)]
    kinds = ["budget", "realised", "forecast"]
    years = sorted(r["year"].unique())
    cols = pd.MultiIndex.from_tuples([(y, lab[k]) for y in years for k in kinds], names=["year", "kind"])
    out = pd.DataFrame(np.nan, index=[lab[m] for m in measures], columns=cols)
    lim_lo = out.copy()
    lim_hi = out.copy()
    rows = zip(
        r["year"], r["measure"].astype(str), r["kind"].astype(str), r["value"], r["lower"], r["upper"], strict=True
    )
    for year, measure, kind, value, lower, upper in rows:  # a few dozen rows per case
        key = (year, lab[kind])
        out.loc[lab[measure], key] = value
        lim_lo.loc[lab[measure], key] = lower
        lim_hi.loc[lab[measure], key] = upper
    out = out.dropna(axis=1, how="all")
    if with_limits:
        low_name, up_name = label("limit_lower", language), label("limit_upper", language)
        extra = []
        for m in ("savings", "saved_fte"):
            name = lab[m]
            extra.append(lim_lo.loc[[name], out.columns].rename(index={name: f"{name} ({low_name})"}))
            extra.append(lim_hi.loc[[name], out.columns].rename(index={name: f"{name} ({up_name})"}))
        out = pd.concat([out, *extra])
    if "extrapolated" in r.columns:  # the forecast savings' part from a declared tail (pipeline.horizon), flagged
        ext = r[(r["measure"] == "savings") & (r["kind"] == "forecast") & (r["extrapolated"].fillna(0.0) != 0.0)]
        for year, value in zip(ext["year"], ext["extrapolated"], strict=True):  # a few years
            out.loc[label("extrapolated_part", language), (year, lab["forecast"])] = value
    out = out.dropna(axis=0, how="all")
    out.index.name = str(case_id)
    return out


#: The measures of a case's table on the page, in order; the portfolio's.
CASE_MEASURES = ("investment", "savings", "net", "refusion_part", "saved_fte")
PORTFOLIO_MEASURES = ("investment", "savings", "net", "saved_fte")
#: The key figures on the total (year 0) rows: savings per krone invested and the payback year.
KEY_FIGURES = ("savings_per_krone", "payback_year")
_KINDS = ("budget", "realised", "forecast")


def estimate_rows(
    results: pd.DataFrame,
    case_id: str,
    measures: tuple[str, ...] = CASE_MEASURES,
    language: Language | None = None,
) -> pd.DataFrame:
    """One case's (or the portfolio's, ``case_id = "portfolio"``) figures as long rows in display order.

    A ``payback_year`` row without a value means that the cumulative net never
    turned within the kind's years (:mod:`survival_invest.economics.portfolio`):
    with ``language`` given it is kept, its ``text`` column saying "ikke nået
    inden 2023" / "not reached by 2023" (the kind's last year), so the table
    does not show a blank that reads as missing data.

    Parameters
    ----------
    results : DataFrame
        The long results.
    case_id : str
        The case, or :data:`~survival_invest.economics.portfolio.PORTFOLIO_ID`.
    measures : tuple of str
        The measures shown, in order (kinds in the order budget, realised, forecast).
    language : {"da", "en"}, optional
        The language of the ``text`` column (none without it).

    Returns
    -------
    DataFrame
        ``measure, kind, year, value, lower, upper`` (and ``text``), unrounded;
        rows without a value dropped (but a payback not reached, with ``language``).
    """
    r = results[(results["case_id"].astype(str) == str(case_id)) & results["measure"].isin(measures)]
    not_reached = (r["measure"] == "payback_year") & r["value"].isna() & (language is not None)
    r = r[r["kind"].isin(_KINDS) & (r["value"].notna() | not_reached)]
    order = pd.DataFrame(
        {
            "m": r["measure"].map({m: i for i, m in enumerate(measures)}),
            "k": r["kind"].map({k: i for i, k in enumerate(_KINDS)}),
            "y": r["year"].where(r["year"] != 0, 10**6),
        }
    )
    r = r.loc[order.sort_values(["m", "k", "y"], kind="stable").index]
    out = r[["measure", "kind", "year", "value", "lower", "upper"]].reset_index(drop=True)
    if language is not None:
        out["text"] = _payback_texts(results, case_id, out, language)
    return out


def _payback_texts(results: pd.DataFrame, case_id: str, rows: pd.DataFrame, language: Language) -> list[str | None]:
    """ "ikke nået inden <last year>" for each payback row without a value (the kind's last year of net rows)."""
    r = results[(results["case_id"].astype(str) == str(case_id)) & (results["measure"] == "net")]
    last = r[r["year"] != ALL_YEARS].groupby("kind")["year"].max()
    missing = (rows["measure"] == "payback_year") & rows["value"].isna()
    return [
        label("payback_not_reached", language, year=int(last.get(k, 0))) if m else None
        for k, m in zip(rows["kind"], missing, strict=True)
    ]


def with_case_totals(results: pd.DataFrame, case_id: str) -> pd.DataFrame:
    """``results`` with one case's totals over the years (year 0), savings per krone and payback year added.

    The same rules as the portfolio's total (:func:`~survival_invest.economics.portfolio.portfolio_rows`
    on the case alone: a case's yearly half-widths added over the years); for
    the case's page, not for ``results.csv``.

    Parameters
    ----------
    results : DataFrame
        The run's long results.
    case_id : str
        The case.

    Returns
    -------
    DataFrame
        ``results`` and the case's year-0 rows (``case_id`` the case's).
    """
    one = case_rows(results)
    one = one[one["case_id"].astype(str) == str(case_id)]
    totals = portfolio_rows(one, independent=True)
    totals = totals[totals["year"] == ALL_YEARS].assign(case_id=one["case_id"].iloc[0] if len(one) else case_id)
    return pd.concat([results, totals], ignore_index=True)


def portfolio_sheet(rows: pd.DataFrame, language: Language = "da") -> pd.DataFrame:
    """The portfolio's rows for the workbook: item, figure, year (``I alt`` for the total), value and 95 % limits.

    Parameters
    ----------
    rows : DataFrame
        The portfolio's :func:`estimate_rows`.
    language : {"da", "en"}
        Labels.

    Returns
    -------
    DataFrame
        Unrounded numbers; indexed by the item's label.
    """
    out = pd.DataFrame(
        {
            label("kind", language): [label(str(k), language) for k in rows["kind"]],
            label("year", language): [label("total", language) if y == ALL_YEARS else int(y) for y in rows["year"]],
            "value": _values_or_texts(rows),
            "lower": rows["lower"].to_numpy(dtype=float),
            "upper": rows["upper"].to_numpy(dtype=float),
        },
        index=pd.Index([label(str(m), language) for m in rows["measure"]], name=label("measure", language)),
    )
    return out


def _values_or_texts(rows: pd.DataFrame) -> list[object]:
    """The rows' values, a payback not reached as its text ("ikke nået inden 2023") instead of an empty cell."""
    texts = rows["text"] if "text" in rows.columns else pd.Series(None, index=rows.index, dtype=object)
    return [t if isinstance(t, str) else float(v) for v, t in zip(rows["value"], texts, strict=True)]


def totals_table(investment: pd.Series, savings: pd.Series, *, savings_sign: int = 1) -> pd.DataFrame:
    """Investment, savings and net per year and in total, with savings per krone invested.

    Parameters
    ----------
    investment, savings : Series indexed by year (mio. kr.)
    savings_sign : +1 when savings are given as positive amounts (the minister's
        table), -1 when negative (the Norddjurs tables).

    Returns
    -------
    DataFrame
        Rows ``investment, savings, net`` (savings positive, ``net = savings -
        investment``), columns the years plus ``total``; the attribute-like
        columns ``savings_per_krone`` (total savings / total investment) on the
        ``net`` row and ``payback_year`` (first year the cumulative net is >= 0).
        Totals come from unrounded values.
    """
    years = sorted(set(investment.dropna().index) | set(savings.dropna().index))
    inv = investment.reindex(years)
    sav = savings.reindex(years) * savings_sign
    net = sav.fillna(0) - inv.fillna(0)
    net[inv.isna() & sav.isna()] = np.nan
    table = pd.DataFrame([inv, sav, net], index=["investment", "savings", "net"])
    table.columns = years
    table["total"] = [inv.sum(min_count=1), sav.sum(min_count=1), net.sum(min_count=1)]
    total_inv = float(table["total"]["investment"])
    ratio = float(table["total"]["savings"]) / total_inv if total_inv and not math.isnan(total_inv) else np.nan
    table["savings_per_krone"] = [np.nan, np.nan, ratio]
    cum = net.fillna(0).cumsum()
    pos = [y for y, v in zip(years, cum, strict=True) if v >= 0]
    table["payback_year"] = [np.nan, np.nan, float(pos[0]) if pos else np.nan]
    return table


def portfolio_table(results: pd.DataFrame, *, kind: str = "budget") -> pd.DataFrame:
    """The whole portfolio for one kind (budget / realised / forecast): see :func:`totals_table`.

    Savings are summed over cases from the long results (negative there) and
    shown positive, as in the minister's table.
    """
    r = case_rows(results)
    r = r[r["kind"] == kind]
    inv = r[r["measure"] == "investment"].groupby("year")["value"].sum()
    sav = r[r["measure"] == "savings"].groupby("year")["value"].sum()
    return totals_table(inv, sav, savings_sign=-1)


def reduction_targets_table(targets: pd.Series, delivered: pd.Series) -> pd.DataFrame:
    """Yearly reduction targets against what initiatives deliver, plain and with carry-forward.

    Amounts are reductions (negative numbers, as in the 2021 note, in 1,000 kr.).

    * ``outstanding = target - delivered`` (negative = still to be found), as published;
    * carry-forward variant: a year's shortfall (a negative outstanding) is
      added to the next year's target: ``target_carried[y] = target[y] +
      min(outstanding_carried[y-1], 0)``, ``outstanding_carried = target_carried - delivered``.
    """
    years = list(targets.index)
    tgt = targets.astype(float)
    dlv = delivered.reindex(years).fillna(0.0).astype(float)
    outstanding = tgt - dlv
    carried_t, carried_o = [], []
    shortfall = 0.0
    for y in years:  # the carry-forward is a recursion over a handful of years
        t = tgt[y] + shortfall
        o = t - dlv[y]
        carried_t.append(t)
        carried_o.append(o)
        shortfall = min(o, 0.0)
    return pd.DataFrame(
        [tgt.to_numpy(), dlv.to_numpy(), outstanding.to_numpy(), carried_t, carried_o],
        index=["reduction_target", "delivered", "outstanding", "target_carried", "outstanding_carried"],
        columns=years,
    )


def portfolio_display(table: pd.DataFrame, language: Language = "da") -> tuple[pd.DataFrame, str]:
    """The portfolio table with labels in the report language, and its key figures as a sentence.

    Returns the year/total table (rows investment, savings, net) and a line
    with the savings per krone invested and the payback year.
    """
    lab = LABELS[language]
    out = table.drop(columns=["savings_per_krone", "payback_year"]).rename(
        index={k: lab[k] for k in ("investment", "savings", "net")}, columns={"total": lab["total"]}
    )
    ratio = float(table["savings_per_krone"]["net"])
    payback = float(table["payback_year"]["net"])
    r = "" if math.isnan(ratio) else format_mkr(ratio, language, 2)
    last = max((c for c in table.columns if isinstance(c, (int, np.integer))), default=0)
    y = label("payback_not_reached", language, year=int(last)) if math.isnan(payback) else str(int(payback))
    sentence = f"{lab['savings_per_krone']}: {r}. {lab['payback_year']}: {y}." if r else ""
    return out, sentence


def targets_display(table: pd.DataFrame, language: Language = "da") -> pd.DataFrame:
    """The reduction-target table with labels in the report language."""
    lab = LABELS[language]
    return table.rename(index={k: lab[k] for k in table.index if k in lab})
