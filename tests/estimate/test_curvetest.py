"""The supremum test of two survival curves on [0, tau]: statistic, size under the null, power.

The statistic is checked against ``max |S_c - S_i|`` evaluated independently
on a fine grid; the multiplier p-value is checked to keep roughly its size on
200 seeded null data sets (200 replicates each: cheap), to reject a clear
difference, and to detect crossing curves whose areas are about equal (what the
``Delta RMST`` test cannot). Seeds make every figure reproducible.
"""

from __future__ import annotations

import numpy as np
import pytest

import survival_invest as si
from survival_invest.errors import InputError


def _two_groups(rng: np.random.Generator, n: int, rate_c: float, rate_i: float) -> si.SurvivalCurves:
    t = np.concatenate([rng.exponential(1 / rate_c, n), rng.exponential(1 / rate_i, n)])
    censor = rng.uniform(0, 30, 2 * n)
    groups = np.repeat([0, 1], n)
    return si.kaplan_meier_by(np.ceil(np.minimum(t, censor)).astype(np.int64), (t <= censor), groups)


def test_statistic_is_the_largest_gap_up_to_tau() -> None:
    curves = _two_groups(np.random.default_rng(1), 80, 0.1, 0.15)
    test = curves.supremum_test(0, 1, 12.0, replicates=200, seed=3)
    grid = np.linspace(0, 12, 2401)
    s = curves.survival_at(grid)
    assert test.statistic == pytest.approx(float(np.max(np.abs(s[0] - s[1]))), rel=1e-12)
    again = si.supremum_test(curves.curve(0), curves.curve(1), 12.0, replicates=200, seed=3)
    assert again == test  # same seed, same p-value
    assert 1 / 201 <= test.p_value <= 1 and test.critical_value > 0
    assert "sup |S_c - S_i|" in str(test) and "Supremum test" in test._repr_html_()


def test_size_under_the_null_and_power_under_a_clear_difference() -> None:
    rng = np.random.default_rng(16)
    null_p = np.array(
        [_two_groups(rng, 60, 0.1, 0.1).supremum_test(0, 1, 20.0, replicates=200, seed=s).p_value for s in range(200)]
    )
    rejected = float(np.mean(null_p <= 0.05))
    assert 0.01 <= rejected <= 0.10, rejected  # nominal 0.05; binomial sd over 200 sets is 0.015
    assert 0.4 <= float(null_p.mean()) <= 0.6  # roughly uniform
    power = [
        _two_groups(rng, 150, 0.1, 0.2).supremum_test(0, 1, 20.0, replicates=200, seed=s).p_value for s in range(5)
    ]
    assert max(power) < 0.01


def test_detects_crossing_curves_with_equal_areas() -> None:
    rng = np.random.default_rng(5)
    n = 400
    early = np.where(rng.random(n) < 0.5, rng.uniform(0, 2, n), 100.0)  # half leave at once, half never
    steady = rng.exponential(13.7, n)  # about the same area to 20 (10.5 months) as the other group
    t = np.minimum(np.concatenate([early, steady]), 20.0)
    e = np.concatenate([early, steady]) < 20.0
    curves = si.kaplan_meier_by(t, e, np.repeat([0, 1], n))
    area = curves.area_between(0, 1, [20.0]).iloc[0]
    test = curves.supremum_test(0, 1, 20.0, replicates=500, seed=0)
    assert area["p_value"] > 0.05  # the areas do not tell them apart
    assert test.p_value < 0.01  # the curves do


def test_identical_curves_give_p_one_and_bad_arguments_are_refused() -> None:
    km = si.kaplan_meier(np.array([1, 2, 3, 4]), np.array([1, 0, 1, 1]))
    test = si.supremum_test(km, km, 10.0, replicates=50)
    assert test.statistic == 0.0 and test.p_value == 1.0
    with pytest.raises(InputError, match="replicates"):
        si.supremum_test(km, km, 10.0, replicates=0)
    with pytest.raises(InputError, match="single number"):
        si.supremum_test(km, km, [1.0, 2.0])  # type: ignore[arg-type]  # deliberately a list
    with pytest.raises(InputError, match="alpha"):
        si.supremum_test(km, km, 1.0, alpha=2.0)
