"""run_portfolio on the bundled synthetic portfolio: the long results table and its rules."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import survival_invest as si
from survival_invest.config import load_config
from survival_invest.io.periods import RunClock
from survival_invest.pipeline.portfolio import (
    RESULT_COLUMNS,
    PortfolioRun,
    budget_results,
    case_results,
    run_portfolio,
    run_portfolio_full,
)

ROOT = Path(__file__).parents[2]
CONFIG = load_config(ROOT / "examples" / "norddjurs.toml")
MEASURES = ["investment", "savings", "net", "saved_fte", "refusion_part"]
KINDS = ["budget", "realised", "forecast"]


@pytest.fixture(scope="module")
def run() -> PortfolioRun:
    return run_portfolio_full(CONFIG, "2022-06")


def test_results_columns_and_order(run: PortfolioRun) -> None:
    results = run.results
    assert list(results.columns) == RESULT_COLUMNS
    assert set(results["measure"]) <= set(MEASURES) and set(results["kind"]) <= set(KINDS)
    assert set(results["case_id"]) == {c.id for c in CONFIG.cases}
    ranks = pd.DataFrame(
        {
            "case_id": results["case_id"],
            "year": results["year"],
            "measure": results["measure"].map(MEASURES.index),
            "kind": results["kind"].map(KINDS.index),
        }
    )
    expected = ranks.sort_values(list(ranks.columns), kind="stable")
    assert list(expected.index) == list(range(len(results)))
    assert not results.duplicated(["case_id", "year", "measure", "kind"]).any()
    assert set(results.loc[results["measure"] == "saved_fte", "unit"]) == {"fte"}
    assert set(results.loc[results["measure"] != "saved_fte", "unit"]) == {"mio_kr"}


def test_run_clock_is_parsed_once_and_kept(run: PortfolioRun) -> None:
    clock = RunClock.parse("2022-06", CONFIG.run.data_lag, "month")
    assert run.clock == clock
    assert (run.as_of, run.cutoff) == (clock.as_of, clock.cutoff)
    again = run_portfolio(CONFIG, clock)
    pd.testing.assert_frame_equal(again, run.results)
    with pytest.raises(ValueError, match="lag"):
        run_portfolio(CONFIG, RunClock(clock.as_of, CONFIG.run.data_lag + 1, "month"))


def test_net_is_investment_plus_savings_within_each_kind(run: PortfolioRun) -> None:
    r = run.results.set_index(["case_id", "year", "kind", "measure"])
    net = r.xs("net", level="measure")
    inv = r.xs("investment", level="measure").reindex(net.index)
    sav = r.xs("savings", level="measure").reindex(net.index)
    # a net row exactly where both investment and savings exist (no finance extract: no realised investment)
    both = r.xs("investment", level="measure").index.intersection(r.xs("savings", level="measure").index)
    assert set(net.index) == set(both) and {"budget", "forecast"} <= set(net.index.get_level_values("kind"))
    np.testing.assert_allclose(net["value"], inv["value"] + sav["value"], rtol=0, atol=1e-12)
    # the interval of net is the savings' interval shifted by the (certain) investment
    has = sav["lower"].notna()
    np.testing.assert_allclose(net["lower"][has], (sav["lower"] + inv["value"])[has], rtol=0, atol=1e-12)
    np.testing.assert_allclose(net["upper"][has], (sav["upper"] + inv["value"])[has], rtol=0, atol=1e-12)
    budget = budget_results(CONFIG).set_index(["case_id", "year", "kind", "measure"])
    pd.testing.assert_frame_equal(
        budget.sort_index(), r[r.index.get_level_values("kind") == "budget"].sort_index(), check_like=True
    )


def test_count_case_savings_are_placements_times_saving_per_placement(run: PortfolioRun) -> None:
    case = next(c for c in CONFIG.cases if c.method == "count")
    spp = case.saving_per_placement
    assert spp
    fc = run.results[
        (run.results["case_id"] == case.id)
        & (run.results["measure"] == "savings")
        & (run.results["kind"] == "forecast")
    ]
    np.testing.assert_allclose(fc["value"], [-n * spp for n in case.placements], rtol=1e-12)
    assert fc["lower"].isna().all() and fc["upper"].isna().all()
    counted = replace(case, realised_placements=(10.0, 6.0))
    clock = RunClock.parse("2022-06", CONFIG.run.data_lag, "month")
    out = case_results(counted, CONFIG, statistics=None, finance=None, clock=clock)
    real = out[(out["measure"] == "savings") & (out["kind"] == "realised")].set_index("year")["value"]
    years = [y for y in case.years if y <= clock.cutoff // 12][:2]
    np.testing.assert_allclose(real.loc[years], [-10 * spp, -6 * spp][: len(years)], rtol=1e-12)


def test_a_survival_case_without_statistics_raises_the_package_error() -> None:
    case = next(c for c in CONFIG.cases if c.method == "survival")
    clock = RunClock.parse("2022-06", CONFIG.run.data_lag, "month")
    with pytest.raises(si.CohortError, match=f"case {case.id!r} is a survival case.*statistics="):
        case_results(case, CONFIG, statistics=None, finance=None, clock=clock)
    with pytest.raises(si.InputError, match="run clock"):
        case_results(case, CONFIG, statistics=None, finance=None)
    with pytest.raises(si.InputError, match="disagrees"):
        case_results(case, CONFIG, statistics=None, finance=None, clock=clock, cutoff=clock.cutoff - 1)


def test_cutoff_keyword_gives_the_same_rows_as_the_clock(run: PortfolioRun) -> None:
    case = next(c for c in CONFIG.cases if c.method == "survival")
    stats = run.statistics[case.id]
    by_clock = case_results(case, CONFIG, statistics=stats, finance=None, clock=run.clock)
    by_cutoff = case_results(case, CONFIG, statistics=stats, finance=None, cutoff=run.cutoff)
    pd.testing.assert_frame_equal(by_clock, by_cutoff)
    mine = run.results[run.results["case_id"] == case.id]
    key = ["case_id", "year", "measure", "kind"]
    pd.testing.assert_frame_equal(
        by_clock.sort_values(key).reset_index(drop=True), mine.sort_values(key).reset_index(drop=True)
    )
