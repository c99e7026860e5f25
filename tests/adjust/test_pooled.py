"""Pooled logistic fits, month by month on the persons at risk, equal scikit-learn's fit on the expanded rows."""

from __future__ import annotations

import numpy as np
import pytest

from survival_invest import InputError
from survival_invest.adjust.pooled import (
    expit,
    fit_pooled_logit,
    heap_allocations,
    person_scores,
    risk_sets,
    running,
    time_basis,
)

TAU = 12


def _persons(n: int = 600, seed: int = 0, first_cut: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 2))
    s = np.arange(TAU + 5)
    h = expit(-1.5 + 0.05 * s[None, :] + (x @ np.array([0.5, -0.3]))[:, None])
    leave = rng.random(h.shape) < h
    t = np.where(leave.any(axis=1), leave.argmax(axis=1), TAU + 5)
    c = rng.integers(first_cut, TAU + 5, n)
    return x, np.minimum(t, c), t <= c


def _expanded(x: np.ndarray, d: np.ndarray, y_last: np.ndarray, drop_last: np.ndarray | None = None):  # type: ignore[no-untyped-def]
    """The person-month rows (months 0 .. min(d, TAU - 1)) and their outcomes, the long way."""
    s = np.arange(TAU)[None, :]
    risk = s <= d[:, None]
    y = (s == d[:, None]) & y_last[:, None]
    if drop_last is not None:
        risk &= ~((s == d[:, None]) & drop_last[:, None])
    i, t = np.nonzero(risk)
    return i, t, y[i, t]


@pytest.mark.parametrize("model", ["exit", "censoring"])
def test_fit_equals_sklearn_on_expanded_rows(model: str) -> None:
    from sklearn.linear_model import LogisticRegression

    x, d, ev = _persons(first_cut=0)  # censorings in every month: a finite maximum for both models
    basis = time_basis(TAU)
    if model == "exit":
        rs, (i, t, y) = risk_sets(x, d, ev, TAU), _expanded(x, d, ev)
    else:
        rs, (i, t, y) = risk_sets(x, d, ~ev, TAU, drop_last=ev), _expanded(x, d, ~ev, ev)
    fit = fit_pooled_logit(basis, rs)
    design = np.hstack([basis[t], x[i]])
    ref = LogisticRegression(C=1e12, fit_intercept=False, solver="newton-cholesky", tol=1e-12, max_iter=1000)
    ref.fit(design, y)
    np.testing.assert_allclose(fit.theta, ref.coef_[0], atol=1e-5)
    np.testing.assert_allclose(expit(design @ fit.theta), ref.predict_proba(design)[:, 1], atol=1e-8)
    assert fit.iterations < 20
    scores = person_scores(basis, rs, fit.theta)  # in the original order; they add up to the (zero) total
    assert scores.shape == (x.shape[0], fit.theta.shape[0]) and np.abs(scores.sum(axis=0)).max() < 1e-5
    r = y - expit(design @ fit.theta)
    np.testing.assert_allclose(
        scores[:, -2:], np.stack([np.bincount(i, r * x[i, j], x.shape[0]) for j in (0, 1)], 1), atol=1e-9
    )


def test_frequency_weights_equal_duplicated_rows() -> None:
    x, d, ev = _persons(200)
    w = np.random.default_rng(1).integers(0, 4, 200)
    rep = np.repeat(np.arange(200), w)
    basis = time_basis(TAU)
    a = fit_pooled_logit(basis, risk_sets(x, d, ev, TAU, w.astype(float)))
    b = fit_pooled_logit(basis, risk_sets(x[rep], d[rep], ev[rep], TAU))
    np.testing.assert_allclose(a.theta, b.theta, atol=1e-8)


def test_dummy_time_terms_without_covariates_give_the_crude_hazards() -> None:
    x, d, ev = _persons()
    fit = fit_pooled_logit(time_basis(TAU, "dummies"), risk_sets(x[:, :0], d, ev, TAU))
    _, t, y = _expanded(x, d, ev)
    crude = np.bincount(t, y, TAU) / np.bincount(t, minlength=TAU)
    np.testing.assert_allclose(expit(fit.alpha), crude, rtol=1e-7)


def test_a_month_without_events_stays_finite() -> None:
    x, d, ev = _persons()
    ev = ev & (d != 2)
    fit = fit_pooled_logit(time_basis(TAU, "dummies"), risk_sets(x, d, ev, TAU))
    assert np.all(np.isfinite(fit.theta)) and expit(fit.alpha[2]) < 1e-5


def test_time_basis_shapes_and_errors() -> None:
    assert time_basis(36).shape == (36, 8) and time_basis(2).shape == (2, 2)
    with pytest.raises(InputError, match="time must be 'spline' or 'dummies'"):
        time_basis(12, "cubic")
    with pytest.raises(InputError, match="tau must be at least 1"):
        time_basis(0)


def test_heap_allocations_change_no_result_and_let_errors_through() -> None:
    rng = np.random.default_rng(5)
    x = rng.standard_normal((400, 2))
    d = rng.integers(0, TAU + 2, 400)
    ev = rng.random(400) < 0.6
    basis = time_basis(TAU)
    plain = fit_pooled_logit(basis, risk_sets(x, d, ev, TAU))
    with heap_allocations():
        big = np.ones((5_000_000,))  # 40 MB: above glibc's largest mmap threshold
        inside = fit_pooled_logit(basis, risk_sets(x, d, ev, TAU))
        assert big.sum() == 5_000_000
    np.testing.assert_array_equal(inside.theta, plain.theta)
    np.testing.assert_array_equal(inside.hessian, plain.hessian)
    with pytest.raises(ZeroDivisionError), heap_allocations():
        _ = 1 / 0
    after = np.ones((5_000_000,))  # allocation works again once the defaults are back
    assert after.sum() == 5_000_000


@pytest.mark.parametrize("order", ["F", "C"])
def test_running_is_bit_identical_to_numpy_cumsum_and_cumprod(order: str) -> None:
    grid = np.asarray(np.random.default_rng(2).uniform(0.5, 1.5, (300, 9)), order=order)
    np.testing.assert_array_equal(running(np.add, grid.copy(order=order)), np.cumsum(grid, axis=1))
    np.testing.assert_array_equal(running(np.multiply, grid.copy(order=order)), np.cumprod(grid, axis=1))
    inplace = grid.copy(order=order)
    assert running(np.add, inplace) is inplace  # in place
    np.testing.assert_array_equal(inplace, np.cumsum(grid, axis=1))
