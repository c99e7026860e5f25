"""Selection adjustment: on data where participants are chosen on prior duration, the
unadjusted area is biased and the inverse-probability-weighted area recovers the truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import survival_invest as si
from survival_invest import InputError
from survival_invest.adjust import design_matrix, ipw_area, ipw_bootstrap, ipw_weights, propensity
from survival_invest.balance import balance_table

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
    frame = pd.DataFrame({
        "group": np.where(picked, "intervention", "comparison"),
        "prior_weeks": prior,
        "duration": np.minimum(exit_t, follow),
        "event": (exit_t <= follow).astype(int),
    })
    truth = float(np.mean(_rmst(base[picked], TAU) - _rmst(np.minimum(base[picked] * 1.5, 0.9), TAU)))
    return frame, truth


def test_unadjusted_is_biased_and_ipw_recovers_the_truth() -> None:
    frame, truth = confounded(6000, seed=4)
    raw = si.kaplan_meier_by(frame["duration"], frame["event"], frame["group"]).area_between("comparison", "intervention", TAU).iloc[0]
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
    trimmed = ipw_weights(np.array([0.01, 0.5, 0.5, 0.5, 0.99, 0.5]), np.array([1, 1, 1, 0, 0, 0]), estimand="ate", trim=0.2)
    assert trimmed.max() < ipw_weights(np.array([0.01, 0.5, 0.5, 0.5, 0.99, 0.5]), np.array([1, 1, 1, 0, 0, 0]), estimand="ate").max()
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
