"""Adjusted curves: Kaplan-Meier without covariates, the truth with them, SEs against the bootstrap, bad input."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

import survival_invest as si
from survival_invest import InputError
from survival_invest.adjust.adjusted import adjusted_bootstrap, adjusted_curves
from survival_invest.synthetic.adjustment import COVARIATES, AdjustmentTruth, simulate_adjustment, true_adjusted


@pytest.fixture(scope="module")
def small() -> pd.DataFrame:
    return simulate_adjustment(3000, seed=4)


@functools.cache
def truth(scenario: str) -> AdjustmentTruth:
    """The scenario's true ATT curves to 36 months (Monte Carlo error ~0.01 months with 10^5 draws)."""
    return true_adjusted(scenario, 36, n_mc=100_000)


@pytest.mark.parametrize("method", ["ipw", "gformula", "aipw"])
def test_without_covariates_every_method_is_kaplan_meier(small: pd.DataFrame, method: str) -> None:
    fit = adjusted_curves(small, [], method=method, tau=24, time="dummies", taus=[12])
    km = si.kaplan_meier_by(small["duration"], small["event"], small["group"])
    area = km.area_between("comparison", "intervention", [12, 24])
    np.testing.assert_allclose(fit.areas["value"], area["value"], atol=1e-7)
    np.testing.assert_allclose(fit.areas["se"], area["se"], rtol=1e-5)
    s = si.kaplan_meier(
        small["duration"][small["group"] == "comparison"], small["event"][small["group"] == "comparison"]
    ).survival_at(np.arange(24))
    curve = fit.curve("comparison")
    assert curve["time"].tolist() == list(range(24)) and curve["survival"].is_monotonic_decreasing
    np.testing.assert_allclose(curve["survival"], s, atol=1e-8)


@pytest.mark.parametrize("method", ["ipw", "gformula", "aipw"])
def test_recovers_the_truth_when_the_models_are_right(method: str) -> None:
    persons = simulate_adjustment(12000, seed=11)
    true = truth("correct")
    fit = adjusted_curves(persons, list(COVARIATES), method=method, tau=36)
    naive = si.kaplan_meier_by(persons["duration"], persons["event"], persons["group"])
    naive_area = float(naive.area_between("comparison", "intervention", 36)["value"].iloc[0])
    assert abs(fit.area.value - true.area) < 3 * fit.area.se
    assert abs(naive_area - true.area) > 10 * fit.area.se  # the confounding is strong
    both = fit.table.pivot(index="time", columns="group", values="survival")
    np.testing.assert_allclose(both["comparison"], true.comparison, atol=0.03)
    np.testing.assert_allclose(both["intervention"], true.intervention, atol=0.03)


def test_misspecification_study_on_a_few_seeds() -> None:
    """IPW fails under a wrong propensity model, the g-formula under a wrong outcome model, AIPW in neither."""
    bias: dict[tuple[str, str], list[float]] = {}
    for scenario in ("wrong_propensity", "wrong_outcome"):
        true = truth(scenario).area
        for seed in (21, 22, 23):
            persons = simulate_adjustment(10000, seed=seed, scenario=scenario)
            for method in ("ipw", "gformula", "aipw"):
                value = adjusted_curves(persons, list(COVARIATES), method=method, tau=36).area.value
                bias.setdefault((scenario, method), []).append(value - true)
    mean = {k: float(np.mean(v)) for k, v in bias.items()}
    assert mean[("wrong_propensity", "ipw")] < -0.25
    assert mean[("wrong_outcome", "gformula")] < -0.25
    for scenario in ("wrong_propensity", "wrong_outcome"):
        assert abs(mean[(scenario, "aipw")]) < 0.15, mean


def test_influence_se_agrees_with_the_bootstrap() -> None:
    persons = simulate_adjustment(1500, seed=5)
    fit = adjusted_curves(persons, ["prior_months", "score"], method="aipw", tau=24)
    boot = adjusted_bootstrap(persons, ["prior_months", "score"], method="aipw", tau=24, n_boot=60, seed=2)
    assert boot.value == pytest.approx(fit.area.value, abs=1e-12)
    assert 0.75 < boot.se / fit.area.se < 1.33
    assert boot.lower < fit.area.value < boot.upper


def test_ate_and_att_differ_and_rmst_table(small: pd.DataFrame) -> None:
    att = adjusted_curves(small, list(COVARIATES), method="gformula", tau=24, taus=[6, 12])
    ate = adjusted_curves(small, list(COVARIATES), method="gformula", estimand="ate", tau=24)
    assert att.area.value != pytest.approx(ate.area.value, abs=1e-3)
    assert att.rmst["tau"].tolist() == [6, 12, 24, 6, 12, 24]
    r = att.rmst.set_index(["group", "tau"])["value"]
    assert r[("comparison", 24)] - r[("intervention", 24)] == pytest.approx(att.area.value)
    assert (att.table["lower"] <= att.table["survival"]).all() and (att.table["survival"] <= att.table["upper"]).all()


def test_bad_input_is_named(small: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="method must be one of"):
        adjusted_curves(small, method="tmle")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="estimand must be one of"):
        adjusted_curves(small, estimand="atc")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="tau must be a whole number"):
        adjusted_curves(small, list(COVARIATES), tau=0)
    with pytest.raises(InputError, match="column 'group', row 1"):
        adjusted_curves(small.assign(group="x"), list(COVARIATES))
    with pytest.raises(InputError, match="missing column"):
        adjusted_curves(small.drop(columns="event"), list(COVARIATES))
    with pytest.raises(InputError, match="both groups"):
        adjusted_curves(small.assign(group="comparison"), list(COVARIATES))
    with pytest.raises(InputError, match="taus must be between 1 and tau"):
        adjusted_curves(small, list(COVARIATES), tau=12, taus=[24])
