"""The joint interval of cases that share persons: influences, their correlation, the portfolio's rule."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import survival_invest as si
from survival_invest.config import load_config
from survival_invest.economics.joint import case_contributions, joint_correlation, portfolio_correlation
from survival_invest.economics.portfolio import ALL_YEARS, interval_rule, portfolio_rows
from survival_invest.economics.replicates import replicate_design
from survival_invest.io.readers import memberships_from_frame, spells_from_frame
from survival_invest.stats import case_statistics
from survival_invest.synthetic import simulate_portfolio
from survival_invest.synthetic.shared import share_comparison

ROOT = Path(__file__).parents[2]
CONFIG = load_config(ROOT / "examples" / "norddjurs.toml")


def _portfolio(shared: bool, seed: int = 3) -> tuple[si.Spells, pd.DataFrame]:
    spells, members, _ = simulate_portfolio(as_of="2022-06", data_lag=2, seed=seed)
    if shared:
        members = share_comparison(members)
    return spells_from_frame(spells, source="s"), memberships_from_frame(members, source="m")


def _cohort(data, case_id: str, curve: str = "first_exit") -> si.Cohort:
    spells, members = data
    return si.build_cohort(spells, members, case_id=case_id, as_of="2022-06", data_lag=2, curve=curve)


@pytest.fixture(scope="module")
def shared() -> tuple[si.Spells, pd.DataFrame]:
    return _portfolio(True)


@pytest.mark.parametrize("curve", ["first_exit", "occupancy"])
def test_forecast_influence_is_the_derivative_of_the_forecast(shared, curve: str) -> None:
    """A row's forecast influence = finite difference of the forecast in that row's weight, both groups."""
    case = replace(CONFIG.case("1"), curve=curve, tail="none")
    cohort = _cohort(shared, "1", curve)
    stats = case_statistics(cohort)
    mine = case_contributions(cohort, case, CONFIG, stats)
    design = replicate_design(cohort, case, CONFIG, stats, forecast=True)
    w = np.ones(design.n)
    base = design.figures(w[None, :])["forecast"][0].ravel()
    n_real = 3 * design.years.shape[0]
    for j in [*np.flatnonzero(design.codes == 0)[[0, 50]], *np.flatnonzero(design.codes == 1)[[0, 9]]]:
        w2 = w.copy()
        w2[j] += 1e-6
        fd = (design.figures(w2[None, :])["forecast"][0].ravel() - base) / 1e-6
        np.testing.assert_allclose(mine.influence[j, n_real:], fd, rtol=2e-4, atol=1e-7)
    assert mine.keys[n_real][0] == "forecast" and mine.influence.shape == (design.n, len(mine.keys))


def _joint_boot(data, ids: tuple[str, str], n_boot: int, seed: int) -> np.ndarray:
    """Correlation of the two cases' realised kroner per year under a Poisson bootstrap of persons across cases."""
    figures = []
    rng = np.random.default_rng(seed)
    cohorts = {c: _cohort(data, c) for c in ids}
    people = pd.unique(np.concatenate([cohorts[c].persons["person_id"].astype(str).to_numpy() for c in ids]))
    draws = rng.poisson(1.0, (n_boot, people.shape[0])).astype(float)
    for c in ids:
        cohort = cohorts[c]
        design = replicate_design(cohort, CONFIG.case(c), CONFIG, case_statistics(cohort), forecast=False)
        at = pd.Index(people).get_indexer(cohort.persons["person_id"].astype(str))
        figures.append(design.figures(draws[:, at])["realised"][:, 1, :])  # (B, Y) kroner
    return np.array([np.corrcoef(figures[0][:, y], figures[1][:, y])[0, 1] for y in range(figures[0].shape[1])])


def test_shared_persons_correlation_matches_a_joint_bootstrap(shared) -> None:
    """The influence correlation of two cases on one comparison group is what a joint person bootstrap finds."""
    parts = {}
    for c in ("1", "2"):
        cohort = _cohort(shared, c)
        parts[c] = case_contributions(cohort, CONFIG.case(c), CONFIG, case_statistics(cohort))
    corr = joint_correlation(parts)
    years = [y for k, m, y in parts["1"].keys if k == "realised" and m == "savings"]
    ij = np.array([corr.loc[("1", "realised", "savings", y), ("2", "realised", "savings", y)] for y in years])
    boot = _joint_boot(shared, ("1", "2"), 400, 11)
    assert (ij > 0.05).all()  # the shared comparison curve makes the two cases' savings move together
    np.testing.assert_allclose(ij, boot, atol=0.12)


def test_disjoint_cases_are_uncorrelated_and_one_case_keeps_its_interval() -> None:
    data = _portfolio(False)
    parts = {}
    for c in ("1", "3"):
        cohort = _cohort(data, c)
        parts[c] = case_contributions(cohort, CONFIG.case(c), CONFIG, case_statistics(cohort))
    corr = joint_correlation(parts)
    across = corr.loc[corr.index.get_level_values("case_id") == "1", corr.columns.get_level_values("case_id") == "3"]
    assert np.abs(across.to_numpy()).max() == 0.0
    within = corr.loc[("1", "realised", "savings", 2021), ("1", "forecast", "savings", 2021)]
    assert 0 < within <= 1  # a case's realised and forecast rest on the same curves


def _results() -> pd.DataFrame:
    rows = []
    for case_id, half in (("a", 1.0), ("b", 2.0)):
        for year in (2021, 2022):
            for kind in ("budget", "realised", "forecast"):
                lo, hi = (np.nan, np.nan) if kind == "budget" else (-10 - half, -10 + half)
                rows += [
                    dict(case_id=case_id, year=year, measure="investment", kind=kind, value=5.0),
                    dict(case_id=case_id, year=year, measure="savings", kind=kind, value=-10.0, lower=lo, upper=hi),
                    dict(case_id=case_id, year=year, measure="net", kind=kind, value=-5.0, lower=lo + 5, upper=hi + 5),
                ]
    return pd.DataFrame(rows).assign(unit="mio_kr")


def _correlation(rho_cases: float, rho_years: float) -> pd.DataFrame:
    keys = [(c, k, "savings", y) for c in ("a", "b") for k in ("realised", "forecast") for y in (2021, 2022)]
    m = np.eye(len(keys))
    for i, a in enumerate(keys):
        for j, b in enumerate(keys):
            if i != j and a[1] == b[1]:
                m[i, j] = (rho_cases if a[0] != b[0] else 1.0) * (rho_years if a[3] != b[3] else 1.0)
    index = pd.MultiIndex.from_tuples(keys, names=["case_id", "kind", "measure", "year"])
    return pd.DataFrame(m, index=index, columns=index)


def _half(p: pd.DataFrame, year: int, measure: str = "savings") -> float:
    row = p[(p["year"] == year) & (p["measure"] == measure) & (p["kind"] == "realised")].iloc[0]
    return float(row["upper"] - row["value"])


def test_the_joint_rule_between_quadrature_and_linear() -> None:
    r = _results()
    quad = portfolio_rows(r, independent=True)
    lin = portfolio_rows(r, independent=False)
    zero = portfolio_rows(r, independent=False, correlation=_correlation(0.0, 1.0))
    one = portfolio_rows(r, independent=False, correlation=_correlation(1.0, 1.0))
    half = portfolio_rows(r, independent=False, correlation=_correlation(0.5, 0.0))
    assert _half(zero, 2021) == pytest.approx(_half(quad, 2021)) == pytest.approx(np.sqrt(5.0))
    assert _half(one, 2021) == pytest.approx(_half(lin, 2021)) == pytest.approx(3.0)
    assert _half(half, 2021) == pytest.approx(np.sqrt(1 + 4 + 2 * 0.5 * 2))
    # the total over years: years uncorrelated in `half`, so its width is the years' in quadrature
    assert _half(half, ALL_YEARS) == pytest.approx(np.sqrt(2) * _half(half, 2021))
    assert _half(one, ALL_YEARS) == pytest.approx(_half(lin, ALL_YEARS)) == pytest.approx(6.0)
    assert _half(half, 2021, "net") == pytest.approx(_half(half, 2021))
    # a figure missing from the correlation is taken as perfectly correlated (never too narrow)
    assert _half(portfolio_rows(r, independent=False, correlation=_correlation(0.0, 1.0).iloc[:0, :0]), 2021) == 3.0
    assert [interval_rule(True, None), interval_rule(False, None), interval_rule(False, zero)] == [
        "independent",
        "shared",
        "joint",
    ]


def test_portfolio_correlation_needs_every_survival_cohort(shared) -> None:
    cohort = _cohort(shared, "1")
    config = replace(CONFIG, cases=(CONFIG.case("1"), CONFIG.case("2")))
    assert portfolio_correlation(config, {"1": cohort}, {"1": case_statistics(cohort)}) is None


def test_the_monthly_job_uses_the_joint_rule_when_cases_share_persons(tmp_path: Path, caplog) -> None:
    """synth's portfolio with cases 1/2 and 3/4 on one comparison group each: the page and the log say 'joint'."""
    from survival_invest.cli import main

    data = tmp_path / "data"
    assert main(["synth", "--out", str(data), "--seed", "5"]) == 0
    members = pd.read_csv(data / "memberships.csv", dtype=str)
    share_comparison(members).to_csv(data / "memberships.csv", index=False)
    caplog.set_level("INFO", logger="survival_invest.pipeline.monthly")
    out = tmp_path / "r"
    assert (
        main(["run", "--config", str(data / "portfolio.toml"), "--as-of", "2022-06", "--out", str(out), "--quiet"]) == 0
    )
    assert "portfolio interval: joint rule (memory engine)" in caplog.text
    page = (out / "2022-06" / "report.html").read_text(encoding="utf-8")
    assert "tager højde for det" in page
    res = pd.read_csv(out / "2022-06" / "results.csv")
    cases = res[(res["case_id"] != "portfolio") & (res["year"] == 2021) & (res["kind"] == "realised")]
    sav = cases[cases["measure"] == "saved_fte"]
    half = (sav["upper"] - sav["value"]).to_numpy()
    port = res[(res["case_id"] == "portfolio") & (res["year"] == 2021) & (res["kind"] == "realised")]
    joint = float((port["upper"] - port["value"])[port["measure"] == "saved_fte"].iloc[0])
    assert np.sqrt((half**2).sum()) < joint < half.sum()  # shared persons: wider than quadrature, below linear
