"""The quick version of benchmarks/coverage.py: the study runs end to end and its parts are right (no coverage luck)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def study() -> ModuleType:
    spec = importlib.util.spec_from_file_location("coverage_study", ROOT / "benchmarks" / "coverage.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]  # the file is in the repo
    spec.loader.exec_module(module)  # type: ignore[union-attr]  # a file spec has a loader
    return module


@pytest.fixture(scope="module")
def rows(study: ModuleType) -> pd.DataFrame:
    return pd.DataFrame(study.one_portfolio(0, 3, 30, 0.05))


def test_every_method_case_year_and_measure_is_measured(study: ModuleType, rows: pd.DataFrame) -> None:
    cells = rows.groupby(["method", "case_id", "year", "measure"]).size()
    assert set(rows["method"]) == set(study.METHODS)
    assert len(cells) == len(study.METHODS) * 4 * 3 * 2 and (cells == 1).all()
    assert np.isfinite(rows[["truth", "estimate", "se", "lower", "upper"]].to_numpy()).all()
    assert (rows["se"] > 0).all() and (rows["lower"] < rows["upper"]).all()
    normal = rows[~rows["method"].isin(["bootstrap", "matched_boot"])]
    np.testing.assert_allclose((normal["upper"] - normal["lower"]) / 2, 1.959964 * normal["se"], rtol=1e-6)


def test_the_methods_share_their_truth_and_point_estimates(rows: pd.DataFrame) -> None:
    key = ["case_id", "year", "measure"]
    by = {m: g.set_index(key).sort_index() for m, g in rows.groupby("method")}
    for m in ("bootstrap", "ipw_robust"):
        np.testing.assert_allclose(by[m]["truth"], by["delta"]["truth"], rtol=1e-12)
    np.testing.assert_allclose(by["bootstrap"]["estimate"], by["delta"]["estimate"], rtol=1e-12)
    np.testing.assert_allclose(by["occupancy_cells"]["estimate"], by["occupancy"]["estimate"], rtol=1e-12)
    np.testing.assert_allclose(by["matched_sets"]["estimate"], by["matched"]["estimate"], rtol=1e-12)
    np.testing.assert_allclose(by["matched_boot"]["truth"], by["matched"]["truth"], rtol=1e-12)
    # a person's months are dependent: the cells' approximation is the narrower one in every case and year
    assert (by["occupancy_cells"]["se"] < by["occupancy"]["se"]).all()
    # the delta method and the bootstrap estimate the same spread (a factor, not a coverage share)
    ratio = by["delta"]["se"] / by["bootstrap"]["se"]
    assert ratio.between(0.6, 1.6).all()


def test_true_occupancy_of_the_chain(study: ModuleType) -> None:
    """No returns to support: the share on support is the first-exit curve; with returns it is higher from t = 2."""
    from survival_invest.synthetic import NORDDJURS_CASES

    spec = NORDDJURS_CASES[0]
    for group in ("comparison", "intervention"):
        np.testing.assert_allclose(
            study.true_occupancy(spec, group, 36, 0.0, 0.15), spec.survival(group, 35), rtol=1e-12
        )
        with_returns = study.true_occupancy(spec, group, 36, 0.05, 0.15)
        assert (with_returns[2:] > spec.survival(group, 35)[2:]).all() and with_returns[0] == 1.0


def test_memoryless_design_has_a_constant_comparison_hazard(study: ModuleType) -> None:
    for spec in study.memoryless_cases():
        s = spec.survival("comparison", 36)
        np.testing.assert_allclose(s[1:] / s[:-1], 0.97, rtol=1e-12)


def test_main_prints_the_tables(study: ModuleType, capsys) -> None:
    assert study.main(["--portfolios", "2", "--boot", "10", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "| saved FTE | all | 24 |" in out and "| kroner | 2020 | 8 |" in out
    assert "| 4 | 2022 | 2 |" in out and "Run time:" in out


def test_methods_measures_only_those_intervals(study: ModuleType) -> None:
    """--methods: only the matched design is simulated when only matched intervals are asked."""
    rows = pd.DataFrame(study.one_portfolio(1, 3, 20, 0.05, ("matched_boot",)))
    assert set(rows["method"]) == {"matched_boot"} and len(rows) == 4 * 3 * 2
    assert ((rows["lower"] < rows["estimate"]) & (rows["estimate"] < rows["upper"])).all()


def test_adjusted_intervals_are_the_reports(study: ModuleType, rows: pd.DataFrame) -> None:
    """adjusted_*: delta's truth, lower < estimate < upper, and the figures of the report's adjusted_figures."""
    from dataclasses import replace

    from survival_invest.config.model import AdjustConfig
    from survival_invest.pipeline.adjusted import adjusted_figures
    from survival_invest.synthetic import NORDDJURS_CASES

    key = ["case_id", "year", "measure"]
    delta = rows[rows["method"] == "delta"].set_index(key).sort_index()
    for method in study.ADJUSTED:
        got = rows[rows["method"] == method].set_index(key).sort_index()
        assert len(got) == 4 * 3 * 2
        assert ((got["lower"] < got["estimate"]) & (got["estimate"] < got["upper"])).all()
        np.testing.assert_allclose(got["truth"], delta["truth"], rtol=1e-12)
    # portfolio 0 with seed 3, case 1 through the report's own entry point (what run_portfolio calls)
    spells, members, _ = study._simulate(NORDDJURS_CASES, 3)
    case = study._config().case(NORDDJURS_CASES[0].case_id)
    adj = replace(case, comparison="adjusted", adjust=AdjustConfig(study.ADJUST_COVARIATES, method="ipw"))
    cohort = study._cohort(spells, members, adj, "adjusted", "first_exit")
    real = adjusted_figures(cohort, adj, study._config(), cutoff=2022 * 12 + 3).realised.frame.set_index("year")
    ipw = rows[(rows["method"] == "adjusted_ipw") & (rows["case_id"] == case.id)]
    for measure in ("saved_fte", "savings_kr"):
        mine = ipw[ipw["measure"] == measure].set_index("year")
        np.testing.assert_allclose(mine["estimate"], real.loc[mine.index, measure], rtol=1e-12)
        np.testing.assert_allclose(mine["se"], real.loc[mine.index, f"{measure}_se"], rtol=1e-12)
