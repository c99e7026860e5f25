"""Robust (infinitesimal-jackknife) variance of Kaplan-Meier curves and of their RMST.

The anchor is R's ``survfit(..., weights = w, robust = TRUE, cluster = , id = )``
(survival 3.x; lifelines has no robust variance). Notation per group row and
grid time ``t_j`` (weighted sums): ``n_j`` at risk, ``d_j`` events,
``h_j = d_j / n_j``, ``S_j = prod_{l <= j} (1 - h_l)``. Subject *i* has weight
``w_i``, is at risk on the grid columns ``f_i .. e_i`` (``entry < t <= duration``)
and has the event indicator ``delta_i`` at column ``e_i``.

Influence on log S (exact derivative of the product limit)::

    U_i(t) = d log S(t) / d w_i = - sum_{t_j <= t} (dN_ij - Y_ij h_j) / (n_j - d_j)

With ``B_J = sum_{j <= J} h_j / (n_j - d_j)`` (a cumulative sum over the grid)
this is ``0`` before ``f_i``, ``B_J - B_{f_i - 1}`` while the subject is at risk
after ``J`` (``f_i <= J < e_i``), and the constant
``x_i = B_{e_i} - B_{f_i - 1} - delta_i / (n_{e_i} - d_{e_i})`` from its exit on.
The IJ variance sums the weighted influences of a cluster's rows before
squaring (R's ``rowsum(w * U, cluster)``)::

    Var log S(t_J) = sum_c C_c(J)^2,   C_c(J) = D_c(J) + B_J W_c(J),
    Var S(t) = S(t)^2 Var log S(t),

``W_c`` = weight of the cluster's rows at risk after ``J``, ``D_c`` = ``sum w_i x_i``
over its exited rows minus ``sum w_i B_{f_i - 1}`` over its rows at risk. So
``sum_c C_c^2 = Q1 + 2 B_J Q2 + B_J^2 Q3`` with ``Q1 = sum_c D_c^2``,
``Q2 = sum_c W_c D_c``, ``Q3 = sum_c W_c^2``: each row's entry and exit changes
its cluster's ``(W_c, D_c)``, the changes of ``Q1..Q3`` are scattered onto the
grid (``bincount``) and cumulated along it. No loop over subjects or times;
``O(n log n + G L)``. A time where everybody at risk leaves (``h = 1``) has no
term (S is 0 from there on, and so is its variance).

RMST: ``dRMST(tau)/dw_i = sum_{j <= J} len_j S_j U_i(t_j)`` (``len_j`` the grid
step, the last one cut at ``tau``), read per subject off the prefix sums of
``len_j S_j`` and ``len_j S_j B_j``; ``Var = sum_c (sum_{i in c} w_i dRMST/dw_i)^2``.
R reports this through ``residuals(fit, type = "rmst", weighted = TRUE)``; its
printed ``se(rmean)`` stays the Greenwood-type one even for a robust fit.

With unit weights, no delayed entry and no clusters the IJ variance of S equals
Greenwood's exactly (the cross terms of the martingale increments vanish).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from survival_invest.errors import InputError
from survival_invest.estimate.kernel import Counts
from survival_invest.estimate.summaries import last_index_le

__all__ = [
    "Influence",
    "cluster_rmst_influence",
    "influence_data",
    "log_variance",
    "resolve_robust",
    "rmst_influence",
    "rmst_variance",
]

#: A hazard within this of 1 is taken as 1 (all at risk leave; weighted sums differ in the last bits).
ALL_LEAVE_TOLERANCE = 1e-12


@dataclass(frozen=True)
class Influence:
    """Per-row positions and weights the IJ variance needs (rows never at risk have weight 0).

    Attributes
    ----------
    group, first, col : ndarray of int64, shape (n,)
        Each row's group row, first grid column at risk and exit column.
    event : ndarray of bool, shape (n,)
    weight : ndarray of float64, shape (n,)
    cluster : ndarray of int64, shape (n,)
        Cluster code ``0 .. K-1`` (shared across groups: a matched set spans both arms).
    labels : ndarray, shape (K,)
        The caller's cluster ids; row positions when no ``cluster`` was given.
    explicit : bool
        Whether the caller gave ``cluster`` (only then do two separate fits share clusters).
    """

    group: np.ndarray
    first: np.ndarray
    col: np.ndarray
    event: np.ndarray
    weight: np.ndarray
    cluster: np.ndarray
    labels: np.ndarray
    explicit: bool

    def take(self, row: int) -> Influence:
        """The rows of group ``row`` only, as group 0 (for one curve of a set)."""
        keep = self.group == row
        return Influence(
            np.zeros(int(keep.sum()), dtype=np.int64),
            self.first[keep],
            self.col[keep],
            self.event[keep],
            self.weight[keep],
            self.cluster[keep],
            self.labels,
            self.explicit,
        )


def resolve_robust(robust: bool | None, weights: np.ndarray | None, cluster: object | None) -> bool:
    """Whether to use the IJ variance; R's rule for ``robust=None``.

    ``None``: robust when a ``cluster`` is given or some weight is not an integer
    (R ``survfitKM``); ``True``/``False`` as asked. ``cluster`` with
    ``robust=False`` is refused (R warns and ignores the cluster).

    Parameters
    ----------
    robust : bool or None
    weights : ndarray or None
        Validated weights.
    cluster : array-like or None

    Returns
    -------
    bool
    """
    if robust is not None and not isinstance(robust, (bool, np.bool_)):
        raise InputError(f"robust must be True, False or None; got {robust!r}.")
    if robust is None:
        return cluster is not None or (weights is not None and bool((weights != np.floor(weights)).any()))
    if not robust and cluster is not None:
        raise InputError("cluster= needs the robust variance; pass robust=True (or None), or drop cluster.")
    return bool(robust)


def influence_data(
    counts: Counts,
    durations: np.ndarray,
    events: np.ndarray,
    codes: np.ndarray | None,
    entry: np.ndarray | None,
    weights: np.ndarray | None,
    cluster: object | None,
) -> Influence:
    """Locate every row on its group's grid row (``counts``) and code its cluster.

    Parameters
    ----------
    counts : Counts
        The fit's grid (any layout: rows may hold different times).
    durations, events, codes, entry, weights
        The validated rows behind ``counts`` (``codes`` already mapped to its rows).
    cluster : array-like, shape (n,), or None
        Cluster ids (any hashable values, none missing); None = every row its own cluster.

    Returns
    -------
    Influence
    """
    n = durations.shape[0]
    group = np.zeros(n, dtype=np.int64) if codes is None else codes.astype(np.int64)
    time = counts.time
    n_rows, length = time.shape
    uniq = np.unique(time)
    big = uniq.shape[0] + 1
    row_keys = (np.arange(n_rows, dtype=np.int64)[:, None] * big + np.searchsorted(uniq, time)).reshape(-1)
    base = group * big
    col = np.searchsorted(row_keys, base + np.searchsorted(uniq, durations), side="left") - group * length
    if entry is None:
        first = np.zeros(n, dtype=np.int64)
    else:  # first column with time > entry = number of the row's columns with time <= entry
        first = np.searchsorted(row_keys, base + np.searchsorted(uniq, entry, side="right"), side="left")
        first = first - group * length
    w = np.ones(n) if weights is None else weights
    w = np.where(first <= col, w, 0.0)
    if cluster is None:
        codes_c, labels, explicit = np.arange(n, dtype=np.int64), np.arange(n), False
    else:
        values = np.asarray(cluster)
        if values.ndim != 1 or values.shape[0] != n:
            raise InputError(f"cluster must be one id per row: length {n}; got shape {values.shape}.")
        codes_c, labels = pd.factorize(values, sort=True)
        if (codes_c < 0).any():
            pos = int(np.argmax(codes_c < 0))
            raise InputError(f"cluster must not be missing; position {pos} holds {values[pos]!r}.")
        codes_c, labels, explicit = codes_c.astype(np.int64), np.asarray(labels), True
    return Influence(group, first, col, events.astype(bool), w, codes_c, labels, explicit)


def _hazard_terms(counts: Counts) -> tuple[np.ndarray, np.ndarray]:
    """``a_j = 1 / (n_j - d_j)`` and the cumulative ``B_J = sum_{j <= J} h_j a_j`` (0 where all leave)."""
    n, d = counts.at_risk, counts.events
    h = np.divide(d, n, out=np.zeros_like(d), where=n > 0)
    ok = (n > 0) & (h < 1.0 - ALL_LEAVE_TOLERANCE)
    a = np.divide(1.0, n - d, out=np.zeros_like(d), where=ok)
    return a, np.cumsum(h * a, axis=1)


def _row_parts(counts: Counts, inf: Influence) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per row: ``B_{f-1}``, ``x`` and the arrays ``a``, ``B`` (see the module docstring)."""
    a, b_cum = _hazard_terms(counts)
    g = inf.group
    before = np.where(inf.first > 0, b_cum[g, np.maximum(inf.first - 1, 0)], 0.0)
    col = np.minimum(inf.col, b_cum.shape[1] - 1)
    x = b_cum[g, col] - before - np.where(inf.event, a[g, col], 0.0)
    return before, x, a, b_cum


def log_variance(counts: Counts, inf: Influence) -> np.ndarray:
    """IJ variance of ``log S`` on the grid, shape (G, L): ``Q1 + 2 B Q2 + B^2 Q3`` (module docstring).

    Each row makes two changes to its (group, cluster) state: at ``f_i``
    ``W += w``, ``D -= w B_{f-1}``; at ``e_i`` ``W -= w``, ``D += w (B_{f-1} + x)``.
    Sorted by (state, column), a cumulative sum gives each state after every
    change; the changes of ``D^2``, ``W D`` and ``W^2`` are binned by column.
    """
    n_rows, length = counts.time.shape
    before, x, _, b_cum = _row_parts(counts, inf)
    w = inf.weight
    state = inf.group * (int(inf.cluster.max()) + 1 if inf.cluster.size else 1) + inf.cluster
    key = np.concatenate([state, state])
    col = np.concatenate([inf.first, inf.col])
    d_w = np.concatenate([w, -w])
    d_d = np.concatenate([-w * before, w * (before + x)])
    order = np.lexsort((col, key))
    key, col, d_w, d_d = key[order], col[order], d_w[order], d_d[order]
    start = np.ones(key.shape[0], dtype=bool)
    start[1:] = key[1:] != key[:-1]
    seg = np.cumsum(start) - 1
    w_after = np.cumsum(d_w)
    dd_after = np.cumsum(d_d)
    w_after -= (w_after - d_w)[start][seg]  # subtract what came before the state's first change
    dd_after -= (dd_after - d_d)[start][seg]
    w_before, dd_before = w_after - d_w, dd_after - d_d
    flat = np.concatenate([inf.group, inf.group])[order] * length + np.minimum(col, length - 1)
    live = col < length  # a change past the grid (never at risk) changes nothing shown

    def binned(values: np.ndarray) -> np.ndarray:
        out = np.bincount(flat[live], weights=values[live], minlength=n_rows * length)
        return np.cumsum(out.reshape(n_rows, length), axis=1)

    q1 = binned(dd_after * dd_after - dd_before * dd_before)
    q2 = binned(w_after * dd_after - w_before * dd_before)
    q3 = binned(w_after * w_after - w_before * w_before)
    return np.maximum(q1 + 2.0 * b_cum * q2 + b_cum * b_cum * q3, 0.0)


def rmst_influence(counts: Counts, survival: np.ndarray, inf: Influence, taus: np.ndarray) -> np.ndarray:
    """``w_i dRMST_{g_i}(tau)/dw_i`` per row and horizon, shape (n, Q) (module docstring).

    Parameters
    ----------
    counts : Counts
    survival : ndarray, shape (G, L)
        S on the grid.
    inf : Influence
    taus : ndarray, shape (Q,)

    Returns
    -------
    ndarray, shape (n, Q)
    """
    time = counts.time
    before, x, _, b_cum = _row_parts(counts, inf)
    step = np.zeros_like(time)
    step[:, :-1] = np.diff(time, axis=1)
    alpha = step * survival
    a1, a2 = np.cumsum(alpha, axis=1), np.cumsum(alpha * b_cum, axis=1)
    g = inf.group[:, None]
    jj = last_index_le(time, taus, shared=counts.shared_grid)[inf.group]  # (n, Q)
    tail = (taus[None, :] - time[g, np.maximum(jj, 0)]) * survival[g, np.maximum(jj, 0)]

    def pre(arr: np.ndarray, m: np.ndarray) -> np.ndarray:
        return np.where(m >= 0, arr[g, np.maximum(m, 0)], 0.0)

    f, e = inf.first[:, None], inf.col[:, None]
    m = np.minimum(e - 1, jj - 1)
    risk = np.where(m >= f, pre(a2, m) - pre(a2, f - 1) - before[:, None] * (pre(a1, m) - pre(a1, f - 1)), 0.0)
    at_j = (e > jj) & (f <= jj) & (jj >= 0)
    risk += np.where(at_j, tail * (b_cum[g, np.maximum(jj, 0)] - before[:, None]), 0.0)
    gone = np.where((e <= jj) & (f <= e), x[:, None] * (pre(a1, jj - 1) - pre(a1, e - 1) + tail), 0.0)
    return inf.weight[:, None] * (risk + gone)


def rmst_variance(counts: Counts, survival: np.ndarray, inf: Influence, taus: np.ndarray) -> np.ndarray:
    """IJ variance of every group's RMST at every horizon: ``sum_c (sum_{i in c} IF_i)^2``.

    Parameters
    ----------
    counts, survival, inf, taus
        As for :func:`rmst_influence`.

    Returns
    -------
    ndarray, shape (G, Q)
    """
    u = rmst_influence(counts, survival, inf, taus)
    n_rows = counts.time.shape[0]
    state, code = np.unique(inf.group * (int(inf.cluster.max()) + 1) + inf.cluster, return_inverse=True)
    row = state // (int(inf.cluster.max()) + 1)
    out = np.empty((n_rows, taus.shape[0]))
    for q in range(taus.shape[0]):  # horizons: a handful
        per = np.bincount(code, weights=u[:, q], minlength=state.shape[0])
        out[:, q] = np.bincount(row, weights=per * per, minlength=n_rows)
    return out


def cluster_rmst_influence(
    counts: Counts, survival: np.ndarray, inf: Influence, taus: np.ndarray, *, rows: tuple[int, ...]
) -> np.ndarray:
    """Each cluster's summed influence on the RMST of the groups ``rows``, shape (K, len(rows), Q).

    Clusters are the caller's ids, shared across groups, so differences of the
    columns give the influence on a difference of RMSTs (covariance included).

    Parameters
    ----------
    counts, survival, inf, taus
        As for :func:`rmst_influence`.
    rows : tuple of int
        Group rows wanted.

    Returns
    -------
    ndarray, shape (K, len(rows), Q)
    """
    u = rmst_influence(counts, survival, inf, taus)
    n_clusters = inf.labels.shape[0]
    out = np.zeros((n_clusters, len(rows), taus.shape[0]))
    for k, row in enumerate(rows):  # the groups asked for: a handful
        mine = inf.group == row
        for q in range(taus.shape[0]):
            out[:, k, q] = np.bincount(inf.cluster[mine], weights=u[mine, q], minlength=n_clusters)
    return out
