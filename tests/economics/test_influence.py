"""Person-level (IJ, cluster-robust) variance of realised figures: derivatives, Greenwood, weights, clusters."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import survival_invest as si
from survival_invest.config import load_config
from survival_invest.economics import curve_variance, realised_savings, savings_replicates
from survival_invest.economics.influence import (
    cluster_sum_of_squares,
    km_derivative,
    needs_persons,
    person_influence,
    person_savings,
    realised_figures,
)
from survival_invest.economics.replicates import replicate_design
from survival_invest.economics.uncertainty import resample_counts
from survival_invest.errors import InputError
from survival_invest.estimate import kaplan_meier_by
from survival_invest.stats import case_statistics

ROOT = Path(__file__).parents[2]
CONFIG = load_config(ROOT / "examples" / "norddjurs.toml")
KW = dict(price_index=CONFIG.run.price_index, price_level=CONFIG.run.price_level, refusion=CONFIG.refusion)


@pytest.fixture(scope="module")
def data() -> tuple[si.Spells, pd.DataFrame]:
    return si.read_spells(CONFIG.data.spells), si.read_memberships(CONFIG.data.memberships)


def _cohort(data, case_id: str = "3", curve: str = "first_exit", comparison: str = "non_participants") -> si.Cohort:
    spells, members = data
    return si.build_cohort(
        spells, members, case_id=case_id, as_of="2022-06", data_lag=2, curve=curve, comparison=comparison
    )


@pytest.mark.parametrize("curve", ["first_exit", "occupancy"])
def test_influence_is_the_derivative_of_the_figures(data, curve: str) -> None:
    """``L_j`` of comparison rows = finite difference of the replicate figures in that row's weight."""
    case = replace(CONFIG.case("3"), curve=curve)
    cohort = _cohort(data, curve=curve)
    design = replicate_design(cohort, case, CONFIG, case_statistics(cohort), forecast=False)
    rng = np.random.default_rng(2)
    w = np.where(design.codes == 0, rng.uniform(0.3, 3.0, design.n), 1.0)  # fractional comparison weights
    infl = person_influence(design, cohort.persons, w)
    base = design.figures(w[None, :])["realised"][0]
    for j in np.flatnonzero(design.codes == 0)[[0, 7, 40, -1]]:
        eps = 1e-6
        w2 = w.copy()
        w2[j] += eps
        fd = (design.figures(w2[None, :])["realised"][0] - base) / eps * w[j]
        np.testing.assert_allclose(infl[j], fd, rtol=2e-4, atol=1e-6)


def test_weighted_km_and_unit_weight_greenwood(data) -> None:
    """The derivative's curve is the weighted Kaplan-Meier; with unit weights its IJ variance is Greenwood's."""
    cohort = _cohort(data)
    p = cohort.persons[cohort.persons["group"] == "comparison"]
    d, e = p["duration"].to_numpy(), p["event"].to_numpy().astype(bool)
    w = np.random.default_rng(4).uniform(0.2, 2.0, d.shape[0])
    s, _ = km_derivative(d, e, w, 36)
    ref = kaplan_meier_by(d, e, np.zeros(d.shape[0]), weights=w, robust=False).survival_at(np.arange(36))[0]
    np.testing.assert_allclose(s, ref, rtol=1e-12)
    s1, ds1 = km_derivative(d, e, np.ones(d.shape[0]), 36)
    km = kaplan_meier_by(d, e, np.zeros(d.shape[0]))
    greenwood = km.greenwood_at(np.arange(36))[0]
    wt = np.random.default_rng(5).uniform(0, 10, (3, 36))
    ij = ((ds1 @ wt.T) ** 2).sum(axis=0)
    np.testing.assert_allclose(ij, curve_variance(wt, s1, greenwood), rtol=1e-9)


def test_unit_weights_keep_the_point_estimates_and_weights_match_the_replicates(data) -> None:
    case = CONFIG.case("3")
    cohort = _cohort(data)
    stats = case_statistics(cohort)
    plain = realised_savings(stats, case, **KW).frame
    mine = person_savings(cohort, case, CONFIG, stats=stats).frame
    np.testing.assert_allclose(mine["saved_fte"], plain["saved_fte"], rtol=1e-12)
    # first exit: the person-level SE estimates the same variance as the window formula
    np.testing.assert_allclose(mine["saved_fte_se"], plain["saved_fte_se"], rtol=0.15)
    w = np.where(cohort.persons["group"] == "comparison", np.linspace(0.5, 1.5, len(cohort.persons)), 1.0)
    weighted = person_savings(cohort, case, CONFIG, weights=w, stats=stats).frame
    reps = savings_replicates(cohort, case, CONFIG, w, forecast=False)
    np.testing.assert_allclose(weighted["savings_kr"], reps["savings_kr"], rtol=1e-12)
    assert not np.allclose(weighted["savings_kr"], plain["savings_kr"])
    with pytest.raises(InputError, match="weights="):
        person_savings(cohort, case, CONFIG, weights=-w, stats=stats)
    with pytest.raises(InputError, match="cluster="):
        person_savings(cohort, case, CONFIG, cluster=np.arange(3), stats=stats)


def test_occupancy_person_level_is_wider_than_independent_months(data) -> None:
    """A person's months are positively dependent: the cluster-by-person SE exceeds the cells' approximation."""
    case = replace(CONFIG.case("3"), curve="occupancy")
    cohort = _cohort(data, curve="occupancy")
    stats = case_statistics(cohort)
    cells = realised_savings(stats, case, **KW).frame
    persons = realised_figures(stats, case, CONFIG, cohort=cohort).frame
    np.testing.assert_allclose(persons["saved_fte"], cells["saved_fte"], rtol=1e-12)
    assert (persons["saved_fte_se"] > 1.5 * cells["saved_fte_se"]).all()
    assert needs_persons(case) and not needs_persons(CONFIG.case("3"))
    # without the cohort (an SQL engine) the statistics-only figures are what is published
    np.testing.assert_allclose(realised_figures(stats, case, CONFIG).frame["saved_fte_se"], cells["saved_fte_se"])


def test_cluster_sum_of_squares() -> None:
    infl = np.array([[1.0, 2.0], [3.0, -2.0], [-1.0, 1.0]])
    np.testing.assert_allclose(cluster_sum_of_squares(infl, np.array([0, 1, 2])), (infl**2).sum(axis=0))
    np.testing.assert_allclose(cluster_sum_of_squares(infl, np.array([0, 0, 1])), [16 + 1, 0 + 1])


def test_matched_sets_are_the_units(data) -> None:
    """Matched cohort: the bootstrap counts are equal within a set and the clusters default to the sets."""
    case = replace(CONFIG.case("3"), comparison="matched")
    cohort = _cohort(data, comparison="matched")
    persons = cohort.persons
    codes = (persons["group"] == "intervention").to_numpy().astype(np.int64)
    counts = resample_counts(persons, codes, 50, np.random.default_rng(1))
    sets = persons["matched_set"].to_numpy()
    n_sets = np.unique(sets).shape[0]
    # a person in one set goes with it (a reused control is also drawn as a person: crossed_counts)
    in_sets = persons.groupby("person_id")["matched_set"].transform("nunique").to_numpy()
    assert (in_sets > 1).any() and (in_sets[codes == 1] == 1).all()
    for b in range(0, 50, 10):
        per_set = pd.Series(counts[b][in_sets == 1]).groupby(sets[in_sets == 1]).agg(["min", "max"])
        assert (per_set["min"] == per_set["max"]).all()
        assert per_set["min"].sum() == n_sets
    stats = case_statistics(cohort)
    two_way = person_savings(cohort, case, CONFIG, stats=stats).frame
    by_row = person_savings(cohort, case, CONFIG, cluster=np.arange(len(persons)), stats=stats).frame
    by_set = person_savings(cohort, case, CONFIG, cluster=sets, stats=stats).frame
    by_person = person_savings(cohort, case, CONFIG, cluster=persons["person_id"], stats=stats).frame
    np.testing.assert_allclose(two_way["saved_fte"], by_row["saved_fte"])
    assert not np.allclose(by_set["saved_fte_se"], by_row["saved_fte_se"])
    v = {
        k: f["saved_fte_se"].to_numpy() ** 2
        for k, f in (("2", two_way), ("r", by_row), ("s", by_set), ("p", by_person))
    }
    np.testing.assert_allclose(v["2"], np.maximum(v["s"] + v["p"] - v["r"], v["r"]), rtol=1e-10)
    boot = si.bootstrap_savings(cohort, case, CONFIG, n_boot=40, seed=2, forecast=False)
    np.testing.assert_allclose(boot.interval("realised")["delta_se"], two_way["saved_fte_se"], rtol=1e-12)


def test_the_report_publishes_the_person_level_interval_of_an_occupancy_case(data) -> None:
    """run_portfolio (in-memory engine): the occupancy case's realised interval is person_savings' SE."""
    from survival_invest.pipeline.portfolio import run_portfolio

    case = replace(CONFIG.case("3"), curve="occupancy")
    results = run_portfolio(replace(CONFIG, cases=(case,)), "2022-06", engine="memory")
    real = results[(results["measure"] == "saved_fte") & (results["kind"] == "realised")].set_index("year")
    cohort = _cohort(data, curve="occupancy")
    mine = person_savings(cohort, case, CONFIG).frame.set_index("year").reindex(real.index)
    np.testing.assert_allclose(real["value"], mine["saved_fte"], rtol=1e-12)
    np.testing.assert_allclose((real["upper"] - real["lower"]) / 2, 1.959964 * mine["saved_fte_se"], rtol=1e-6)
