"""Selection adjustment: on data where participants are chosen on prior duration, the
unadjusted area is biased and the inverse-probability-weighted area recovers the truth;
on register data where they are picked month by month, sequential matching recovers it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import survival_invest as si
from survival_invest import InputError
from survival_invest.adjust.balance import balance_table
from survival_invest.adjust.ipw import design_matrix, ipw_area, ipw_bootstrap, ipw_weights, propensity
from survival_invest.estimate.bootstrap import replicate_counts
from survival_invest.io.memberships import memberships_from_frame
from survival_invest.io.spells import spells_from_frame
from survival_invest.synthetic.confounded import simulate_confounded

TAU = 24


def _rmst(p: np.ndarray, tau: int) -> np.ndarray:
    return (1 - (1 - p) ** tau) / p


def confounded(n: int, seed: int) -> tuple[pd.DataFrame, float]:
    """Participants are picked among persons with short prior spells, who also leave support sooner."""
    rng = np.random.default_rng(seed)
    prior = rng.gamma(2.0, 30.0, n)  # weeks on support before entry
    base = 0.10 * np.exp(-0.015 * prior)  # monthly exit probability falls with prior duration
    picked = rng.random(n) < 1 / (1 + np.exp(-(0.5 - 0.03 * prior)))
    p = np.where(picked, np.minimum(base * 1.5, 0.9), base)  # the effort raises the exit hazard by half
    exit_t = rng.geometric(p)
    follow = rng.integers(12, 48, n)
    frame = pd.DataFrame(
        {
            "group": np.where(picked, "intervention", "comparison"),
            "prior_weeks": prior,
            "duration": np.minimum(exit_t, follow),
            "event": (exit_t <= follow).astype(int),
        }
    )
    truth = float(np.mean(_rmst(base[picked], TAU) - _rmst(np.minimum(base[picked] * 1.5, 0.9), TAU)))
    return frame, truth


def test_unadjusted_is_biased_and_ipw_recovers_the_truth() -> None:
    frame, truth = confounded(6000, seed=4)
    raw = (
        si.kaplan_meier_by(frame["duration"], frame["event"], frame["group"])
        .area_between("comparison", "intervention", TAU)
        .iloc[0]
    )
    assert abs(raw["value"] - truth) > 3 * raw["se"]  # selection on prior duration biases the naive comparison
    res = ipw_bootstrap(frame, ["prior_weeks"], TAU, n_boot=200, seed=2)
    assert res.lower <= truth <= res.upper
    assert abs(res.value - truth) < abs(raw["value"] - truth) / 3


def test_weights_balance_the_covariate() -> None:
    frame, _ = confounded(6000, seed=5)
    _, w = ipw_area(frame, ["prior_weeks"], TAU)
    t = balance_table(frame, ["prior_weeks"], weights=w)
    assert abs(t.loc["prior_weeks", "smd"]) > 0.3
    assert abs(t.loc["prior_weeks", "smd_weighted"]) < 0.05


def test_weight_rules() -> None:
    ps = np.array([0.2, 0.5, 0.2, 0.5])
    t = np.array([1, 1, 0, 0])
    att = ipw_weights(ps, t)
    assert att[:2].tolist() == [1.0, 1.0] and att[2:].sum() == pytest.approx(2.0)
    assert att[3] / att[2] == pytest.approx((0.5 / 0.5) / (0.2 / 0.8))
    ate = ipw_weights(ps, t, estimand="ate")
    assert ate.tolist() == pytest.approx([0.5 / 0.2, 0.5 / 0.5, 0.5 / 0.8, 0.5 / 0.5])
    trimmed = ipw_weights(
        np.array([0.01, 0.5, 0.5, 0.5, 0.99, 0.5]), np.array([1, 1, 1, 0, 0, 0]), estimand="ate", trim=0.2
    )
    assert (
        trimmed.max()
        < ipw_weights(np.array([0.01, 0.5, 0.5, 0.5, 0.99, 0.5]), np.array([1, 1, 1, 0, 0, 0]), estimand="ate").max()
    )
    with pytest.raises(InputError, match="estimand"):
        ipw_weights(ps, t, estimand="atc")


def test_propensity_is_a_logistic_fit() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20000, 1))
    t = rng.random(20000) < 1 / (1 + np.exp(-(0.3 + 1.2 * x[:, 0])))
    ps = propensity(x, t)
    want = 1 / (1 + np.exp(-(0.3 + 1.2 * x[:, 0])))
    assert np.max(np.abs(ps - want)) < 0.03
    d = design_matrix(pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]}), ["a", "b"])
    assert d.shape == (2, 2)


# --- register data with selection: participants picked month by month, short spells first -----------------------


def _cohorts(seed: int, comparisons: tuple[str, ...] = ("target_all", "non_participants", "matched")):
    sp, ms, people, truth = simulate_confounded(30000, seed=seed)
    sp, ms = spells_from_frame(sp), memberships_from_frame(ms)
    out = {
        comp: si.build_cohort(sp, ms, case_id="1", as_of="2022-06", data_lag=2, comparison=comp).with_persons(people)
        for comp in comparisons
    }
    return out, truth


@pytest.fixture(scope="module")
def selected() -> tuple[dict[str, si.Cohort], object]:
    return _cohorts(seed=1)


def _area(c: si.Cohort) -> pd.Series:
    return c.curves().area_between("comparison", "intervention", TAU).iloc[0]


def _truth(c: si.Cohort, truth) -> float:
    return truth.area(TAU, c.persons.loc[c.persons.group == "intervention", "person_id"])


def test_register_selection_biases_the_naive_areas_and_matching_recovers_the_truth(selected) -> None:
    cohorts, truth = selected
    naive_error = []
    for comp in ("target_all", "non_participants"):
        a = _area(cohorts[comp])
        assert abs(a.value - _truth(cohorts[comp], truth)) > 3 * a.se, comp  # outside any reasonable interval
        naive_error.append(abs(a.value - _truth(cohorts[comp], truth)))
    m = cohorts["matched"]
    a = _area(m)
    true_m = _truth(m, truth)
    assert a.lower <= true_m <= a.upper
    assert abs(a.value - true_m) < min(naive_error) / 2
    assert m.summary.loc["excluded_no_match", "intervention"] == 0  # every participant found a control here


@pytest.mark.parametrize("seed", [2, 3])
def test_matching_is_unbiased_and_the_naive_comparison_biased_across_seeds(seed: int) -> None:
    cohorts, truth = _cohorts(seed, ("non_participants", "matched"))
    a = _area(cohorts["matched"])
    assert abs(a.value - _truth(cohorts["matched"], truth)) < 3 * a.se
    n = _area(cohorts["non_participants"])
    assert n.value - _truth(cohorts["non_participants"], truth) > 3 * n.se  # the long-term non-participants inflate it


def test_weights_on_the_matched_cohort_recover_the_truth_but_cannot_repair_the_clock(selected) -> None:
    cohorts, truth = selected
    m = cohorts["matched"]
    res = ipw_bootstrap(m.persons, None, TAU, n_boot=100, seed=3)  # age, sex, prior weeks, benefit group
    assert res.lower <= _truth(m, truth) <= res.upper
    # non-participants weighted to the participants' baseline: their clock still starts at target entry and they
    # are the persons who left support before anyone picked them (immortal time), so the area stays biased
    non = cohorts["non_participants"]
    res = ipw_bootstrap(non.persons, None, TAU, n_boot=40, seed=3)
    assert not res.lower <= _truth(non, truth) <= res.upper


def test_balance_before_and_after_matching_and_weighting(selected) -> None:
    cohorts, _ = selected
    non, m = cohorts["non_participants"], cohorts["matched"]
    _, w = ipw_area(non.persons, None, TAU)
    _, wm = ipw_area(m.persons, None, TAU)
    t = balance_table(non.persons, weights=w, matched=m.persons, matched_weights=wm)
    assert list(t.index) == [
        "age",
        "sex=female",
        "sex=male",
        "prior_weeks",
        "benefit_group=kontanthjaelp",
        "benefit_group=uddannelseshjaelp",
    ]
    assert t.loc["prior_weeks", "smd"] < -0.3 and abs(t.loc["benefit_group=kontanthjaelp", "smd"]) > 0.1
    assert abs(t.loc["prior_weeks", "smd_matched"]) < 0.1  # matched on the band
    assert abs(t.loc["benefit_group=kontanthjaelp", "smd_matched"]) < 1e-12  # matched exactly
    assert t.loc["age", "smd_matched"] < -0.1  # the younger are picked more; matching does not touch age
    assert (t.filter(like="smd_weighted").abs() < 0.05).all().all()
    assert (t.filter(like="smd_matched_weighted").abs() < 0.05).all().all()


def test_bootstrap_refits_equal_fits_on_explicitly_resampled_persons() -> None:
    frame, _ = confounded(1500, seed=8)
    res = ipw_bootstrap(frame, ["prior_weeks"], TAU, n_boot=5, seed=11, alpha=0.5)
    codes = (frame["group"] == "intervention").to_numpy().astype(np.int64)
    counts = replicate_counts(codes, 2, 5, np.random.default_rng(11))
    reps = []
    for b in range(5):  # the slow way: copy the resampled rows and fit everything again
        idx = np.repeat(np.arange(len(frame)), counts[b])
        reps.append(ipw_area(frame.iloc[idx].reset_index(drop=True), ["prior_weeks"], TAU)[0])
    lo, hi = np.quantile(reps, [0.25, 0.75])
    # equal up to the optimiser's tolerance (ignoring the counts would move the replicates by about 0.1)
    assert res.lower == pytest.approx(lo, abs=2e-3) and res.upper == pytest.approx(hi, abs=2e-3)
    assert res.se == pytest.approx(np.std(reps, ddof=1), abs=2e-3)
