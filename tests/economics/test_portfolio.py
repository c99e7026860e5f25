"""The portfolio's rows: sums of unrounded case figures, intervals by the stated rule, the same cases in every sum."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from survival_invest.economics.portfolio import (
    ALL_YEARS,
    PORTFOLIO_ID,
    left_out,
    persons_in_several_cases,
    portfolio_rows,
    with_portfolio,
)

#: tests/conftest.py's ``result_row`` fixture: ``result_row(case, year, measure, kind, value, half=nan)``.
ResultRow = Callable[..., dict]


def _results(row: ResultRow) -> pd.DataFrame:
    rows = []
    for case, sav, half in (("1", -1.0004, 0.3), ("2", -2.0004, 0.4)):
        for year in (2021, 2022):
            rows += [
                row(case, year, "investment", "budget", 1.0),
                row(case, year, "savings", "budget", 2 * sav),
                row(case, year, "net", "budget", 1.0 + 2 * sav),
                row(case, year, "investment", "realised", 0.9),
                row(case, year, "savings", "realised", sav, half),
                row(case, year, "net", "realised", 0.9 + sav, half),
                row(case, year, "saved_fte", "realised", 3.0, 1.0),
            ]
    return pd.DataFrame(rows)


def _get(p: pd.DataFrame, year: int, measure: str, kind: str) -> pd.Series:
    got = p[(p["year"] == year) & (p["measure"] == measure) & (p["kind"] == kind)]
    assert len(got) == 1, (year, measure, kind)
    return got.iloc[0]


def test_sums_come_from_unrounded_values_and_independent_intervals_add_in_quadrature(result_row: ResultRow) -> None:
    p = portfolio_rows(_results(result_row), independent=True)
    assert set(p["case_id"]) == {PORTFOLIO_ID}
    s = _get(p, 2021, "savings", "realised")
    assert s["value"] == pytest.approx(-3.0008, abs=1e-12)  # not -1.000 + -2.000 from rounded cells
    assert s["upper"] - s["value"] == pytest.approx(0.5)  # sqrt(0.3^2 + 0.4^2)
    net = _get(p, 2021, "net", "realised")
    assert net["value"] == pytest.approx(1.8 - 3.0008) and net["upper"] - net["value"] == pytest.approx(0.5)
    assert np.isnan(_get(p, 2021, "savings", "budget")["lower"])  # a budget has no interval


def test_shared_persons_add_half_widths_and_the_total_adds_a_cases_years(result_row: ResultRow) -> None:
    p = portfolio_rows(_results(result_row), independent=False)
    assert _get(p, 2022, "savings", "realised")["upper"] - _get(p, 2022, "savings", "realised")["value"] == (
        pytest.approx(0.7)
    )
    total = _get(p, ALL_YEARS, "savings", "realised")
    assert total["value"] == pytest.approx(2 * -3.0008)
    assert total["value"] - total["lower"] == pytest.approx(2 * 0.3 + 2 * 0.4)
    independent = _get(portfolio_rows(_results(result_row), independent=True), ALL_YEARS, "savings", "realised")
    assert independent["value"] - independent["lower"] == pytest.approx(np.hypot(0.6, 0.8))


def test_savings_per_krone_and_payback_year_per_kind(result_row: ResultRow) -> None:
    p = portfolio_rows(_results(result_row), independent=True)
    ratio = _get(p, ALL_YEARS, "savings_per_krone", "realised")
    assert ratio["value"] == pytest.approx(2 * 3.0008 / 3.6) and ratio["unit"] == "ratio"
    assert ratio["lower"] < ratio["value"] < ratio["upper"]
    budget_ratio = _get(p, ALL_YEARS, "savings_per_krone", "budget")
    assert budget_ratio["value"] == pytest.approx(2 * 6.0016 / 4.0) and np.isnan(budget_ratio["lower"])
    assert _get(p, ALL_YEARS, "payback_year", "realised")["value"] == 2021  # net already negative in 2021


def test_a_suppressed_case_is_left_out_of_every_sum_of_its_kind_and_year(result_row: ResultRow) -> None:
    r = _results(result_row)
    hidden = (r["case_id"] == "2") & (r["year"] == 2022) & (r["kind"] == "realised") & (r["measure"] != "investment")
    r.loc[hidden, ["value", "lower", "upper"]] = np.nan
    p = portfolio_rows(r, independent=True)
    assert _get(p, 2022, "savings", "realised")["value"] == pytest.approx(-1.0004)
    assert _get(p, 2022, "investment", "realised")["value"] == pytest.approx(0.9)  # case 2's investment left out too
    assert _get(p, 2022, "net", "realised")["value"] == pytest.approx(0.9 - 1.0004)
    assert left_out(r, 2022, "realised") == ["2"] and left_out(r, 2021, "realised") == []
    assert left_out(r, 2023, "forecast") == []  # no figure of that kind that year: nothing left out


def test_a_missing_realised_investment_makes_no_partial_sum(result_row: ResultRow) -> None:
    r = _results(result_row)
    r = r[~((r["case_id"] == "1") & (r["measure"].isin(["investment", "net"])) & (r["kind"] == "realised"))]
    p = portfolio_rows(r, independent=True)
    assert np.isnan(_get(p, 2021, "investment", "realised")["value"])
    assert p[(p["measure"] == "net") & (p["kind"] == "realised")].empty
    assert _get(p, 2021, "savings", "realised")["value"] == pytest.approx(-3.0008)


def test_with_portfolio_replaces_earlier_portfolio_rows_and_counts_shared_persons(result_row: ResultRow) -> None:
    once = with_portfolio(_results(result_row), independent=True)
    twice = with_portfolio(once, independent=True)
    pd.testing.assert_frame_equal(once, twice)
    m = pd.DataFrame({"person_id": ["a", "a", "b", "c", "c"], "case_id": ["1", "1", "1", "1", "2"]})
    assert persons_in_several_cases(m) == 1  # a is in case 1 twice (both groups), c in cases 1 and 2
    assert persons_in_several_cases(m[m["person_id"] != "c"]) == 0


def test_independence_rule_covers_a_simulated_sum_of_independent_cases(result_row: ResultRow) -> None:
    """The stated assumption checked by simulation: independent normal case estimates, 95 % RSS interval covers."""
    rng = np.random.default_rng(17)
    sd = np.array([0.3, 0.4, 1.1, 0.2])
    truth = np.array([-1.0, -2.0, -0.5, -0.7])
    n = 2000
    est = truth + rng.normal(0, sd, size=(n, sd.size))  # n portfolios of four cases, one "year" each
    rows = [
        result_row(str(i), 3000 + k, "savings", "realised", float(est[k, i]), 1.959964 * sd[i])
        for k in range(n)
        for i in range(sd.size)
    ]
    p = portfolio_rows(pd.DataFrame(rows), independent=True)
    p = p[(p["measure"] == "savings") & (p["year"] != ALL_YEARS)]
    covered = ((p["lower"] <= truth.sum()) & (truth.sum() <= p["upper"])).mean()
    assert len(p) == n and 0.93 < covered < 0.97
