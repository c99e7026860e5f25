"""The tables users expect, as pandas DataFrames from pure functions (no I/O, no rounding).

Totals and ratios are always computed from unrounded values; rounding happens
only when a writer shows a figure (:func:`format_mkr`). Sign convention of the
case tables (Norddjurs layout): investment positive, savings negative,
``Besparelse i alt = investment + savings``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = [
    "LABELS",
    "case_table",
    "format_mkr",
    "portfolio_display",
    "portfolio_table",
    "reduction_targets_table",
    "targets_display",
    "totals_table",
]

LABELS: Mapping[str, Mapping[str, str]] = {
    "da": {
        "investment": "Investering i indsats",
        "savings": "Besparelse på forsørgelse",
        "net": "Besparelse i alt",
        "saved_fte": "Sparede fuldtidspersoner",
        "refusion_part": "heraf refusionsomlægning",
        "budget": "Budget",
        "realised": "Realiseret",
        "forecast": "Forventet",
        "total": "I alt",
        "savings_per_krone": "Besparelse pr. investeret krone",
        "payback_year": "Første år med positivt akkumuleret resultat",
        "reduction_target": "Reduktionsmål",
        "delivered": "Initiativer i alt",
        "outstanding": "Udestående",
        "target_carried": "Reduktionsmål inkl. overført manko",
        "outstanding_carried": "Udestående inkl. overført manko",
    },
    "en": {
        "investment": "Investment in effort",
        "savings": "Savings on public support",
        "net": "Net result",
        "saved_fte": "Saved full-time persons",
        "refusion_part": "of which refusion reform",
        "budget": "Budget",
        "realised": "Realised",
        "forecast": "Forecast",
        "total": "Total",
        "savings_per_krone": "Savings per krone invested",
        "payback_year": "First year with positive cumulative result",
        "reduction_target": "Reduction target",
        "delivered": "Initiatives in total",
        "outstanding": "Outstanding",
        "target_carried": "Target incl. carried-forward shortfall",
        "outstanding_carried": "Outstanding incl. carried-forward shortfall",
    },
}


def case_table(results: pd.DataFrame, case_id: str, *, language: str = "da", with_limits: bool = True) -> pd.DataFrame:
    """One case in the Norddjurs layout.

    Rows *Investering i indsats*, *Besparelse på forsørgelse*, *Besparelse i
    alt*, *heraf refusionsomlægning* and *Sparede fuldtidspersoner*; columns a
    MultiIndex (year, Budget / Realiseret / Forventet), mio. kr. (full-time
    persons in their row). With ``with_limits`` the lower and upper 95 % limits
    are extra rows ``<row> (nedre)`` / ``(øvre)`` for the estimated rows.
    """
    lab = LABELS[language]
    r = results[results["case_id"].astype(str) == str(case_id)]
    measures = ["investment", "savings", "net", "refusion_part", "saved_fte"]
    kinds = ["budget", "realised", "forecast"]
    years = sorted(r["year"].unique())
    cols = pd.MultiIndex.from_tuples([(y, lab[k]) for y in years for k in kinds], names=["year", "kind"])
    out = pd.DataFrame(np.nan, index=[lab[m] for m in measures], columns=cols)
    lim_lo = out.copy()
    lim_hi = out.copy()
    for row in r.itertuples(index=False):  # a few dozen rows per case
        key = (row.year, lab[row.kind])
        out.loc[lab[row.measure], key] = row.value
        lim_lo.loc[lab[row.measure], key] = row.lower
        lim_hi.loc[lab[row.measure], key] = row.upper
    out = out.dropna(axis=1, how="all")
    if with_limits:
        low_name = "nedre" if language == "da" else "lower"
        up_name = "øvre" if language == "da" else "upper"
        extra = []
        for m in ("savings", "saved_fte"):
            name = lab[m]
            extra.append(lim_lo.loc[[name], out.columns].rename(index={name: f"{name} ({low_name})"}))
            extra.append(lim_hi.loc[[name], out.columns].rename(index={name: f"{name} ({up_name})"}))
        out = pd.concat([out, *extra])
    out = out.dropna(axis=0, how="all")
    out.index.name = str(case_id)
    return out


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
    total_inv = table.loc["investment", "total"]
    ratio = table.loc["savings", "total"] / total_inv if total_inv and not math.isnan(total_inv) else np.nan
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
    r = results[results["kind"] == kind]
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


def portfolio_display(table: pd.DataFrame, language: str = "da") -> tuple[pd.DataFrame, str]:
    """The portfolio table with labels in the report language, and its key figures as a sentence.

    Returns the year/total table (rows investment, savings, net) and a line
    with the savings per krone invested and the payback year.
    """
    lab = LABELS[language]
    out = table.drop(columns=["savings_per_krone", "payback_year"]).rename(
        index={k: lab[k] for k in ("investment", "savings", "net")}, columns={"total": lab["total"]}
    )
    ratio = table.loc["net", "savings_per_krone"]
    payback = table.loc["net", "payback_year"]
    r = "" if pd.isna(ratio) else format_mkr(float(ratio), language, 2)
    y = "-" if pd.isna(payback) else str(int(payback))
    sentence = f"{lab['savings_per_krone']}: {r}. {lab['payback_year']}: {y}." if r else ""
    return out, sentence


def targets_display(table: pd.DataFrame, language: str = "da") -> pd.DataFrame:
    """The reduction-target table with labels in the report language."""
    lab = LABELS[language]
    return table.rename(index={k: lab[k] for k in table.index if k in lab})


def format_mkr(value: float, language: str = "da", decimals: int = 3) -> str:
    """Show an amount in mio. kr.: Danish decimal comma and thousands point when ``language == "da"``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = f"{value:,.{decimals}f}"
    if language == "da":
        text = text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")
    return text
