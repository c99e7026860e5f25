"""An adjusted case's page (report.adjusted): the figure draws the adjusted curves and the adjusted area."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from survival_invest.choices import Language
from survival_invest.config import Portfolio, load_config
from survival_invest.economics.horizon import case_area
from survival_invest.pipeline.portfolio import PortfolioRun, run_portfolio_full
from survival_invest.report.adjusted import AdjustedCurve, adjusted_area_text, adjusted_pair
from survival_invest.report.pages import CasePage, case_page
from survival_invest.stats import as_statistics

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "norddjurs.toml"
ADJUST = 'comparison = "adjusted"\nadjust = { method = "aipw", covariates = ["age", "sex", "prior_weeks"] }\n'


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[PortfolioRun, Portfolio]:
    """The example portfolio with case 3 adjusted (AIPW, ATT), run for 2022-06 in memory."""
    text = EXAMPLE.read_text(encoding="utf-8").replace("../data/", f"{ROOT / 'data'}/")
    text = text.replace("[data]\n", f'[data]\npersons = "{ROOT / "data" / "synthetic" / "persons.csv"}"\n', 1)
    head, sep, rest = text.partition('id = "3"')
    rest = rest.replace('comparison = "non_participants"', "", 1)
    path = tmp_path_factory.mktemp("adjusted_page") / "portfolio.toml"
    path.write_text(head + sep + "\n" + ADJUST + rest, encoding="utf-8")
    config = load_config(path)
    return run_portfolio_full(config, "2022-06", engine="memory"), config


def _page(
    run: PortfolioRun, config: Portfolio, case_id: str, language: Language = "en", adjusted: bool = True
) -> CasePage:
    """Case ``case_id``'s page, with the run's adjusted curves unless ``adjusted`` is False."""
    case = config.case(case_id)
    return case_page(
        case,
        run.results,
        run.statistics[case_id],
        clock=run.clock,
        min_persons=config.run.min_persons,
        language=language,
        adjusted=run.adjusted.get(case_id) if adjusted else None,
    )


def _svg_text(svg: bytes) -> str:
    """The texts matplotlib's SVG writer leaves as comments (the glyphs are paths), legend wrapping undone."""
    return re.sub(r"\s+", " ", " ".join(re.findall(r"<!-- (.*?) -->", svg.decode("utf-8"), flags=re.S)))


def test_the_run_keeps_the_adjusted_curves_of_the_adjusted_case_only(run: tuple[PortfolioRun, Portfolio]) -> None:
    portfolio_run, _ = run
    assert set(portfolio_run.adjusted) == {"3"}
    fit = portfolio_run.adjusted["3"]
    assert (fit.method, fit.estimand) == ("aipw", "att")


def test_an_adjusted_case_page_names_the_adjusted_curve_and_shows_the_adjusted_area(
    run: tuple[PortfolioRun, Portfolio],
) -> None:
    portfolio_run, config = run
    fit = portfolio_run.adjusted["3"]
    page = _page(portfolio_run, config, "3")
    assert page.svg is not None
    text = _svg_text(page.svg)
    assert "Comparison, adjusted (AIPW)" in text
    assert "95 % Wald band: comparison, adjusted (AIPW)" in text  # the fit's pointwise band, not log-log
    assert "(aipw)" not in text  # the method's name keeps its capitals
    assert "95 % Wald bands (adjusted curves)" in text and "log-log" not in text
    area = fit.area
    assert "adjusted area (AIPW, ATT) to 27 months (last observed): " in text
    assert f"{area.value:.2f} months per participant [{area.lower:.2f}, {area.upper:.2f}]" in text
    # the Kaplan-Meier area of the same case is another number: the page no longer shows it
    km, _ = case_area(as_statistics(portfolio_run.statistics["3"]), config.case("3"))
    assert f"{km.value:.2f}" != f"{area.value:.2f}"
    assert f"{km.value:.2f} months per participant" not in text
    # the risk table stays the observed persons at risk, and says so
    assert list(page.risk) == ["Comparison (observed, unadjusted)", "Intervention (observed, unadjusted)"]
    unadjusted = _page(portfolio_run, config, "3", adjusted=False)
    for key, table in zip(page.risk, unadjusted.risk, strict=True):
        assert page.risk[key].equals(unadjusted.risk[table])


def test_the_danish_page_labels_the_adjusted_curve(run: tuple[PortfolioRun, Portfolio]) -> None:
    portfolio_run, config = run
    page = _page(portfolio_run, config, "3", language="da")
    assert page.svg is not None
    assert "Sammenligning, justeret (AIPW)" in _svg_text(page.svg)
    assert "Sammenligning (observeret, ujusteret)" in page.risk


def test_other_cases_pages_are_unchanged(run: tuple[PortfolioRun, Portfolio]) -> None:
    portfolio_run, config = run
    page = _page(portfolio_run, config, "1")
    assert page.svg is not None
    text = _svg_text(page.svg)
    assert "adjusted" not in text and "Comparison" in text
    assert list(page.risk) == ["Comparison", "Intervention"]


def test_the_drawn_adjusted_curves_are_the_fits_with_the_observed_persons_at_risk(
    run: tuple[PortfolioRun, Portfolio],
) -> None:
    portfolio_run, _ = run
    fit = portfolio_run.adjusted["3"]
    curves = portfolio_run.statistics["3"].curves()
    comparison, intervention = curves.curve("comparison"), curves.curve("intervention")
    drawn_c, drawn_i = adjusted_pair(fit, comparison, intervention, "en")
    assert isinstance(drawn_c, AdjustedCurve)
    assert drawn_i.label == "Intervention"  # ATT: the participants' own curve
    months = np.arange(fit.tau)
    np.testing.assert_array_equal(drawn_c.survival_at(months), fit.curve("comparison")["survival"].to_numpy())
    np.testing.assert_array_equal(drawn_c.table["upper"].iloc[:-1], fit.curve("comparison")["upper"].to_numpy())
    assert drawn_c.table["time"].iloc[-1] == fit.tau  # the last step, [tau - 1, tau), is drawn
    assert drawn_c.table["survival"].iloc[-1] == drawn_c.table["survival"].iloc[-2]
    assert drawn_c.survival_at(fit.tau + 5) == drawn_c.survival_at(fit.tau - 1)  # flat beyond tau
    assert float(drawn_c.survival_at(-1.0)) == 1.0
    np.testing.assert_array_equal(drawn_c.table["at_risk"], comparison.at_risk_at(np.arange(fit.tau + 1)).to_numpy())
    assert adjusted_area_text(fit, "to 12 months", "da").startswith("justeret areal (AIPW, ATT) to 12 months: ")
