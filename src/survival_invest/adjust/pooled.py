"""Pooled logistic (discrete-time hazard) models on the person-month grid, without a person-month design matrix.

A discrete-time hazard model on the monthly clock is a logistic regression on
person-month rows: ``logit h(s | x) = b(s)' alpha + x' beta`` for the months
``s = 0 .. tau - 1`` a person is at risk. Its design matrix is the *Kronecker
sum* of a small time basis ``B`` (``tau x q``) and the person covariates ``X``
(``n x k``), so nothing of size person-months x parameters is ever built:

* the linear predictor is the outer sum ``B alpha (tau) + X beta (n)``;
* the score is ``B' r.sum(0)`` and ``X' r.sum(1)`` with ``r = R (y - p)`` on the
  ``n x tau`` grid (``R`` = at risk);
* the Hessian's blocks are ``B' diag(v.sum(0)) B``, ``X' diag(v.sum(1)) X`` and
  ``X' v B`` with ``v = R p (1 - p)``: one ``(k x n)(n x tau)`` product.

A Newton iteration is therefore a few passes over an ``n x tau`` float64 grid
(10^6 persons x 36 months: ~0.3 GB per grid) and a ``(q + k)``-square solve;
it converges in 5-8 iterations from the crude hazards. This is the same
maximum-likelihood fit as scikit-learn's unpenalised ``LogisticRegression`` on
the expanded person-month rows (``tests/adjust/test_pooled.py`` checks it to
1e-6), written out because the expanded rows of a national cohort
(10^6 x 36 rows) would not fit in the 60 s and 6 GB the issue allows.

Time terms (:func:`time_basis`): ``"spline"`` (default) is a linear spline on
the logit scale with knots at months 1, 2, 3, 6, 12 and 24 (smooth enough for
monthly exit hazards, 8 parameters instead of 36); ``"dummies"`` gives every
month its own parameter (the saturated baseline: with no covariates the fitted
hazards are the Kaplan-Meier hazards ``d / n``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from survival_invest.errors import InputError

__all__ = [
    "KNOTS",
    "RIDGE",
    "PooledLogit",
    "expit",
    "fit_pooled_logit",
    "linear_predictor",
    "person_scores",
    "solve_symmetric",
    "time_basis",
]

#: Knots (months) of the default linear-spline time basis.
KNOTS = (1, 2, 3, 6, 12, 24)


def expit(x: np.ndarray) -> np.ndarray:
    """The logistic function ``1 / (1 + exp(-x))`` (scipy's ufunc: no overflow warnings)."""
    return np.asarray(special.expit(x), dtype=np.float64)


def time_basis(tau: int, time: str = "spline") -> np.ndarray:
    """Basis of the months ``s = 0 .. tau - 1`` on the logit scale, shape ``(tau, q)``.

    ``"spline"``: intercept, ``s / tau`` and hinges ``(s - k)_+ / tau`` at the
    :data:`KNOTS` below ``tau - 1``; ``"dummies"``: one column per month.
    """
    if tau < 1:
        raise InputError(f"tau must be at least 1 period; got {tau!r}.")
    s = np.arange(tau, dtype=np.float64)
    if time == "dummies":
        return np.eye(tau)
    if time != "spline":
        raise InputError(f"time must be 'spline' or 'dummies'; got {time!r}.")
    cols = [np.ones(tau), s / tau] + [np.maximum(s - k, 0.0) / tau for k in KNOTS if k < tau - 1]
    return np.column_stack(cols)


@dataclass(frozen=True)
class PooledLogit:
    """A fitted pooled logistic model ``logit h(s | x) = basis[s] @ alpha + x @ beta``.

    Attributes
    ----------
    alpha : ndarray, shape (q,)
        Coefficients of the time basis.
    beta : ndarray, shape (k,)
        Coefficients of the covariates.
    hessian : ndarray, shape (q + k, q + k)
        Minus the second derivative of the log-likelihood at the fit (summed over persons).
    iterations : int
        Newton iterations used.
    """

    alpha: np.ndarray
    beta: np.ndarray
    hessian: np.ndarray
    iterations: int

    @property
    def theta(self) -> np.ndarray:
        """All coefficients, ``alpha`` then ``beta``."""
        return np.concatenate([self.alpha, self.beta])


def linear_predictor(basis: np.ndarray, x: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """``basis @ alpha`` (over months) plus ``x @ beta`` (over persons): the ``n x tau`` grid of log-odds.

    Parameters
    ----------
    basis : ndarray, shape (tau, q)
    x : ndarray, shape (n, k)
    theta : ndarray, shape (q + k,)
        ``alpha`` then ``beta``.

    Returns
    -------
    ndarray, shape (n, tau)
    """
    q = basis.shape[1]
    return (x @ theta[q:])[:, None] + (basis @ theta[:q])[None, :]


#: A ridge of this size on every coefficient keeps the fit finite where a month has no events (its
#: hazard then goes to ~1e-10 instead of 0 with a diverging coefficient); elsewhere it changes nothing
#: visible (the curvature of a month with events is ~ persons at risk x hazard).
RIDGE = 1e-9


def _derivatives(
    basis: np.ndarray, x: np.ndarray, risk: np.ndarray, y: np.ndarray, w: np.ndarray, theta: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """(penalised log-likelihood, score, Hessian) at ``theta`` from the ``n x tau`` grid (module docstring)."""
    eta = linear_predictor(basis, x, theta)
    p = expit(eta)
    rw = risk * w[:, None]
    # log(1 - p) = -log(1 + e^eta); where p rounds to 1 it is -eta (to 1e-16)
    log1m = np.log1p(-np.minimum(p, 1 - 1e-15))
    np.copyto(log1m, -eta, where=eta > 30)
    eta *= y
    eta += log1m
    loglik = float(np.vdot(rw, eta)) - RIDGE / 2 * float(theta @ theta)
    del eta, log1m
    r = y - p
    r *= rw
    p *= 1.0 - p
    p *= rw
    v = p
    del rw
    score = np.concatenate([basis.T @ r.sum(axis=0), x.T @ r.sum(axis=1)]) - RIDGE * theta
    vt, vn = v.sum(axis=0), v.sum(axis=1)
    h_aa = (basis.T * vt) @ basis
    h_bb = (x.T * vn) @ x
    h_ba = (x.T @ v) @ basis
    hess = np.block([[h_aa, h_ba.T], [h_ba, h_bb]])
    hess[np.diag_indices_from(hess)] += RIDGE
    return loglik, score, hess


def _start(basis: np.ndarray, x: np.ndarray, risk: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Start at the crude monthly hazards (least squares of their log-odds on the basis), ``beta = 0``."""
    d = (y * w[:, None]).sum(axis=0)
    n = (risk * w[:, None]).sum(axis=0)
    crude = np.clip(np.divide(d, n, out=np.full(d.shape, 0.5), where=n > 0), 1e-4, 1 - 1e-4)
    alpha = np.linalg.lstsq(basis, np.log(crude / (1 - crude)), rcond=None)[0]
    return np.concatenate([alpha, np.zeros(x.shape[1])])


def fit_pooled_logit(
    basis: np.ndarray,
    x: np.ndarray,
    risk: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray | None = None,
    *,
    max_iter: int = 50,
    tol: float = 1e-9,
) -> PooledLogit:
    """Maximum-likelihood fit of a pooled logistic model by Newton's method on the person-month grid.

    Parameters
    ----------
    basis : ndarray, shape (tau, q)
        Time basis (:func:`time_basis`); it carries the intercept.
    x : ndarray, shape (n, k)
        Person covariates (standardised columns fit best; ``k`` may be 0).
    risk : ndarray of bool, shape (n, tau)
        At risk in month ``s``.
    y : ndarray of bool, shape (n, tau)
        The event in month ``s`` (only where at risk).
    weights : ndarray, shape (n,), optional
        Frequency weights per person (the bootstrap's replicate counts).
    max_iter, tol : int, float
        Newton iterations at most; stop when the largest step is below ``tol``
        or the log-likelihood gains less than 1e-10 of itself (a month
        without events creeps towards its limit with ever smaller gains).

    Returns
    -------
    PooledLogit

    Notes
    -----
    A step that lowers the log-likelihood is halved (at most 30 times). A
    month without events has no finite maximum: the tiny ridge :data:`RIDGE`
    keeps its coefficient finite, with the month's hazard near 0 as the
    Kaplan-Meier hazard is.
    """
    w = np.ones(x.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
    theta = _start(basis, x, risk, y, w)
    loglik, score, hess = _derivatives(basis, x, risk, y, w, theta)
    it = 0
    while it < max_iter:  # Newton iterations (a handful), each vectorised over the grid
        it += 1
        step = solve_symmetric(hess, score)
        for _ in range(30):
            new = _derivatives(basis, x, risk, y, w, theta + step)
            if new[0] >= loglik - 1e-9 * abs(loglik):
                break
            step = step / 2
        theta = theta + step
        gain = new[0] - loglik
        loglik, score, hess = new
        if np.max(np.abs(step)) < tol or gain < 1e-10 * max(1.0, abs(loglik)):
            break
    q = basis.shape[1]
    return PooledLogit(theta[:q], theta[q:], hess, it)


def solve_symmetric(hess: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """``hess^{-1} rhs`` for a (positive semi-definite) Hessian; least squares when it is singular."""
    try:
        return np.linalg.solve(hess, rhs)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(hess, rhs, rcond=None)[0]


def person_scores(
    basis: np.ndarray, x: np.ndarray, risk: np.ndarray, y: np.ndarray, theta: np.ndarray, weights: np.ndarray | None
) -> np.ndarray:
    """Each person's score (log-likelihood gradient) at ``theta``, shape ``(n, q + k)``.

    Parameters
    ----------
    basis, x, risk, y, weights
        As for :func:`fit_pooled_logit`.
    theta : ndarray
        The coefficients (``PooledLogit.theta``).

    Returns
    -------
    ndarray
        Rows sum to the total score (zero at the maximum).
    """
    w = np.ones(x.shape[0]) if weights is None else weights
    r = risk * w[:, None] * (y - expit(linear_predictor(basis, x, theta)))
    return np.hstack([r @ basis, x * r.sum(axis=1)[:, None]])
