"""The portfolio: every case's figures summed per year and in total, with intervals, as rows of the results table.

Rows
----
The portfolio's rows have the reserved ``case_id = "portfolio"``
(:data:`PORTFOLIO_ID`, a case may not take it) and the results table's columns
and sign convention (investment positive, savings negative, ``net =
investment + savings``). ``year`` is a calendar year, or ``0``
(:data:`ALL_YEARS`) for the total over the years. Measures: ``investment``,
``savings``, ``net``, ``saved_fte``, ``refusion_part`` per kind (budget,
realised, forecast); on the total rows also ``savings_per_krone`` (``-savings
/ investment``, unit ``ratio``) and ``payback_year`` (the first year in which
the cumulative net is <= 0, i.e. savings have paid back the investment; unit
``year``). Every figure is a sum of unrounded case figures.

Which cases a figure covers
---------------------------
A kind's figure of a year sums the cases whose savings figure of that year and
kind is shown: a suppressed case (too few persons) is left out of realised and
forecast alike, and of the investment beside them, so that ``net =
investment + savings`` holds over the same cases and no suppressed figure can
be recovered by subtracting the shown cases from the portfolio.
:func:`left_out` names the cases a kind's figure of a year leaves out; the
budget covers every case. The realised investment needs every covered case's
realised investment (the finance extract); without it the realised investment
and net are missing, never a partial sum.

The interval
------------
Each case's interval is taken as a normal interval, its half-widths ``value -
lower`` and ``upper - value`` kept separately. Two rules:

* **independent cases** (``independent=True``): no person is a member of two
  cases, so the cases' figures are functions of disjoint sets of persons,
  drawn independently; the half-widths add in quadrature (the root of the sum
  of squares), which is the exact variance of a sum of independent normal
  estimates. The monthly job uses it only when the memberships show no person
  in two cases (:func:`persons_in_several_cases`).
* **shared persons** (``independent=False``): a person in the target groups of
  two cases makes the two figures correlated (the same person's months enter
  both comparison curves). The half-widths then add linearly, the bound for
  perfectly correlated figures, which is never too narrow whatever the
  correlation. This is conservative; a joint bootstrap over persons across
  cases would be exact and is the way to narrow it.

* **joint** (``correlation`` given): the exact rule for shared persons. The
  correlation of every pair of case figures comes from the persons' influences
  clustered by person across cases (:mod:`survival_invest.economics.joint`,
  what a joint bootstrap over persons estimates); the half-widths ``h``
  combine as ``sqrt(h' R h)``. Disjoint cases give the quadrature rule, one
  case its own interval. A pair without a correlation is taken as perfectly
  correlated. The monthly job uses it whenever persons are shared and the
  in-memory engine has every survival case's cohort; the coverage study
  (``benchmarks/portfolio_coverage.py``, README "Coverage") compares the three.

Without ``correlation`` the total over years adds a case's yearly half-widths
linearly (a case's years rest on the same curves, so their errors are positively
correlated), then combines the cases by the rule above; with it, the same
correlation matrix across years and cases gives the total. Budget figures have no
interval; a case figure without one (a count case) is taken as known.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "ALL_YEARS",
    "PORTFOLIO_ID",
    "case_rows",
    "interval_rule",
    "left_out",
    "persons_in_several_cases",
    "portfolio_rows",
    "with_portfolio",
]

#: The reserved case id of the portfolio's rows (``config.parse.RESERVED_CASE_IDS``).
PORTFOLIO_ID = "portfolio"
#: The ``year`` of the rows that total every year.
ALL_YEARS = 0

_SUMMED = ("investment", "savings", "net", "saved_fte", "refusion_part")
_KINDS = ("budget", "realised", "forecast")
_UNITS = {"saved_fte": "fte", "savings_per_krone": "ratio", "payback_year": "year"}
_COLUMNS = ["case_id", "year", "measure", "kind", "value", "lower", "upper", "unit"]


def case_rows(results: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``results`` that belong to cases (the portfolio's own rows left out)."""
    return results[results["case_id"].astype(str) != PORTFOLIO_ID]


def persons_in_several_cases(memberships: pd.DataFrame) -> int:
    """How many persons are members of more than one case (either group): 0 means the cases are independent.

    Parameters
    ----------
    memberships : DataFrame
        With columns ``person_id`` and ``case_id`` (one row per person, case and group).

    Returns
    -------
    int
        A count about the portfolio; shown only as the choice of interval rule, never as a figure.
    """
    pairs = memberships[["person_id", "case_id"]].astype(str).drop_duplicates()
    cases_per_person = pairs.groupby("person_id", sort=False)["case_id"].size()
    return int((cases_per_person > 1).sum())


def _covered(results: pd.DataFrame) -> pd.DataFrame:
    """(year, kind, case_id) of every shown savings figure: the cases a kind's figure of a year covers."""
    r = case_rows(results)
    sav = r[(r["measure"] == "savings") & r["value"].notna()]
    return sav[["year", "kind", "case_id"]].drop_duplicates()


def _combine(widths: pd.Series, independent: bool) -> float:
    """Half-widths of the cases combined: root of the sum of squares (independent) or their sum."""
    w = widths.dropna().to_numpy(dtype=float)
    if w.size == 0:
        return np.nan
    return float(np.sqrt(np.sum(w**2))) if independent else float(np.sum(w))


def _joint(rows: pd.DataFrame, column: str, correlation: pd.DataFrame) -> float:
    """``sqrt(h' R h)`` of the rows' half-widths ``h`` in ``column``; R from ``correlation`` (1 where unknown)."""
    r = rows[rows[column].notna()]
    if r.empty:
        return np.nan
    keys = pd.MultiIndex.from_arrays(
        [r["case_id"].astype(str), r["kind"], r["measure"], r["year"].astype("int64")],
        names=["case_id", "kind", "measure", "year"],
    )
    m = correlation.reindex(index=keys, columns=keys).to_numpy(dtype=float)
    m = np.where(np.isnan(m), 1.0, m)
    np.fill_diagonal(m, 1.0)
    h = r[column].to_numpy(dtype=float)
    return float(np.sqrt(max(float(h @ m @ h), 0.0)))


def _summed(
    rows: pd.DataFrame, keys: list[str], independent: bool, correlation: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Value sums and combined half-widths over cases within ``keys`` (case half-widths already per key)."""
    g = rows.groupby(keys, sort=True)
    out = g["value"].sum(min_count=1).to_frame()
    out["n"] = g["value"].size()
    out["n_valued"] = g["value"].count()
    for side in ("below", "above"):
        if correlation is None:
            out[side] = g[side].agg(lambda s: _combine(s, independent))
        else:
            out[side] = pd.Series({k: _joint(f, side, correlation) for k, f in g}, dtype=float)
    return out.reset_index()


def _finish(frame: pd.DataFrame, year: int | None = None) -> pd.DataFrame:
    """Rows in the results table's columns: limits from the half-widths, unit by measure."""
    f = frame.copy()
    if year is not None:
        f["year"] = year
    f["lower"] = f["value"] - f["below"]
    f["upper"] = f["value"] + f["above"]
    f["case_id"] = PORTFOLIO_ID
    f["unit"] = f["measure"].map(_UNITS).fillna("mio_kr")
    return f[_COLUMNS]


def _year_rows(results: pd.DataFrame, independent: bool, correlation: pd.DataFrame | None) -> pd.DataFrame:
    """Per (year, measure, kind): the covered cases' figures summed, intervals combined."""
    r = case_rows(results)
    r = r[r["measure"].isin(_SUMMED) & r["kind"].isin(_KINDS)].copy()
    r["case_id"] = r["case_id"].astype(str)
    cov = _covered(results).assign(case_id=lambda f: f["case_id"].astype(str))
    r = r.merge(cov, on=["year", "kind", "case_id"], how="inner")
    r["below"] = r["value"] - r["lower"]
    r["above"] = r["upper"] - r["value"]
    s = _summed(r, ["year", "measure", "kind"], independent, correlation)
    # an investment sum missing a covered case's figure (no realised investment for it) is no figure
    n_cases = cov.groupby(["year", "kind"]).size().rename("n_cases").reset_index()
    s = s.merge(n_cases, on=["year", "kind"], how="left")
    s.loc[(s["measure"] == "investment") & (s["n_valued"] < s["n_cases"]), ["value", "below", "above"]] = np.nan
    return s


def _net_from_parts(year_rows: pd.DataFrame) -> pd.DataFrame:
    """Net recomputed as investment + savings of the same cases (missing when either is), savings' interval."""
    piv = year_rows.pivot_table(index=["year", "kind"], columns="measure", values=["value", "below", "above"])
    keep = year_rows[year_rows["measure"] != "net"]
    if ("value", "investment") not in piv.columns or ("value", "savings") not in piv.columns:
        return keep
    # pivot_table drops an all-NaN column: savings without any interval (a suppressed case) keeps NaN limits
    piv = piv.reindex(columns=piv.columns.union(pd.MultiIndex.from_product([["below", "above"], ["savings"]])))
    net = pd.DataFrame(
        {
            "value": piv[("value", "investment")] + piv[("value", "savings")],
            "below": piv[("below", "savings")],
            "above": piv[("above", "savings")],
        }
    ).dropna(subset=["value"])
    net = net.reset_index().assign(measure="net")
    return pd.concat([keep, net], ignore_index=True)


def _total_rows(
    results: pd.DataFrame, year_rows: pd.DataFrame, independent: bool, correlation: pd.DataFrame | None
) -> pd.DataFrame:
    """Year 0: each kind's years summed; a case's yearly half-widths added, then cases combined (or jointly)."""
    r = case_rows(results)
    r = r[r["measure"].isin(_SUMMED) & r["kind"].isin(_KINDS)].copy()
    r["case_id"] = r["case_id"].astype(str)
    cov = _covered(results).assign(case_id=lambda f: f["case_id"].astype(str))
    r = r.merge(cov, on=["year", "kind", "case_id"], how="inner")
    r["below"] = r["value"] - r["lower"]
    r["above"] = r["upper"] - r["value"]
    if correlation is None:
        per_case = r.groupby(["case_id", "measure", "kind"])[["below", "above"]].sum(min_count=1).reset_index()
        widths = _summed(per_case.assign(value=0.0), ["measure", "kind"], independent)
    else:  # every (case, year) figure at once: the correlation spans years as well as cases
        widths = _summed(r, ["measure", "kind"], independent, correlation)
    widths = widths[["measure", "kind", "below", "above"]]
    sums = year_rows.groupby(["measure", "kind"])["value"].sum(min_count=1).reset_index()
    missing = year_rows[year_rows["value"].isna()].groupby(["measure", "kind"]).size()
    sums = sums.set_index(["measure", "kind"])
    sums.loc[sums.index.isin(missing.index), "value"] = np.nan
    total = sums.reset_index().merge(widths, on=["measure", "kind"], how="left")
    sav = total[total["measure"] == "savings"].set_index("kind")[["below", "above"]]
    is_net = total["measure"] == "net"
    total.loc[is_net, ["below", "above"]] = sav.reindex(total.loc[is_net, "kind"]).to_numpy()
    return total


def _key_figures(totals: pd.DataFrame, year_rows: pd.DataFrame) -> pd.DataFrame:
    """Savings per krone (interval from the savings' limits) and the payback year, per kind."""
    rows = []
    for kind in _KINDS:  # three kinds
        t = totals[totals["kind"] == kind].set_index("measure")
        if not {"investment", "savings"} <= set(t.index):
            continue
        values = t["value"].astype(float)
        inv, sav = float(values["investment"]), float(values["savings"])
        if inv > 0 and np.isfinite(sav):
            # ratio = -savings / investment: the savings' upper limit gives the ratio's lower one
            below = float(t["above"].astype(float)["savings"]) / inv
            above = float(t["below"].astype(float)["savings"]) / inv
            rows.append(("savings_per_krone", kind, -sav / inv, below, above))
        net = year_rows[(year_rows["kind"] == kind) & (year_rows["measure"] == "net")].sort_values("year")
        if not net.empty and net["value"].notna().all():
            paid = net["year"].to_numpy()[np.cumsum(net["value"].to_numpy()) <= 0]
            rows.append(("payback_year", kind, float(paid[0]) if paid.size else np.nan, np.nan, np.nan))
    return pd.DataFrame(rows, columns=["measure", "kind", "value", "below", "above"])


def portfolio_rows(
    results: pd.DataFrame, *, independent: bool, correlation: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The portfolio's rows: per year and in total (year 0), every kind; rules in the module docstring.

    Parameters
    ----------
    results : DataFrame
        The run's long results (cases only, or with earlier portfolio rows, which are ignored).
    independent : bool
        Whether no person is a member of two cases (half-widths in quadrature) or
        some are (half-widths added: never too narrow).
    correlation : DataFrame, optional
        :func:`survival_invest.economics.joint.joint_correlation` of the case
        figures: the joint rule, which then replaces ``independent``.

    Returns
    -------
    DataFrame
        Rows with ``case_id = "portfolio"`` in the results table's columns.
    """
    years = _net_from_parts(_year_rows(results, independent, correlation))
    if years.empty:
        return pd.DataFrame(columns=_COLUMNS)
    totals = _total_rows(results, years, independent, correlation)
    keys = _key_figures(totals, years)
    frames = [_finish(years), _finish(totals, ALL_YEARS)]
    if not keys.empty:
        frames.append(_finish(keys, ALL_YEARS))
    out = pd.concat(frames, ignore_index=True)
    out.loc[out["kind"] == "budget", ["lower", "upper"]] = np.nan
    order = {m: i for i, m in enumerate((*_SUMMED, "savings_per_krone", "payback_year"))}
    sort = pd.DataFrame(
        {
            "y": np.where(out["year"] == ALL_YEARS, np.iinfo(np.int32).max, out["year"]),
            "m": out["measure"].map(order),
            "k": out["kind"].map({k: i for i, k in enumerate(_KINDS)}),
        }
    )
    out = out.loc[sort.sort_values(["y", "m", "k"], kind="stable").index]
    return out.astype({"year": "int64"}).reset_index(drop=True)


def with_portfolio(
    results: pd.DataFrame, *, independent: bool, correlation: pd.DataFrame | None = None
) -> pd.DataFrame:
    """``results`` (its cases' rows) followed by the portfolio's rows (:func:`portfolio_rows`).

    Parameters
    ----------
    results : DataFrame
        The run's long results (earlier portfolio rows are replaced).
    independent : bool
        The rule without ``correlation`` (quadrature, or linear sums when persons are shared).
    correlation : DataFrame, optional
        The joint rule's correlation (:func:`survival_invest.economics.joint.joint_correlation`).

    Returns
    -------
    DataFrame
        The cases' rows, then the portfolio's.
    """
    cases = case_rows(results)
    rows = portfolio_rows(cases, independent=independent, correlation=correlation)
    return pd.concat([cases, rows], ignore_index=True)


def interval_rule(independent: bool, correlation: pd.DataFrame | None) -> str:
    """The name of the rule a run's portfolio interval used: ``joint``, ``independent`` or ``shared`` (linear)."""
    if independent:
        return "independent"
    return "shared" if correlation is None else "joint"


def left_out(results: pd.DataFrame, year: int, kind: str) -> Sequence[str]:
    """The cases with a budget in ``year`` that the portfolio's ``kind`` figure of that year does not cover.

    Parameters
    ----------
    results : DataFrame
        The run's long results.
    year : int
        A calendar year.
    kind : {"realised", "forecast"}
        The kind of figure.

    Returns
    -------
    list of str
        Case ids, in the results' order; empty when the portfolio has no such figure that year.
    """
    r = case_rows(results)
    budget = r[(r["year"] == year) & (r["measure"] == "savings") & (r["kind"] == "budget")]["case_id"].astype(str)
    cov = _covered(results)
    shown = set(cov[(cov["year"] == year) & (cov["kind"] == kind)]["case_id"].astype(str))
    if not shown:  # no figure of that kind in that year (a year after the cut-off): nothing is left out of it
        return []
    return [c for c in dict.fromkeys(budget) if c not in shown]
