"""Pooled logistic (discrete-time hazard) models on the monthly clock, without a person-month design matrix.

A discrete-time hazard model is a logistic regression on person-month rows: ``logit h(s | x) = b(s)' alpha + x'
beta`` for the months ``s = 0 .. tau - 1`` a person is at risk (``s <= duration``). Its design is the *Kronecker
sum* of a small time basis ``B`` (``tau x q``) and the person covariates ``X`` (``n x k``), so nothing of size
person-months x parameters is ever built:

* persons are sorted by duration, longest first, once per fit: the persons at risk in month ``s`` are then a
  *prefix* of the rows (``n_s`` of them), and a Newton iteration is a loop over the ``tau`` months (never over
  persons) of vectorised work on that prefix -- only the person-months at risk are touched, typically a fifth to a
  half of the ``n x tau`` grid;
* in month ``s`` the linear predictor is ``B_s alpha + X beta`` on the prefix; the score is ``B' r_month`` and ``X'
  r_person`` with ``r = y - p``; the Hessian's blocks are ``B' diag(v_month) B``, ``X' diag(v_person) X`` and
  ``sum_s (X' v_s) B_s`` with ``v = p (1 - p)``: per month one ``k x n_s`` product.

Memory is a few vectors of length ``n``; time ~ person-months at risk x covariates x iterations (5-8 from the crude
hazards). This is the same maximum-likelihood fit as scikit-learn's unpenalised ``LogisticRegression`` on the
expanded person-month rows (``tests/adjust/test_pooled.py`` checks it to 1e-6), written out because the expanded
rows of a national cohort (10^6 x 36) would not fit in the 60 s and 6 GB the issue allows.

The last month of a person (``s = duration``) carries the outcome (``y_last``: an exit for the exit model, a
censoring for the censoring model) and may be left out of the risk set (``drop_last``: an exit in ``s`` is not at
risk of being censored after ``s``). Months ``s >= tau`` are not modelled.

Time terms (:func:`time_basis`): ``"spline"`` (default) is a linear spline on the logit scale with knots at months
1, 2, 3, 6, 12 and 24 (smooth enough for monthly exit hazards, 8 parameters instead of 36); ``"dummies"`` gives
every month its own parameter (the saturated baseline: with no covariates the fitted hazards are the Kaplan-Meier
hazards ``d / n``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from survival_invest._arrays import heap_allocations  # moved there: the in-memory engine uses it too
from survival_invest.errors import InputError

__all__ = [
    "KNOTS",
    "RIDGE",
    "PooledLogit",
    "RiskSets",
    "expit",
    "fit_pooled_logit",
    "heap_allocations",
    "linear_predictor",
    "person_scores",
    "risk_sets",
    "running",
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
        Column-major (Fortran order): a cumulative sum or product over the months (:func:`running`) is then a
        sweep of contiguous columns.
    """
    q = basis.shape[1]
    out = np.empty((x.shape[0], basis.shape[0]), order="F")  # column-major: the curves' cumsums run along rows
    np.add((x @ theta[q:])[:, None], (basis @ theta[:q])[None, :], out=out)
    return out


#: A ridge of this size on every coefficient keeps the fit finite where a month has no events (its
#: hazard then goes to ~1e-10 instead of 0 with a diverging coefficient); elsewhere it changes nothing
#: visible (the curvature of a month with events is ~ persons at risk x hazard).
RIDGE = 1e-9


@dataclass(frozen=True)
class RiskSets:
    """Persons sorted by duration (longest first): the persons at risk in month ``s`` are rows ``0 .. n_at[s] - 1``.

    Attributes
    ----------
    order : ndarray of int
        Original row of each sorted row.
    x : ndarray, shape (n, k)
        Covariates, sorted.
    last : ndarray of int
        Last month at risk (``min(duration, tau - 1)``), sorted, descending.
    y_last, keep_last, weights : ndarray of float
        Outcome in the last month (0 where it is beyond ``tau - 1``), 0/1 for a
        last month left out of the risk set, and the frequency weights, sorted.
    n_at : ndarray of int, shape (tau + 1,)
        Persons at risk per month (``n_at[tau] = 0``).
    """

    order: np.ndarray
    x: np.ndarray
    last: np.ndarray
    y_last: np.ndarray
    keep_last: np.ndarray
    weights: np.ndarray
    n_at: np.ndarray


def risk_sets(
    x: np.ndarray,
    duration: np.ndarray,
    y_last: np.ndarray,
    tau: int,
    weights: np.ndarray | None = None,
    drop_last: np.ndarray | None = None,
) -> RiskSets:
    """Sort persons for :func:`fit_pooled_logit` (module docstring).

    Parameters
    ----------
    x : ndarray, shape (n, k)
    duration : ndarray of int, shape (n,)
        Months at risk are ``0 .. duration`` (capped at ``tau - 1``).
    y_last : ndarray of bool, shape (n,)
        The outcome happens in month ``duration`` (ignored beyond ``tau - 1``).
    tau : int
        Months modelled.
    weights : ndarray, shape (n,), optional
        Frequency weights.
    drop_last : ndarray of bool, shape (n,), optional
        Leave month ``duration`` out of the risk set.

    Returns
    -------
    RiskSets
    """
    d = np.asarray(duration, dtype=np.int64)
    inside = d <= tau - 1
    last = np.minimum(d, tau - 1)
    order = np.argsort(-last, kind="stable")
    w = np.ones(d.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
    drop = np.zeros(d.shape[0], dtype=bool) if drop_last is None else np.asarray(drop_last, dtype=bool)
    srt = last[order]
    n_at = np.searchsorted(-srt, -np.arange(tau + 1), side="right")  # #{last >= s}
    n_at[tau] = 0
    return RiskSets(
        order,
        np.ascontiguousarray(x[order]),
        srt,
        (np.asarray(y_last, dtype=bool) & inside)[order].astype(np.float64),
        1.0 - (drop & inside)[order],
        w[order],
        n_at,
    )


def _month(rs: RiskSets, s: int) -> tuple[int, int, np.ndarray, np.ndarray]:
    """(n_s, start of the persons whose last month is ``s``, weights, outcomes) of month ``s``'s prefix."""
    m, tail = int(rs.n_at[s]), int(rs.n_at[s + 1])
    w = rs.weights[:m].copy()
    w[tail:] *= rs.keep_last[tail:m]
    y = np.zeros(m)
    y[tail:] = rs.y_last[tail:m]
    return m, tail, w, y


def _derivatives(basis: np.ndarray, rs: RiskSets, theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """(penalised log-likelihood, score, Hessian) at ``theta`` (module docstring), month by month, in place."""
    q, k, tau = basis.shape[1], rs.x.shape[1], basis.shape[0]
    a, xb = basis @ theta[:q], rs.x @ theta[q:]
    loglik = -RIDGE / 2 * float(theta @ theta)
    r_month, v_month = np.zeros(tau), np.zeros(tau)
    r_person, v_person = np.zeros(xb.shape[0]), np.zeros(xb.shape[0])
    xv = np.zeros((k, tau))
    unit = bool(np.all(rs.weights == 1.0))
    xb_max = float(xb.max()) if xb.shape[0] else 0.0
    tail_w = rs.weights * rs.keep_last  # only the rows whose last month is s (the tail) carry y, keep_last
    for s in range(tau):  # a loop over the months, each vectorised over the persons at risk
        m, tail = int(rs.n_at[s]), int(rs.n_at[s + 1])
        if m == 0:
            break
        eta = xb[:m] + a[s]
        p = expit(eta)
        log1m = np.minimum(p, 1 - 1e-15)
        np.log1p(np.negative(log1m, out=log1m), out=log1m)
        if xb_max + a[s] > 30:  # log(1 - p) = -eta where p rounds to 1
            np.copyto(log1m, -eta, where=eta > 30)
        y_tail = rs.y_last[tail:m]
        log1m[tail:] += y_tail * eta[tail:]  # y eta + log(1 - p)
        r = np.negative(p)
        r[tail:] += y_tail  # y - p
        v = np.subtract(1.0, p, out=eta)  # eta is not needed any more
        v *= p
        if not unit:
            r[:tail] *= rs.weights[:tail]
            v[:tail] *= rs.weights[:tail]
            log1m[:tail] *= rs.weights[:tail]
        r[tail:] *= tail_w[tail:m]
        v[tail:] *= tail_w[tail:m]
        log1m[tail:] *= tail_w[tail:m]
        loglik += float(log1m.sum())
        r_month[s], v_month[s] = r.sum(), v.sum()
        r_person[:m] += r
        v_person[:m] += v
        xv[:, s] = rs.x[:m].T @ v
    score = np.concatenate([basis.T @ r_month, rs.x.T @ r_person]) - RIDGE * theta
    h_ba = xv @ basis
    hess = np.block([[(basis.T * v_month) @ basis, h_ba.T], [h_ba, (rs.x.T * v_person) @ rs.x]])
    hess[np.diag_indices_from(hess)] += RIDGE
    return loglik, score, hess


def _start(basis: np.ndarray, rs: RiskSets) -> np.ndarray:
    """Start at the crude monthly hazards (least squares of their log-odds on the basis), ``beta = 0``."""
    tau = basis.shape[0]
    d, n = np.zeros(tau), np.zeros(tau)
    for s in range(tau):
        _, _, w, y = _month(rs, s)
        d[s], n[s] = w @ y, w.sum()
    crude = np.clip(np.divide(d, n, out=np.full(d.shape, 0.5), where=n > 0), 1e-4, 1 - 1e-4)
    alpha = np.linalg.lstsq(basis, np.log(crude / (1 - crude)), rcond=None)[0]
    return np.concatenate([alpha, np.zeros(rs.x.shape[1])])


def fit_pooled_logit(basis: np.ndarray, rs: RiskSets, *, max_iter: int = 50, tol: float = 1e-9) -> PooledLogit:
    """Maximum-likelihood fit of a pooled logistic model by Newton's method, month by month.

    Parameters
    ----------
    basis : ndarray, shape (tau, q)
        Time basis (:func:`time_basis`); it carries the intercept.
    rs : RiskSets
        The persons (:func:`risk_sets`; standardised covariates fit best; ``k`` may be 0).
    max_iter, tol : int, float
        Newton iterations at most; stop when the largest step is below ``tol`` or the log-likelihood gains less
        than 1e-10 of itself (a month without events creeps towards its limit with ever smaller gains).

    Returns
    -------
    PooledLogit

    Notes
    -----
    A step that lowers the log-likelihood is halved (at most 30 times). A month without events has no finite
    maximum: the tiny ridge :data:`RIDGE` keeps its coefficient finite, with the month's hazard near 0 as the
    Kaplan-Meier hazard is.
    """
    theta = _start(basis, rs)
    loglik, score, hess = _derivatives(basis, rs, theta)
    it = 0
    while it < max_iter:  # Newton iterations (a handful), each vectorised over the persons
        it += 1
        step = solve_symmetric(hess, score)
        for _ in range(30):
            new = _derivatives(basis, rs, theta + step)
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


def person_scores(basis: np.ndarray, rs: RiskSets, theta: np.ndarray) -> np.ndarray:
    """Each person's score (log-likelihood gradient) at ``theta``, shape ``(n, q + k)``, in the original row order.

    Parameters
    ----------
    basis : ndarray, shape (tau, q)
    rs : RiskSets
    theta : ndarray
        The coefficients (``PooledLogit.theta``).

    Returns
    -------
    ndarray
        Rows sum to the total score (zero at the maximum, up to the ridge).
    """
    q, n = basis.shape[1], rs.x.shape[0]
    a, xb = basis @ theta[:q], rs.x @ theta[q:]
    r_person, r_basis = np.zeros(n), np.zeros((n, q))
    for s in range(basis.shape[0]):  # months, vectorised over persons
        m, _, w, y = _month(rs, s)
        if m == 0:
            break
        r = w * (y - expit(xb[:m] + a[s]))
        r_person[:m] += r
        r_basis[:m] += r[:, None] * basis[s][None, :]
    out = np.empty((n, q + rs.x.shape[1]))
    out[rs.order] = np.hstack([r_basis, rs.x * r_person[:, None]])
    return out


def running(op: np.ufunc, grid: np.ndarray) -> np.ndarray:
    """``op.accumulate(grid, axis=1)`` in place, column by column: bit-identical to ``np.cumsum``/``np.cumprod``.

    On the contiguous columns of a column-major grid: at 10^6 x 36, 4 times faster than numpy's strided pass.
    """
    for t in range(1, grid.shape[1]):  # months, each a contiguous column
        op(grid[:, t - 1], grid[:, t], out=grid[:, t])
    return grid
