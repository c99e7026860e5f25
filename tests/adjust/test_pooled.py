"""Pooled logistic fits on the person-month grid equal scikit-learn's fit on the expanded rows."""

from __future__ import annotations

import numpy as np
import pytest

from survival_invest import InputError
from survival_invest.adjust.pooled import expit, fit_pooled_logit, person_scores, time_basis


def _grid(n: int = 600, tau: int = 12, seed: int = 0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 2))
    s = np.arange(tau)
    h = expit(-1.5 + 0.05 * s[None, :] + (x @ np.array([0.5, -0.3]))[:, None])
    leave = rng.random(h.shape) < h
    t = np.where(leave.any(axis=1), leave.argmax(axis=1), tau)
    c = rng.integers(3, tau + 3, n)
    d = np.minimum(t, c)
    risk = s[None, :] <= d[:, None]
    y = (s[None, :] == d[:, None]) & (t <= c)[:, None]
    return x, risk, y


def test_fit_equals_sklearn_on_expanded_rows() -> None:
    from sklearn.linear_model import LogisticRegression

    x, risk, y = _grid()
    basis = time_basis(12)
    fit = fit_pooled_logit(basis, x, risk, y)
    i, s = np.nonzero(risk)
    design = np.hstack([basis[s], x[i]])
    ref = LogisticRegression(C=1e12, fit_intercept=False, solver="newton-cholesky", tol=1e-12, max_iter=1000)
    ref.fit(design, y[i, s])
    np.testing.assert_allclose(fit.theta, ref.coef_[0], atol=1e-6)
    np.testing.assert_allclose(expit(design @ fit.theta), ref.predict_proba(design)[:, 1], atol=1e-8)
    assert fit.iterations < 15
    # the score is zero at the maximum, and the per-person scores add up to it
    scores = person_scores(basis, x, risk, y, fit.theta, None)
    assert np.abs(scores.sum(axis=0)).max() < 1e-5


def test_frequency_weights_equal_duplicated_rows() -> None:
    x, risk, y = _grid(200)
    w = np.random.default_rng(1).integers(0, 4, 200)
    rep = np.repeat(np.arange(200), w)
    basis = time_basis(12)
    a = fit_pooled_logit(basis, x, risk, y, w.astype(float))
    b = fit_pooled_logit(basis, x[rep], risk[rep], y[rep])
    np.testing.assert_allclose(a.theta, b.theta, atol=1e-8)


def test_dummy_time_terms_without_covariates_give_the_crude_hazards() -> None:
    _, risk, y = _grid()
    fit = fit_pooled_logit(time_basis(12, "dummies"), np.zeros((risk.shape[0], 0)), risk, y)
    np.testing.assert_allclose(expit(fit.alpha), y.sum(0) / risk.sum(0), rtol=1e-8)


def test_a_month_without_events_stays_finite() -> None:
    x, risk, y = _grid()
    y[:, 2] = False
    fit = fit_pooled_logit(time_basis(12, "dummies"), x, risk, y)
    assert np.all(np.isfinite(fit.theta)) and expit(fit.alpha[2]) < 1e-5


def test_time_basis_shapes_and_errors() -> None:
    assert time_basis(36).shape == (36, 8) and time_basis(2).shape == (2, 2)
    with pytest.raises(InputError, match="time must be 'spline' or 'dummies'"):
        time_basis(12, "cubic")
    with pytest.raises(InputError, match="tau must be at least 1"):
        time_basis(0)
