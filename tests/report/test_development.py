"""The development chart: only months up to the report's as-of, suppressed cases left out with a note."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from survival_invest.report.development import development_budget, development_history
from survival_invest.report.plots import development_figure, development_totals


def _rows(as_of: str, values: dict[str, list[float]]) -> pd.DataFrame:
    """Realised savings rows of one month: case -> one value per year (2021, 2022, ...)."""
    rows = [
        {"as_of": as_of, "case_id": case, "year": 2021 + i, "measure": "savings", "kind": "realised", "value": v}
        for case, vs in values.items()
        for i, v in enumerate(vs)
    ]
    return pd.DataFrame(rows).assign(lower=np.nan, upper=np.nan, unit="mkr")


HISTORY = pd.concat(
    [
        _rows("2022-03", {"1": [-1.0, -0.5], "2": [np.nan, np.nan]}),
        _rows("2022-04", {"1": [-1.0, -0.7], "2": [np.nan, np.nan]}),
        _rows("2022-05", {"1": [-1.0, -0.9], "2": [-0.3, -0.1]}),
        _rows("2022-06", {"1": [-1.0, -1.1], "2": [-0.3, -0.2]}),
    ],
    ignore_index=True,
)


def test_a_report_shows_no_month_after_its_as_of() -> None:
    this_run = _rows("2022-04", {"1": [-1.0, -0.8], "2": [np.nan, np.nan]}).drop(columns="as_of")
    dev = development_history(HISTORY, this_run, "2022-04")
    assert sorted(dev["as_of"].unique()) == ["2022-03", "2022-04"]  # 2022-05 and 2022-06 were published later
    april = dev[(dev["as_of"] == "2022-04") & (dev["case_id"] == "1")]
    assert april["value"].sum() == -1.8  # this run's rows replace the stored ones of its month


def test_suppressed_cases_are_absent_with_a_note_never_plotted_as_zero() -> None:
    dev = development_history(HISTORY, HISTORY[HISTORY["as_of"] == "2022-04"].drop(columns="as_of"), "2022-04")
    totals, hidden = development_totals(dev)
    assert hidden == ["2"] and list(totals.columns) == ["1"]
    np.testing.assert_allclose(totals["1"].to_numpy(), [-1.5, -1.7])
    fig = development_figure(dev, "en", {"1": "Mentor", "2": "Small case"})
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()] == ["1: Mentor"]
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [1.5, 1.7])  # shown positive
    notes = [t.get_text() for t in fig.texts]
    assert notes == ["Not shown (estimates suppressed, too few persons): case 2"]
    da = development_figure(dev, "da")
    assert [t.get_text() for t in da.texts] == ["Ikke vist (skøn undertrykt, for få personer): sag 2"]
    plt.close(fig)
    plt.close(da)


def test_a_case_suppressed_in_an_earlier_month_only_has_a_gap_there() -> None:
    totals, hidden = development_totals(HISTORY)  # as of 2022-06 case 2 is shown; its early months are missing
    assert hidden == [] and np.isnan(totals.loc["2022-03", "2"]) and totals.loc["2022-06", "2"] == -0.5
    fig = development_figure(HISTORY, "en")
    y = fig.axes[0].get_lines()[1].get_ydata()
    assert np.isnan(y[0]) and np.isnan(y[1]) and not fig.texts  # a gap, not 0; no note
    plt.close(fig)
    assert development_figure(HISTORY[HISTORY["case_id"] == "2"].iloc[:4], "en") is None  # nothing to show


def _budget(as_of: str, values: dict[str, list[float]]) -> pd.DataFrame:
    rows = _rows(as_of, values)
    return rows.assign(kind="budget")


def test_budget_to_date_spreads_each_year_evenly_up_to_the_cut_off() -> None:
    # realised 2021 and 2022 shown in both months; budgets -12 (2021) and -24 (2022)
    hist = pd.concat(
        [
            _rows("2022-05", {"1": [-1.0, -0.5]}),
            _budget("2022-05", {"1": [-12.0, -24.0]}),
            _rows("2022-07", {"1": [-1.0, -0.9]}),
            _budget("2022-07", {"1": [-12.0, -24.0]}),
        ],
        ignore_index=True,
    )
    budget = development_budget(hist, data_lag=2)  # cut-offs 2022-03 and 2022-05
    assert list(budget.index) == ["2022-05", "2022-07"]
    np.testing.assert_allclose(budget["1"].to_numpy(), [-12 - 24 * 3 / 12, -12 - 24 * 5 / 12])


def test_the_portfolio_rows_are_not_a_case_of_the_chart_and_the_budget_is_drawn() -> None:
    portfolio = _rows("2022-06", {"portfolio": [-5.0, -5.0]})
    budget = _budget("2022-06", {"1": [-2.0, -2.0]})
    hist = pd.concat([HISTORY, portfolio, budget], ignore_index=True)
    totals, _ = development_totals(hist)
    assert "portfolio" not in totals.columns
    fig = development_figure(hist, "en", {"1": "Mentor"}, development_budget(hist, data_lag=2))
    ax = fig.axes[0]
    dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--" and len(line.get_xdata())]
    assert dashed  # the budget-to-date line of case 1
    assert "budget to date (dashed)" in [t.get_text() for t in ax.get_legend().get_texts()]
    plt.close(fig)


def test_the_legend_shows_whole_case_names_wrapped() -> None:
    long = "Intensiveret indsats for aktivitetsparate kontanthjælpsmodtagere med mere end ét års ledighed"
    fig = development_figure(HISTORY, "da", {"1": long, "2": "Mentor"})
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    plt.close(fig)
    assert " ".join(texts[0].split()) == f"1: {long}"  # not cut to "1: Intensiveret indsats for aktivitetspar…"
    assert all(len(line) <= 40 for line in texts[0].splitlines()) and "2: Mentor" in texts


def test_the_caption_says_the_chart_shows_savings_as_positive_amounts() -> None:
    from survival_invest.report.i18n import label

    fig = development_figure(HISTORY, "da", {"1": "Mentor"})
    solid = [line for line in fig.axes[0].get_lines() if line.get_linestyle() == "-"]
    plt.close(fig)
    assert solid and all(np.nanmin(line.get_ydata()) > 0 for line in solid)  # the savings are negative in the rows
    assert "positive beløb (i tabellerne negative)" in label("development_caption", "da")
    assert "positive amounts here (negative in the tables)" in label("development_caption", "en")
