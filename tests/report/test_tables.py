"""The published tables reproduce from their inputs (shared/reference)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survival_invest.config import load_config
from survival_invest.pipeline.portfolio import budget_results
from survival_invest.report.tables import case_table, format_mkr, portfolio_table, reduction_targets_table, totals_table

ROOT = Path(__file__).parents[2]
REF = ROOT.parent / "shared" / "reference"


def test_every_norddjurs_net_is_investment_plus_savings() -> None:
    results = budget_results(load_config(ROOT / "examples" / "norddjurs.toml"))
    ref = pd.read_csv(REF / "norddjurs_cases_2020.csv", dtype={"case_id": str})
    for row in ref.itertuples(index=False):
        table = case_table(results, row.case_id, with_limits=False)
        assert table.loc["Besparelse i alt", (row.year, "Budget")] == pytest.approx(row.budget_net_mkr, abs=1e-9)
        assert table.loc["Investering i indsats", (row.year, "Budget")] == row.budget_investment_mkr
        assert table.loc["Besparelse på forsørgelse", (row.year, "Budget")] == row.budget_savings_mkr
    en = case_table(results, "1", language="en", with_limits=False)
    assert "Net result" in en.index and (2020, "Budget") in en.columns


def _ministry() -> pd.DataFrame:
    return pd.read_csv(REF / "ministry_municipalities_2018.csv")


@pytest.mark.parametrize("municipality", ["Hjørring", "Aabenraa", "Silkeborg", "Ballerup"])
def test_ministry_totals_net_and_ratio(municipality: str) -> None:
    m = _ministry()
    m = m[m["municipality"] == municipality].set_index("row")
    years = [c for c in m.columns if c.isdigit()]
    inv = m.loc["investment", years].astype(float).rename(index=int)
    sav = m.loc["savings", years].astype(float).rename(index=int)
    table = totals_table(inv, sav)
    n_cells = int(inv.notna().sum())
    # The published cells are rounded to 0.1 and the published totals were summed
    # from unrounded values (Silkeborg's differ from the sum of its cells by 0.1),
    # so a total from rounded cells may be off by up to n_cells x 0.05.
    tol = n_cells * 0.05 + 1e-9
    for row in ("investment", "savings", "net"):
        assert table.loc[row, "total"] == pytest.approx(m.loc[row, "published_total"], abs=tol)
    # per-year net = savings - investment, to the cells' own rounding (two cells of +/- 0.05)
    for y in years:
        if not np.isnan(m.loc["net", y]):
            assert table.loc["net", int(y)] == pytest.approx(m.loc["net", y], abs=0.1 + 1e-9)
    # the ratio is published to one decimal
    ratio = table.loc["net", "savings_per_krone"]
    assert round(ratio, 1) == m.loc["net", "published_savings_to_investment_ratio"]


def test_silkeborg_totals_differ_from_rounded_cells_as_published() -> None:
    m = _ministry()
    s = m[m["municipality"] == "Silkeborg"].set_index("row")
    years = [c for c in s.columns if c.isdigit()]
    cells_sum = s.loc["investment", years].astype(float).sum()
    assert abs(cells_sum - s.loc["investment", "published_total"]) == pytest.approx(0.1, abs=1e-9)


def test_hjorring_accounts_total_and_net() -> None:
    h = pd.read_csv(REF / "hjorring_profile.csv")
    acc = h[h["source"] == "accounts_2015_2019"].set_index("row")
    years = ["2015", "2016", "2017", "2018", "2019"]
    table = totals_table(
        acc.loc["investment", years].astype(float).rename(index=int),
        acc.loc["savings", years].astype(float).rename(index=int),
    )
    assert table.loc["savings", "total"] == pytest.approx(acc.loc["savings", "total_2015_2019"], abs=1e-9)
    assert table.loc["investment", "total"] == pytest.approx(acc.loc["investment", "total_2015_2019"], abs=1e-9)
    assert table.loc["net", "total"] == pytest.approx(acc.loc["net", "total_2015_2019"], abs=1e-9)
    for y in years:
        assert table.loc["net", int(y)] == pytest.approx(acc.loc["net", y], abs=1e-9)
    assert table.loc["net", "payback_year"] == 2016


def test_reduction_targets_outstanding_row() -> None:
    r = pd.read_csv(REF / "reduction_targets_2021.csv").set_index("row")
    years = list(r.columns)
    target = r.loc["reduction_target", years].astype(float)
    delivered = r.loc[[i for i in r.index if i.startswith("initiative:")], years].astype(float).sum()
    table = reduction_targets_table(target, delivered)
    np.testing.assert_allclose(
        table.loc["outstanding"].to_numpy(), r.loc["published_net_outstanding", years].to_numpy(dtype=float)
    )
    # carry-forward: 2022's shortfall (-720) is added to 2023's target
    assert table.loc["target_carried", "2023"] == pytest.approx(-5000 - 720)
    assert table.loc["outstanding_carried", "2023"] == pytest.approx(-5000 - 720 + 2280)


def test_portfolio_table_from_results() -> None:
    results = budget_results(load_config(ROOT / "examples" / "norddjurs.toml"))
    t = portfolio_table(results)
    ref = pd.read_csv(REF / "norddjurs_cases_2020.csv")
    assert t.loc["investment", "total"] == pytest.approx(ref["budget_investment_mkr"].sum())
    assert t.loc["savings", "total"] == pytest.approx(-ref["budget_savings_mkr"].sum())
    assert t.loc["net", "savings_per_krone"] == pytest.approx(
        -ref["budget_savings_mkr"].sum() / ref["budget_investment_mkr"].sum()
    )


def test_danish_number_format() -> None:
    assert format_mkr(1234.5678, "da") == "1.234,568"
    assert format_mkr(-0.376, "da") == "-0,376"
    assert format_mkr(1234.5678, "en") == "1,234.568"
    assert format_mkr(float("nan")) == ""


def _not_paid_back() -> pd.DataFrame:
    """One case whose forecast never pays back by 2023 while its budget does in 2022."""
    rows = []
    for year, inv, bud, fc in ((2020, 3.0, -1.0, -0.5), (2021, 1.0, -2.0, -0.8), (2022, 1.0, -3.0, -1.0)):
        rows += [
            dict(case_id="1", year=year, measure="investment", kind="budget", value=inv),
            dict(case_id="1", year=year, measure="savings", kind="budget", value=bud),
            dict(case_id="1", year=year, measure="net", kind="budget", value=inv + bud),
            dict(case_id="1", year=year, measure="investment", kind="forecast", value=inv),
            dict(case_id="1", year=year, measure="savings", kind="forecast", value=fc, lower=fc - 0.1, upper=fc + 0.1),
            dict(case_id="1", year=year, measure="net", kind="forecast", value=inv + fc),
        ]
    r = pd.DataFrame(rows)
    r.loc[r["year"] == 2022, "year"] = 2023  # the last year shown is 2023 (2022 left out: no such year in the case)
    return r.assign(unit="mio_kr")


@pytest.mark.parametrize(("language", "words"), [("da", "ikke nået inden 2023"), ("en", "not reached by 2023")])
def test_payback_not_reached_is_said_in_words(language: str, words: str) -> None:
    from survival_invest.economics.portfolio import PORTFOLIO_ID, with_portfolio
    from survival_invest.report.layout import estimates_table_html
    from survival_invest.report.tables import KEY_FIGURES, estimate_rows, portfolio_sheet, with_case_totals

    results = with_portfolio(_not_paid_back(), independent=True)
    payback = results[(results["case_id"] == PORTFOLIO_ID) & (results["measure"] == "payback_year")]
    # results.csv keeps the documented value: the budget's year, NaN for a payback not reached within the years
    assert payback.set_index("kind")["value"]["budget"] == 2023
    assert np.isnan(payback.set_index("kind")["value"]["forecast"])
    for case_id, frame in ((PORTFOLIO_ID, results), ("1", with_case_totals(results, "1"))):
        rows = estimate_rows(frame, case_id, ("net", *KEY_FIGURES), language)
        page = estimates_table_html(rows, language, decimals={"payback_year": -1})
        assert page.count(words) == 1 and ">2023<" in page  # the budget's payback year, the forecast's words
        sheet = portfolio_sheet(rows, language)
        assert words in set(sheet["value"].astype(str))
    assert "text" not in estimate_rows(results, PORTFOLIO_ID, KEY_FIGURES).columns  # without a language: as before
