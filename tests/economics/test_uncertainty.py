"""Bootstrap over persons of saved full-time persons and kroner (replicate weights)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import survival_invest as si
from survival_invest._arrays import ragged_arange
from survival_invest.config import load_config
from survival_invest.economics import (
    MEASURES,
    bootstrap_savings,
    case_forecast_weights,
    curves_on_grid,
    forecast_savings,
    forecast_weights,
    realised_savings,
    savings_replicates,
)
from survival_invest.economics.uncertainty import resample_counts
from survival_invest.estimate.bootstrap import crossed_counts, replicate_counts
from survival_invest.io.periods import weeks_in_month
from survival_invest.pipeline.portfolio import run_portfolio
from survival_invest.stats import case_statistics
from survival_invest.synthetic import NORDDJURS_CASES
from survival_invest.synthetic.truth import realised_truth

ROOT = Path(__file__).parents[2]
CONFIG = load_config(ROOT / "examples" / "norddjurs.toml")
KW = dict(price_index=CONFIG.run.price_index, price_level=CONFIG.run.price_level, refusion=CONFIG.refusion)


@pytest.fixture(scope="module")
def cohorts() -> dict[str, si.Cohort]:
    spells = si.read_spells(CONFIG.data.spells)
    members = si.read_memberships(CONFIG.data.memberships)
    return {c: si.build_cohort(spells, members, case_id=c, as_of="2022-06", data_lag=2) for c in ("1", "2", "3", "4")}


def _resampled(cohort: si.Cohort, counts: np.ndarray) -> si.Cohort:
    """The cohort with row i of ``persons`` repeated ``counts[i]`` times, its status rows with every copy."""
    persons = cohort.persons.iloc[np.repeat(np.arange(len(cohort.persons)), counts)].reset_index(drop=True)
    first_copy = np.cumsum(counts) - counts
    member = cohort.status["member"].to_numpy()
    st_rows, k = ragged_arange(counts[member])  # status row, copy number
    status = cohort.status.iloc[st_rows].reset_index(drop=True)
    status["member"] = first_copy[member[st_rows]] + k
    return replace(cohort, persons=persons, status=status)


def _aligned(replicate: pd.DataFrame, figures: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Both tables on the union of their years (a year missing from one has 0 there)."""
    a = replicate.set_index("year")[list(MEASURES)]
    b = figures.set_index("year")[list(MEASURES)]
    years = a.index.union(b.index)
    return a.reindex(years, fill_value=0.0).to_numpy(), b.reindex(years, fill_value=0.0).to_numpy()


@pytest.mark.parametrize("curve", ["first_exit", "occupancy"])
@pytest.mark.parametrize("case_id", ["1", "3"])
def test_a_replicate_equals_the_figures_of_the_resampled_cohort(cohorts, case_id: str, curve: str) -> None:
    cohort = cohorts[case_id]
    case = replace(CONFIG.case(case_id), curve=curve)
    codes = (cohort.persons["group"] == "intervention").to_numpy().astype(np.int64)
    counts = replicate_counts(codes, 2, 2, np.random.default_rng(11))
    reps = savings_replicates(cohort, case, CONFIG, counts)
    stats0 = case_statistics(cohort)
    fc_weights = case_forecast_weights(stats0, case, CONFIG, cutoff=cohort.cutoff)
    for b in range(2):
        resampled = _resampled(cohort, counts[b])
        # the resample really is a resample: same group sizes, other persons
        assert (resampled.persons["group"].value_counts() == cohort.persons["group"].value_counts()).all()
        direct = realised_savings(resampled, case, **KW).frame
        mine = reps[(reps["replicate"] == b) & (reps["kind"] == "realised")]
        got, want = _aligned(mine, direct)
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-9)
        point = realised_savings(cohort, case, **KW).frame
        assert not np.allclose(mine["saved_fte"].to_numpy(), point["saved_fte"].to_numpy(), rtol=1e-3)
        # forecast: the resample's curves with the full sample's inflow and prices (the published weights)
        sc, _, s_i, _, _ = curves_on_grid(case_statistics(resampled), case)
        fc = fc_weights @ (sc - s_i)
        fc[0] /= 12.0
        mine = reps[(reps["replicate"] == b) & (reps["kind"] == "forecast")]
        np.testing.assert_allclose(mine[list(MEASURES)].to_numpy(), fc.T, rtol=1e-10, atol=1e-9)


def test_all_ones_is_the_point_estimate_and_the_published_figures(cohorts) -> None:
    results = run_portfolio(CONFIG, "2022-06")
    for case_id, cohort in cohorts.items():
        case = CONFIG.case(case_id)
        ones = savings_replicates(cohort, case, CONFIG, np.ones(len(cohort.persons)))
        point = realised_savings(cohort, case, **KW).frame
        real = ones[ones["kind"] == "realised"]
        assert list(real["year"]) == list(point["year"])
        np.testing.assert_allclose(real[list(MEASURES)].to_numpy(), point[list(MEASURES)].to_numpy(), rtol=1e-12)
        boot = bootstrap_savings(cohort, case, CONFIG, n_boot=20, seed=3)
        published = results[(results["case_id"] == case_id) & (results["measure"] == "saved_fte")]
        for kind in ("realised", "forecast"):
            pub = published[published["kind"] == kind].set_index("year")["value"]
            mine = boot.interval(kind, "saved_fte").set_index("year")["value"]
            np.testing.assert_allclose(mine.reindex(pub.index).to_numpy(), pub.to_numpy(), rtol=1e-12)
            f = ones[ones["kind"] == kind].set_index("year")["saved_fte"]
            np.testing.assert_allclose(f.reindex(pub.index).to_numpy(), pub.to_numpy(), rtol=1e-12)


def test_weekly_units_and_fractional_shares(cohorts) -> None:
    """Months rolled up from weeks: shares are weeks on support / weeks in the month, prior periods are weeks."""
    cohort = cohorts["3"]
    rng = np.random.default_rng(4)
    st = cohort.status.copy()
    month = cohort.persons["entry"].to_numpy()[st["member"].to_numpy()] + st["t"].to_numpy()
    wim = weeks_in_month(month)
    st["share"] = rng.integers(1, wim + 1) / wim
    weekly = replace(cohort, status=st, source_frequency="week")  # as if built from weekly spells
    case = replace(CONFIG.case("3"), curve="occupancy")
    codes = (cohort.persons["group"] == "intervention").to_numpy().astype(np.int64)
    counts = replicate_counts(codes, 2, 1, np.random.default_rng(5))
    reps = savings_replicates(weekly, case, CONFIG, counts, source_frequency="week", forecast=False)
    stats = case_statistics(_resampled(weekly, counts[0]), source_frequency="week")
    assert stats.weekly_units and stats.week_factor == 1.0
    direct = realised_savings(stats, case, **KW).frame
    got, want = _aligned(reps, direct)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-9)
    assert set(reps["kind"]) == {"realised"}


def test_seeded_reproducible_and_shaped(cohorts) -> None:
    cohort = cohorts["2"]
    a = bootstrap_savings(cohort, "2", CONFIG, n_boot=40, seed=7)
    b = bootstrap_savings(cohort, "2", CONFIG, n_boot=40, seed=7)
    c = bootstrap_savings(cohort, "2", CONFIG, n_boot=40, seed=8)
    g = bootstrap_savings(cohort, "2", CONFIG, n_boot=40, seed=np.random.default_rng(7))
    for kind in ("realised", "forecast"):
        np.testing.assert_array_equal(a.replicates[kind], b.replicates[kind])
        np.testing.assert_array_equal(a.replicates[kind], g.replicates[kind])
        assert not np.array_equal(a.replicates[kind], c.replicates[kind])
        assert a.replicates[kind].shape == (40, 3, len(a.years[kind]))
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert g.seed is None and a.seed == 7
    f = a.frame
    assert list(f.columns) == [
        "case_id",
        "kind",
        "year",
        "measure",
        "value",
        "se",
        "lower",
        "upper",
        "delta_se",
        "unit",
    ]
    assert (f["lower"] <= f["upper"]).all() and (f["se"] > 0).all()
    assert set(f.loc[f["measure"] == "saved_fte", "unit"]) == {"fte"}
    assert list(a.years["forecast"]) == list(CONFIG.case("2").years)


def test_a_matched_cohort_draws_its_sets_and_its_reused_controls() -> None:
    """bootstrap_savings on a matched cohort: the replicates are those of resample_counts' crossed counts."""
    spells = si.read_spells(CONFIG.data.spells)
    members = si.read_memberships(CONFIG.data.memberships)
    cohort = si.build_cohort(spells, members, case_id="3", as_of="2022-06", data_lag=2, comparison="matched")
    case = replace(CONFIG.case("3"), comparison="matched")
    persons = cohort.persons
    codes = (persons["group"] == "intervention").to_numpy().astype(np.int64)
    counts = resample_counts(persons, codes, 30, np.random.default_rng(6))
    np.testing.assert_array_equal(
        counts, crossed_counts(persons["matched_set"], persons["person_id"], 30, np.random.default_rng(6))
    )
    reused = (persons.groupby("person_id")["matched_set"].transform("nunique") > 1).to_numpy()
    participant = pd.Series(counts[0][codes == 1], index=persons["matched_set"][codes == 1])
    set_count = participant.reindex(persons["matched_set"]).to_numpy()
    assert reused.any() and (counts[0][~reused] == set_count[~reused]).all()
    assert (counts[:, reused] != set_count[reused]).any()  # a reused control is also drawn as a person
    boot = bootstrap_savings(cohort, case, CONFIG, n_boot=30, seed=np.random.default_rng(6), forecast=False)
    reps = savings_replicates(cohort, case, CONFIG, counts, forecast=False)
    for b in (0, 29):
        mine = reps[reps["replicate"] == b]
        np.testing.assert_allclose(boot.replicates["realised"][b, 0], mine["saved_fte"], rtol=1e-12)
    without = resample_counts(persons.drop(columns="person_id"), codes, 30, np.random.default_rng(6))
    assert not np.array_equal(without, counts)  # without person ids: the sets alone (each row its own person)


def test_bootstrap_se_agrees_with_the_delta_method_for_a_whole_year(cohorts) -> None:
    boot = bootstrap_savings(cohorts["3"], "3", CONFIG, n_boot=1000, seed=1)
    for kind in ("realised", "forecast"):
        row = boot.interval(kind, "saved_fte").set_index("year").loc[2021]
        assert row["se"] == pytest.approx(row["delta_se"], rel=0.2), kind
        assert row["lower"] < row["value"] < row["upper"]


def test_synthetic_truth_within_the_bootstrap_intervals(cohorts) -> None:
    covered = total = 0
    for case_id, cohort in cohorts.items():
        spec = next(c for c in NORDDJURS_CASES if c.case_id == case_id)
        truth = realised_truth(cohort, spec, CONFIG.case(case_id), CONFIG).set_index("year")
        boot = bootstrap_savings(cohort, case_id, CONFIG, n_boot=400, seed=int(case_id), forecast=False)
        for measure in ("saved_fte", "savings_kr"):
            f = boot.interval("realised", measure).set_index("year")
            assert list(f.index) == list(truth.index)
            for y in f.index:
                total += 1
                covered += f.loc[y, "lower"] <= truth.loc[y, measure] <= f.loc[y, "upper"]
    # 4 cases x 3 years x 2 measures = 24 intervals at 95 %: at least 21 cover (P(fewer) < 1 %)
    assert total == 24 and covered >= 21, f"{covered} of {total}"


def test_forecast_weights_reproduce_forecast_savings() -> None:
    rng = np.random.default_rng(0)
    sc = np.cumprod(1 - rng.uniform(0, 0.08, 36))
    s_i = np.cumprod(1 - rng.uniform(0, 0.12, 36))
    inflow = pd.Series(rng.uniform(0, 9, 18), index=2020 * 12 + np.arange(18))
    kw = dict(monthly_cost=13750.0, prior_weeks=30.0, refusion=CONFIG.refusion)
    years = (2020, 2021, 2022, 2023)
    f = forecast_savings(sc, np.zeros(36), s_i, np.zeros(36), inflow, years, **kw).frame
    w = forecast_weights(inflow, years, 36, **kw)
    np.testing.assert_allclose(w[0] @ (sc - s_i) / 12, f["saved_fte"], rtol=1e-12)
    np.testing.assert_allclose(w[1] @ (sc - s_i), f["savings_kr"], rtol=1e-12)
    np.testing.assert_allclose(w[2] @ (sc - s_i), f["refusion_part_kr"], rtol=1e-12)


def test_jupyter_rendering(cohorts) -> None:
    boot = bootstrap_savings(cohorts["1"], "1", CONFIG, n_boot=30, seed=2)
    html = boot._repr_html_()
    assert "Bootstrap of case 1" in html and "30 replicates" in html and "95 % percentile" in html
    assert "saved_fte" in html and "forecast" in html and "[" in html
    assert "C1P" not in html  # no person ids
    assert "n_boot=30" in repr(boot)
    with pytest.raises(KeyError, match="no kind"):
        boot.interval("budget")
    with pytest.raises(KeyError, match="no measure"):
        boot.interval("realised", "net")


def test_bad_arguments(cohorts) -> None:
    cohort = cohorts["1"]
    with pytest.raises(si.InputError, match="'n_boot' parameter of bootstrap_savings must be a whole number >= 2"):
        bootstrap_savings(cohort, "1", CONFIG, n_boot=1)
    with pytest.raises(si.InputError, match=r"'alpha' parameter of bootstrap_savings must be in \(0, 1\)"):
        bootstrap_savings(cohort, "1", CONFIG, alpha=1.5)
    with pytest.raises(si.InputError, match="'seed' parameter"):
        bootstrap_savings(cohort, "1", CONFIG, seed=-1)
    with pytest.raises(si.InputError, match="counting placements"):
        bootstrap_savings(cohort, "5", CONFIG)
    with pytest.raises(si.InputError, match="must be a Cohort"):
        bootstrap_savings(cohort.persons, "1", CONFIG)  # type: ignore[arg-type]  # a wrong type on purpose
    with pytest.raises(si.InputError, match="must be a Portfolio"):
        bootstrap_savings(cohort, "1", {"run": {}})  # type: ignore[arg-type]  # a wrong type on purpose
    with pytest.raises(si.ConfigError, match="no case '9'"):
        bootstrap_savings(cohort, "9", CONFIG)
    n = len(cohort.persons)
    with pytest.raises(si.InputError, match=rf"must have shape \(replicates, {n}\)"):
        savings_replicates(cohort, "1", CONFIG, np.ones((2, n + 1)))
    bad = np.ones(n)
    bad[5] = -1
    with pytest.raises(si.InputError, match=r"position \(0, 5\) holds -1.0"):
        savings_replicates(cohort, "1", CONFIG, bad)


def test_exported_from_the_package() -> None:
    assert si.bootstrap_savings is bootstrap_savings
    assert si.SavingsBootstrap.__name__ == "SavingsBootstrap"
