"""The summary paragraph: what the figures say, in Danish and English, and nothing they do not."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from survival_invest.economics.portfolio import with_portfolio
from survival_invest.io.periods import RunClock
from survival_invest.report.summary import (
    budget_to_date,
    cases_behind,
    portfolio_notes,
    summary_paragraph,
    year_fractions,
)

CLOCK = RunClock.parse("2022-07", 2, "month")  # cut-off 2022-05


#: tests/conftest.py's ``result_row`` fixture: ``result_row(case, year, measure, kind, value, half=nan)``.
ResultRow = Callable[..., dict]


def _results(row: ResultRow) -> pd.DataFrame:
    rows = []
    for case, real, half in (("1", -1.0, 0.2), ("2", -5.5, 0.5), ("3", np.nan, np.nan)):
        for year in (2021, 2022):
            rows += [row(case, year, "savings", "budget", -6.0), row(case, year, "savings", "realised", real, half)]
            rows.append(row(case, year, "savings", "forecast", 2 * real if case != "3" else np.nan, 2 * half))
    rows.append(row("5", 2022, "savings", "budget", -1.0))  # a count case: no realised figure
    rows.append(row("5", 2022, "savings", "forecast", -1.0))
    return with_portfolio(pd.DataFrame(rows), independent=True)


def test_budget_to_date_counts_whole_years_and_the_cut_off_months(result_row: ResultRow) -> None:
    np.testing.assert_allclose(year_fractions(np.array([2021, 2022, 2023]), CLOCK), [1.0, 5 / 12, 0.0])
    b = budget_to_date(_results(result_row), CLOCK)
    assert set(b["case_id"]) == {"1", "2"}  # only years with a shown realised figure
    assert b[b["case_id"] == "1"]["budget"].sum() == -6.0 - 6.0 * 5 / 12


def test_behind_means_the_interval_misses_the_budget_to_date(result_row: ResultRow) -> None:
    # budget to date -8.5: case 1 (-2.0, interval to -2.4) is behind; case 2 (-11.0) is ahead
    assert cases_behind(_results(result_row), CLOCK) == ["1"]


def test_summary_in_danish_and_english_from_the_figures(result_row: ResultRow) -> None:
    names = {"1": "Mentor", "2": "Netværk", "3": "Lille sag", "5": "IGU"}
    da = " ".join(summary_paragraph(_results(result_row), CLOCK, names, "da"))
    assert "Til datagrænsen 2022-05 er der realiseret besparelser på forsørgelse for 13,00 mio. kr." in da
    assert "budget til dato på 17,00 mio. kr." in da  # the same cases: 1 and 2, 8.5 each
    assert "For hele 2022 forventes besparelser for 14,00 mio. kr." in da and "budget på 13,00 mio. kr." in da
    assert "Under budgettet til dato med mere end usikkerheden: sag 1 (Mentor)." in da
    assert "Undertrykt (for få personer): sag 3 (Lille sag)." in da
    assert "Uden realiseret opgørelse endnu: sag 5 (IGU)." in da
    en = " ".join(summary_paragraph(_results(result_row), CLOCK, names, "en"))
    assert "realised savings on public support are DKK 13.00 million" in en and "case 1 (Mentor)" in en
    assert "not known" in en  # no realised investment: the net is not stated


def test_no_case_named_behind_when_every_interval_reaches_the_budget(result_row: ResultRow) -> None:
    r = _results(result_row)
    r = r[r["case_id"].isin(["2", "portfolio"])]
    text = summary_paragraph(with_portfolio(r, independent=True), CLOCK, {}, "en")
    assert "No case is below its budget to date by more than its interval." in text


def test_portfolio_notes_name_each_left_out_case_once(result_row: ResultRow) -> None:
    names = {"3": "Lille sag", "5": "IGU"}
    da = portfolio_notes(_results(result_row), names, "da")
    assert "Realiseret 2022 omfatter ikke sag 3 (Lille sag), sag 5 (IGU): undertrykt" in " ".join(da)
    assert not any("sag sag" in n for n in da)  # the case list says "sag" itself (the demo showed "sag sag 5")
    en = portfolio_notes(_results(result_row), names, "en")
    assert "Realised 2022 leaves out case 3 (Lille sag), case 5 (IGU): suppressed" in " ".join(en)
    assert not any("case case" in n for n in en)


def test_the_net_is_written_as_saved_like_the_sentences_around_it(result_row: ResultRow) -> None:
    rows = []
    for case in ("1", "2"):
        for year in (2021, 2022):
            rows += [
                result_row(case, year, "investment", "budget", 1.0),
                result_row(case, year, "savings", "budget", -3.0),
                result_row(case, year, "net", "budget", -2.0),
                result_row(case, year, "investment", "realised", 1.0),
                result_row(case, year, "savings", "realised", -2.0, 0.5),
                result_row(case, year, "net", "realised", -1.0, 0.5),
            ]
    text = " ".join(summary_paragraph(with_portfolio(pd.DataFrame(rows), independent=True), CLOCK, {}, "da"))
    # savings 8.00 saved, investment 4.00: 4.00 saved net (the demo's page said "resultatet -0,21 ... negativ =
    # besparelsen er størst" right after "besparelser for 14,66")
    assert "realiseret besparelser på forsørgelse for 8,00 mio. kr." in text
    assert (
        "nettobesparelsen 4,00 mio. kr. (95 %-interval 2,59 til 5,41)" in text
    )  # a case's years add, cases in quadrature
    assert "budget til dato på 5,67 mio. kr." in text  # net budget 2.0 + 2.0 * 5 / 12 per case, saved
