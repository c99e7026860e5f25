"""The quick version of benchmarks/portfolio_coverage.py: runs end to end, and its three rules are ordered rightly."""

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
    spec = importlib.util.spec_from_file_location("portfolio_coverage", ROOT / "benchmarks" / "portfolio_coverage.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]  # the file is in the repo
    spec.loader.exec_module(module)  # type: ignore[union-attr]  # a file spec has a loader
    return module


@pytest.fixture(scope="module")
def rows(study: ModuleType) -> pd.DataFrame:
    return pd.DataFrame([r for k in range(3) for r in study.one_portfolio(k, 40, 0.05)])


def _half(rows: pd.DataFrame, layout: str, rule: str) -> np.ndarray:
    f = rows[(rows["layout"] == layout) & (rows["rule"] == rule)].sort_values(["portfolio", "measure", "year"])
    return ((f["upper"] - f["lower"]) / 2).to_numpy()


def test_every_layout_rule_year_and_measure_is_measured(rows: pd.DataFrame) -> None:
    cells = rows.groupby(["layout", "rule", "year", "measure"]).size()
    assert len(cells) == 2 * 3 * 4 * 2 and (cells == 3).all()
    # the same estimate and truth under every rule: only the interval differs
    assert rows.groupby(["portfolio", "layout", "year", "measure"])["estimate"].nunique().max() == 1
    assert rows["truth"].notna().all() and (rows["truth"] > 0).all()


def test_joint_is_quadrature_for_disjoint_cases_and_wider_when_persons_are_shared(rows: pd.DataFrame) -> None:
    years = rows.sort_values(["portfolio", "measure", "year"])
    yearly = (years[(years["layout"] == "disjoint") & (years["rule"] == "joint")]["year"] != "total").to_numpy()
    np.testing.assert_allclose(_half(rows, "disjoint", "joint")[yearly], _half(rows, "disjoint", "quadrature")[yearly])
    shared_joint, shared_quad = _half(rows, "shared", "joint")[yearly], _half(rows, "shared", "quadrature")[yearly]
    assert (shared_joint > shared_quad).all() and (shared_joint < _half(rows, "shared", "linear")[yearly]).all()


def test_summary_table_and_command(study: ModuleType, rows: pd.DataFrame, capsys) -> None:
    table = study.summarise(rows)
    assert list(table["layout"].unique()) == ["shared", "disjoint"]
    assert set(study.RULES) <= set(table.columns)
    assert study.main(["--portfolios", "2", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "| shared | mio. kr | 2021 | 2 |" in out and "Wall time:" in out
