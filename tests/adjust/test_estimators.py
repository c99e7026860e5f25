"""The estimators' analytic Jacobians equal finite differences; weights and curves behave as defined."""

from __future__ import annotations

import numpy as np
import pytest

from survival_invest.adjust.estimators import (
    aipw_parts,
    arm_curve,
    arm_jacobians,
    arm_weights,
    make_grid,
    models_used,
)
from survival_invest.adjust.pooled import time_basis


def _grid(n: int = 300, tau: int = 10, seed: int = 0):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 2))
    treated = rng.random(n) < 0.4
    d = rng.integers(0, tau + 3, n)
    ev = rng.random(n) < 0.7
    return make_grid(d, ev, treated, x, time_basis(tau)), rng


@pytest.mark.parametrize("method", ["ipw", "gformula", "aipw"])
@pytest.mark.parametrize("estimand", ["att", "ate"])
@pytest.mark.parametrize("arm", [0, 1])
def test_analytic_jacobians_equal_finite_differences(method: str, estimand: str, arm: int) -> None:
    grid, rng = _grid()
    q = grid.basis.shape[1]
    theta = {
        "ps": rng.normal(0, 0.5, 3),
        "out": np.concatenate([[-1.5], rng.normal(0, 0.3, q + 1)]),
        "cens": np.concatenate([[-2.5], rng.normal(0, 0.3, q + 1)]),
    }
    jac = arm_jacobians(method, arm, estimand, grid, theta)
    assert set(jac) == set(models_used(method, arm, estimand))
    base = arm_curve(method, arm, estimand, grid, theta)[0]
    for model, j in jac.items():
        fd = np.empty_like(j)
        for k in range(theta[model].shape[0]):
            eps = 1e-6
            up, down = dict(theta), dict(theta)
            up[model] = theta[model].copy()
            up[model][k] += eps
            down[model] = theta[model].copy()
            down[model][k] -= eps
            fd[:, k] = (
                arm_curve(method, arm, estimand, grid, up)[0] - arm_curve(method, arm, estimand, grid, down)[0]
            ) / (2 * eps)
        np.testing.assert_allclose(j, fd, atol=1e-7, err_msg=f"{method} {estimand} arm {arm} {model}")
    assert base.shape == (grid.basis.shape[0],)


def test_arm_weights_by_estimand() -> None:
    grid, _ = _grid(50)
    e = np.full(50, 0.25)
    t = grid.treated
    np.testing.assert_allclose(arm_weights(grid, 1, "att", None), t * 1.0)
    np.testing.assert_allclose(arm_weights(grid, 0, "att", e), ~t * (0.25 / 0.75))
    np.testing.assert_allclose(arm_weights(grid, 1, "ate", e), t / 0.25)
    np.testing.assert_allclose(arm_weights(grid, 0, "ate", e), ~t / 0.75)


def test_influence_has_mean_zero() -> None:
    grid, _ = _grid()
    q = grid.basis.shape[1]
    theta = {
        "ps": np.array([-0.3, 0.2, 0.1]),
        "out": np.r_[-1.5, np.zeros(q + 1)],
        "cens": np.r_[-2.5, np.zeros(q + 1)],
    }
    for method in ("ipw", "gformula", "aipw"):
        _, infl = arm_curve(method, 0, "att", grid, theta, influence=True)
        assert infl is not None and np.abs(infl.mean(axis=0)).max() < 1e-10


@pytest.mark.parametrize("estimand", ["att", "ate"])
def test_shared_aipw_parts_give_the_same_results_and_stay_unchanged(estimand: str) -> None:
    grid, rng = _grid(seed=3)
    q = grid.basis.shape[1]
    theta = {
        "ps": rng.normal(0, 0.5, 3),
        "out": np.concatenate([[-1.5], rng.normal(0, 0.3, q + 1)]),
        "cens": np.concatenate([[-2.5], rng.normal(0, 0.3, q + 1)]),
    }
    parts = aipw_parts(grid, theta)
    before = [p.copy() for p in parts]
    for arm in (0, 1):
        jac = arm_jacobians("aipw", arm, estimand, grid, theta, parts)
        psi, infl = arm_curve("aipw", arm, estimand, grid, theta, influence=True, parts=parts)
        psi0, infl0 = arm_curve("aipw", arm, estimand, grid, theta, influence=True)
        np.testing.assert_array_equal(psi, psi0)
        assert infl is not None and infl0 is not None
        np.testing.assert_array_equal(infl, infl0)
        for model, j in arm_jacobians("aipw", arm, estimand, grid, theta).items():
            np.testing.assert_array_equal(jac[model], j)
    for p, b in zip(parts, before, strict=True):
        np.testing.assert_array_equal(p, b)  # neither function writes into the shared grids
