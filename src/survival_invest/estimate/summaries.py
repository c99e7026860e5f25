"""Pure functions on Kaplan-Meier grids: lookup, confidence bands, quantiles, RMST.

All functions take grid arrays of shape (G, L) (one row per group, see
:mod:`survival_invest.estimate.kernel`) and are vectorised over groups and
query points.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal, get_args

import numpy as np
from scipy.stats import norm

__all__ = ["CIType", "bands", "last_index_le", "quantile_r", "rmst_grid", "rmst_one", "z_value"]

CIType = Literal["log-log", "log", "plain"]
CI_TYPES: tuple[CIType, ...] = get_args(CIType)

#: R's tolerance for a survival curve that is flat at exactly the quantile.
QUANTILE_TOLERANCE = float(np.sqrt(np.finfo(float).eps))


@lru_cache(maxsize=64)
def z_value(alpha: float) -> float:
    """Two-sided normal quantile ``z = Phi^{-1}(1 - alpha / 2)`` (cached per alpha)."""
    return float(norm.ppf(1.0 - alpha / 2.0))


def last_index_le(time: np.ndarray, queries: np.ndarray, *, shared: bool) -> np.ndarray:
    """Per row, the index of the last grid time ``<= q`` for each query (-1 if none).

    Parameters
    ----------
    time : ndarray, shape (G, L)
        Row-sorted grid times.
    queries : ndarray, shape (Q,)
    shared : bool
        True when every row holds the same times (one ``searchsorted`` serves all).

    Returns
    -------
    ndarray of int, shape (G, Q)

    Notes
    -----
    For rows with different times the row-wise search is one global
    ``np.searchsorted`` on integer keys ``row * M + rank(time)``, where ranks
    are positions in the sorted union of grid and query times. No loop over
    rows.
    """
    queries = np.asarray(queries, dtype=np.float64)
    n_rows, length = time.shape
    if shared:
        idx = np.searchsorted(time[0], queries, side="right") - 1
        return np.broadcast_to(idx, (n_rows, queries.shape[0])).copy()
    union = np.unique(np.concatenate([time.reshape(-1), queries]))
    big = union.shape[0] + 1
    row = np.arange(n_rows, dtype=np.int64)[:, None]
    grid_keys = (row * big + np.searchsorted(union, time)).reshape(-1)
    query_keys = row * big + np.searchsorted(union, queries)[None, :]
    return np.searchsorted(grid_keys, query_keys, side="right") - row * length - 1


def take_rows(values: np.ndarray, idx: np.ndarray, *, before: float) -> np.ndarray:
    """Gather ``values[g, idx[g, q]]`` with ``before`` where ``idx == -1``.

    Parameters
    ----------
    values : ndarray, shape (G, L)
    idx : ndarray of int, shape (G, Q)
        Column per row and query, -1 for "before the first grid time"
        (as :func:`last_index_le` returns).
    before : float
        The value before the first grid time (1 for S(t), 0 for sums).

    Returns
    -------
    ndarray, shape (G, Q)
    """
    rows = np.arange(values.shape[0])[:, None]
    out = values[rows, np.maximum(idx, 0)]
    return np.where(idx >= 0, out, before)


def bands(survival: np.ndarray, greenwood: np.ndarray, z: float, ci: CIType) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise confidence limits of S(t).

    Formulas (``V`` = Greenwood sum, ``v = log S``)
    ---------------------------------------------
    * ``"log-log"`` (lifelines; R ``conf.type = "log-log"``):
      ``exp(-exp(log(-v) -/+ z sqrt(V) / v))``.
    * ``"log"`` (R's default): ``S exp(-/+ z sqrt(V))``, upper limit capped at 1.
    * ``"plain"``: ``S (1 -/+ z sqrt(V))``, clipped to [0, 1].

    Where S = 1 (before the first event) both limits are 1. Where S = 0 the
    limits are 0 (as lifelines reports them; R reports NA there, and the
    quantile rule below ignores those points as R does).

    Parameters
    ----------
    survival, greenwood : ndarray, shape (G, L)
        S(t) and the Greenwood sum V(t) on the grid.
    z : float
        Normal quantile (:func:`z_value`).
    ci : {"log-log", "log", "plain"}

    Returns
    -------
    (lower, upper) : ndarrays, shape (G, L)
    """
    se = np.sqrt(greenwood)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if ci == "log-log":
            v = np.log(survival)
            lower = np.exp(-np.exp(np.log(-v) - z * se / v))
            upper = np.exp(-np.exp(np.log(-v) + z * se / v))
        elif ci == "log":
            lower = survival * np.exp(-z * se)
            upper = np.minimum(survival * np.exp(z * se), 1.0)
        elif ci == "plain":
            lower = np.clip(survival * (1.0 - z * se), 0.0, 1.0)
            upper = np.clip(survival * (1.0 + z * se), 0.0, 1.0)
        else:  # pragma: no cover - validated by the caller
            raise ValueError(ci)
    one = survival >= 1.0
    zero = survival <= 0.0
    lower = np.where(one, 1.0, np.where(zero, 0.0, lower))
    upper = np.where(one, 1.0, np.where(zero, 0.0, upper))
    return lower, upper


def quantile_r(
    time: np.ndarray,
    curve: np.ndarray,
    last_time: np.ndarray,
    p: float,
    *,
    ignore: np.ndarray | None = None,
) -> np.ndarray:
    """Time where a non-increasing step curve reaches ``p``, by R's rule.

    The quantile is the first time with ``curve <= p``; where the curve is flat
    at ``p`` (within ``sqrt(machine eps)``) it is the midpoint of that flat
    stretch, and if the flat stretch is the end of the curve, the midpoint
    between its start and the last observed time (R ``quantile.survfit``).
    Points flagged in ``ignore`` (R's NA limits where S = 0) are skipped.

    Parameters
    ----------
    time, curve : ndarray, shape (G, L)
        Grid times and the step curve on them (S(t) or a band limit).
    last_time : ndarray, shape (G,)
        Last observed time per row (end of a flat final stretch).
    p : float
        The level, e.g. 0.5 for the median.
    ignore : ndarray of bool, shape (G, L), optional
        Points to skip.

    Returns
    -------
    ndarray, shape (G,)
        ``inf`` where the curve never reaches ``p`` (R: NA).
    """
    tol = QUANTILE_TOLERANCE
    valid = np.ones(curve.shape, dtype=bool) if ignore is None else ~ignore
    c1 = valid & (curve <= p + tol)
    c2 = valid & (curve <= p - tol)
    rows = np.arange(curve.shape[0])
    i1 = np.argmax(c1, axis=1)
    i2 = np.argmax(c2, axis=1)
    t1 = time[rows, i1]
    t2 = time[rows, i2]
    last_valid = valid[:, -1]
    last_value = curve[:, -1]
    flat_end = last_valid & (np.abs(last_value - p) < tol)
    out = np.where(flat_end, (t1 + last_time) / 2.0, (t1 + t2) / 2.0)
    out = np.where(c2.any(axis=1) | flat_end, out, np.inf)
    return np.where(c1.any(axis=1), out, np.inf)


def rmst_grid(
    time: np.ndarray,
    survival: np.ndarray,
    greenwood: np.ndarray,
    taus: np.ndarray,
    *,
    shared: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Restricted mean survival time and its variance, for every row and horizon.

    Formulas
    --------
    ``RMST(tau) = int_0^tau S(u) du = sum_j (t_{j+1} - t_j) S(t_j)`` with
    ``t_0 = 0``, ``S(t_0) = 1`` and the last interval cut at ``tau``.

    ``Var = sum_{t_j <= tau} A_j^2 d_j / (n_j (n_j - d_j))`` with
    ``A_j = int_{t_j}^{tau} S(u) du`` (R ``se(rmean)``, survRM2, Stata
    ``strmst2``; Miller 1981, no n/(n-1) correction). This is the variance of
    the *estimate*; it is **not** lifelines'
    ``restricted_mean_survival_time(..., return_variance=True)``, which is the
    variance of ``min(T, tau)`` in the population.

    Notes
    -----
    With ``a_k`` the area of grid interval k, ``G_k`` the Greenwood sum, and
    ``r = (tau - t_J) S(t_J)`` for the last grid time ``t_J <= tau``,
    ``A_j = r + sum_{j <= k < J} a_k`` and the variance expands into prefix
    sums of positive terms only::

        Var = r^2 G_J + 2 r P_{J-1} + Q_{J-1},
        P_m = sum_{k<=m} a_k G_k,  Q_m = sum_{k<=m} a_k (a_k G_k + 2 P_{k-1}),

    so all horizons are read off three cumulative sums without subtracting
    large numbers (no cancellation) and without a loop over horizons.

    Parameters
    ----------
    time, survival, greenwood : ndarray, shape (G, L)
        Grid times, S(t) and the Greenwood sum on them.
    taus : ndarray, shape (Q,)
        Horizons.
    shared : bool
        True when every row holds the same times.

    Returns
    -------
    (value, variance) : ndarrays, shape (G, Q)
    """
    taus = np.asarray(taus, dtype=np.float64)
    j = last_index_le(time, taus, shared=shared)
    # only columns up to the last one any horizon reaches are needed
    cut = int(j.max()) + 1 if j.size else 1
    time, survival, greenwood = time[:, : max(cut, 1)], survival[:, : max(cut, 1)], greenwood[:, : max(cut, 1)]
    n_rows, length = time.shape
    area = np.zeros((n_rows, length))
    area[:, :-1] = np.diff(time, axis=1) * survival[:, :-1]
    cum_area = np.empty((n_rows, length))
    cum_area[:, 0] = time[:, 0]  # S = 1 on [0, t_0)
    np.cumsum(area[:, :-1], axis=1, out=cum_area[:, 1:])
    cum_area[:, 1:] += time[:, :1]
    p_sum = np.cumsum(area * greenwood, axis=1)
    p_prev = np.zeros((n_rows, length))
    p_prev[:, 1:] = p_sum[:, :-1]
    q_sum = np.cumsum(area * (area * greenwood + 2.0 * p_prev), axis=1)

    t_j = take_rows(time, j, before=0.0)
    s_j = take_rows(survival, j, before=1.0)
    r = (taus[None, :] - t_j) * s_j
    value = take_rows(cum_area, j, before=0.0) + r
    g_j = take_rows(greenwood, j, before=0.0)
    jm1 = np.where(j >= 1, j - 1, -1)
    variance = r * r * g_j + 2.0 * r * take_rows(p_sum, jm1, before=0.0) + take_rows(q_sum, jm1, before=0.0)
    return value, variance


def rmst_one(time: np.ndarray, survival: np.ndarray, greenwood_term: np.ndarray, tau: float) -> tuple[float, float]:
    """RMST and its variance for one curve and one horizon (1-D arrays; the per-call fast path).

    Same formulas as :func:`rmst_grid`, evaluated directly:
    ``A_j = r + sum_{j <= k < J} a_k`` by a reverse cumulative sum (positive
    terms only) and ``Var = sum_j A_j^2 g_j`` with the Greenwood increments ``g_j``.

    Parameters
    ----------
    time, survival, greenwood_term : ndarray, shape (L,)
        Grid times, S(t) and the Greenwood increments ``d_j / (n_j (n_j - d_j))``.
    tau : float
        Horizon.

    Returns
    -------
    (value, variance) : (float, float)
    """
    last = int(np.searchsorted(time, tau, side="right")) - 1
    if last < 0:
        return float(tau), 0.0
    t = time[: last + 1]
    s = survival[: last + 1]
    area = np.diff(t) * s[:-1]
    r = (tau - t[-1]) * s[-1]
    a = np.empty(last + 1)
    a[-1] = r
    a[:-1] = r + np.cumsum(area[::-1])[::-1]
    g = greenwood_term[: last + 1]
    return float(t[0] + area.sum() + r), float((a * a) @ g)
