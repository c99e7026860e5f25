"""The Aalen-Johansen arithmetic: counts per (group, time), cumulative incidence, and its IJ variance.

Everything is computed on one shared grid of the distinct durations (columns)
with one row per group, as in :mod:`survival_invest.estimate.kernel`; counting
is ``np.bincount`` over ``group * L + column`` and every estimate is a
cumulative sum or product along the rows. The only loops are over causes (a
handful) and horizons.

Notation (per group and grid time ``t_j``, weighted sums): ``n_j`` at risk,
``d_kj`` exits to cause ``k``, ``d_j = sum_k d_kj``, ``h_j = d_j / n_j``,
``S_j = prod_{l <= j} (1 - h_l)`` (all-cause Kaplan-Meier), ``S_{j-} = S_{j-1}``
and the Aalen-Johansen cumulative incidence

    ``F_k(t) = sum_{t_j <= t} S_{j-} d_kj / n_j``.

The variance is R's for multi-state ``survfit`` (survival 3.x): the
infinitesimal jackknife ``Var F_k(t) = sum_i (w_i U_i(t))^2`` with
``U_i = dF_k / dw_i``. Perturbing the hazards gives, exactly,

    ``U_i(t) = sum_{t_j <= t} [S_{j-} dM_ik(t_j) - B_k(t_j, t) dM_i(t_j)] / n_j``,
    ``B_k(u, t) = (F_k(t) - F_k(u)) / (1 - h(u))``,

with ``dM_ik = dN_ik - Y_i h_kj`` (``dM_i`` the all-cause analogue). Split into
the at-risk part and the exit part, ``U_i(t) = x_i + F_k(t) y_i`` for a
subject that has left by ``t`` and ``-(P(t) - P(a_i)) + F_k(t) (Q(t) - Q(a_i))``
for one still at risk after ``t`` (``P``, ``Q`` cumulative sums below, ``a_i``
the entry). So ``sum_i w_i^2 U_i(t)^2`` is a quadratic in ``F_k(t)`` whose
coefficients are cumulative sums of per-subject values: exact IJ with delayed
entry and weights at ``O(n + G L)`` per cause. For unweighted data without
delayed entry it equals the Aalen-type delta-method variance (Braun and Yuan
2007). A time where everybody at risk leaves (``h = 1``) gets ``B = 0``:
exact without delayed entry (nobody is at risk afterwards).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: A hazard within this of 1 is taken as 1 (all at risk leave; weighted sums differ in the last bits).
ALL_LEAVE_TOLERANCE = 1e-12

__all__ = [
    "ALL_LEAVE_TOLERANCE",
    "AJArrays",
    "CompetingCounts",
    "aj_arrays",
    "count_competing",
    "incidence_variance",
    "rmtl_by_subject",
]


@dataclass(frozen=True)
class CompetingCounts:
    """Counts on the shared grid plus the per-subject positions the variance needs.

    Attributes
    ----------
    time : ndarray, shape (L,)
        Distinct durations, sorted.
    at_risk, censored : ndarray, shape (G, L)
        Weighted number at risk just before ``t_j`` and censored at ``t_j``.
    events : ndarray, shape (K, G, L)
        Weighted exits to each cause.
    group, col, first, cause : ndarray, shape (n,)
        Each subject's group row, exit column, first column at risk
        (``entry < t_first``) and cause index (-1 = censored).
    w2 : ndarray, shape (n,)
        The weight of ``U_i^2`` in the variance: ``w_i^2`` (robust, R) or
        ``w_i`` (frequency weights); 0 for a subject never at risk.
    """

    time: np.ndarray
    at_risk: np.ndarray
    censored: np.ndarray
    events: np.ndarray
    group: np.ndarray
    col: np.ndarray
    first: np.ndarray
    cause: np.ndarray
    w2: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        """``(G, L)``: groups and grid times."""
        return self.at_risk.shape[0], self.at_risk.shape[1]


def _cells(flat: np.ndarray, values: np.ndarray | None, n_groups: int, length: int) -> np.ndarray:
    return np.bincount(flat, weights=values, minlength=n_groups * length).reshape(n_groups, length).astype(float)


def count_competing(
    durations: np.ndarray,
    cause: np.ndarray,
    n_causes: int,
    group: np.ndarray,
    n_groups: int,
    entry: np.ndarray | None,
    weights: np.ndarray | None,
    squared: bool,
) -> CompetingCounts:
    """Count at-risk, exits per cause and censorings per (group, distinct duration).

    Parameters
    ----------
    durations : ndarray, shape (n,)
        Validated durations.
    cause : ndarray of int, shape (n,)
        Cause index ``0 .. K-1``, or -1 for censored.
    n_causes : int
    group : ndarray of int, shape (n,)
        Group row ``0 .. G-1``.
    n_groups : int
    entry : ndarray, shape (n,), or None
        Delayed entry: at risk at ``t`` iff ``entry < t <= duration``.
    weights : ndarray, shape (n,), or None
    squared : bool
        True: the variance weighs ``U_i^2`` by ``w_i^2`` (robust, R); False: by ``w_i``.

    Returns
    -------
    CompetingCounts

    Notes
    -----
    ``n_j = #{first <= j} - #{col < j}`` (cumulative sums of entries at the
    first column at risk and of exits one column later); ties: exits before
    censorings (a subject censored at ``t`` is at risk at ``t``).
    """
    time, col = np.unique(durations, return_inverse=True)
    col = col.reshape(-1).astype(np.int64)
    length = time.shape[0]
    if entry is None:
        first = np.zeros_like(col)  # no entry: at risk from the first grid time on (as the KM kernel)
    else:
        first = np.searchsorted(time, entry, side="right").astype(np.int64)  # first grid time > entry
    w = weights
    base = group.astype(np.int64) * (length + 1)
    entered = np.bincount(base + first, weights=w, minlength=n_groups * (length + 1))
    left = np.bincount(base + col + 1, weights=w, minlength=n_groups * (length + 1))
    at_risk = np.cumsum((entered - left).reshape(n_groups, length + 1)[:, :length], axis=1).astype(float)
    at_risk[np.abs(at_risk) < 1e-12 * max(1.0, float(np.abs(at_risk).max(initial=0.0)))] = 0.0
    flat = group.astype(np.int64) * length + col
    events = (
        np.stack(
            [_cells(flat[cause == k], None if w is None else w[cause == k], n_groups, length) for k in range(n_causes)]
        )
        if n_causes
        else np.zeros((0, n_groups, length))
    )
    censored = _cells(flat[cause < 0], None if w is None else w[cause < 0], n_groups, length)
    w2 = np.ones(col.shape[0]) if w is None else (w * w if squared else w.astype(float, copy=True))
    w2 = np.where(first <= col, w2, 0.0)
    return CompetingCounts(time, at_risk, censored, events, group.astype(np.int64), col, first, cause, w2)


@dataclass(frozen=True)
class AJArrays:
    """All-cause Kaplan-Meier and cumulative incidence on the grid.

    ``survival``, ``survival_before`` (``S_{j-}``), ``hazard`` (``h_j``) have
    shape (G, L); ``incidence`` has shape (K, G, L).
    """

    survival: np.ndarray
    survival_before: np.ndarray
    hazard: np.ndarray
    incidence: np.ndarray


def aj_arrays(counts: CompetingCounts) -> AJArrays:
    """Aalen-Johansen estimate: ``S_j = prod (1 - h)``, ``F_k(t) = sum_{t_j <= t} S_{j-} d_kj / n_j``."""
    n = counts.at_risk
    d = counts.events.sum(axis=0) if counts.events.shape[0] else np.zeros_like(n)
    hazard = np.divide(d, n, out=np.zeros_like(n), where=n > 0)
    # everybody at risk leaves: weighted at-risk sums carry rounding, and 1 / (1 - h) must not explode
    hazard[hazard > 1.0 - ALL_LEAVE_TOLERANCE] = 1.0
    survival = np.cumprod(1.0 - hazard, axis=1)
    before = np.ones_like(survival)
    before[:, 1:] = survival[:, :-1]
    hk = np.divide(counts.events, n[None], out=np.zeros_like(counts.events), where=n[None] > 0)
    return AJArrays(survival, before, hazard, np.cumsum(before[None] * hk, axis=2))


@dataclass(frozen=True)
class _Pieces:
    """Per-cause sums of the influence representation, on the grid and per subject."""

    p: np.ndarray  # P(t_j) = sum_{l <= j} alpha_l / n_l, shape (G, L)
    q: np.ndarray  # Q(t_j) = sum_{l <= j} beta_l / n_l
    p_entry: np.ndarray  # P(a_i), shape (n,)
    q_entry: np.ndarray
    x: np.ndarray  # U_i(t) = x_i + F(t) y_i once subject i has left
    y: np.ndarray


def _at(values: np.ndarray, group: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``values[group, idx]`` with 0 where ``idx < 0``."""
    return np.where(idx >= 0, values[group, np.maximum(idx, 0)], 0.0)


def _pieces(counts: CompetingCounts, aj: AJArrays, k: int) -> _Pieces:
    n = counts.at_risk
    h = aj.hazard
    inv = np.divide(1.0, 1.0 - h, out=np.zeros_like(h), where=h < 1.0)  # B = 0 where h = 1
    beta = h * inv
    f = aj.incidence[k]
    hk = np.divide(counts.events[k], n, out=np.zeros_like(n), where=n > 0)
    alpha = aj.survival_before * hk + f * beta
    p = np.cumsum(np.divide(alpha, n, out=np.zeros_like(n), where=n > 0), axis=1)
    q = np.cumsum(np.divide(beta, n, out=np.zeros_like(n), where=n > 0), axis=1)
    g, c, m = counts.group, counts.col, counts.first - 1
    p_entry, q_entry = _at(p, g, m), _at(q, g, m)
    n_exit = n[g, c]
    safe = np.where(n_exit > 0, n_exit, 1.0)
    any_exit = counts.cause >= 0
    gamma = (aj.survival_before[g, c] * (counts.cause == k) + f[g, c] * inv[g, c] * any_exit) / safe
    delta = any_exit * inv[g, c] / safe
    x = gamma - (p[g, c] - p_entry)
    y = q[g, c] - q_entry - delta
    return _Pieces(p, q, p_entry, q_entry, x, y)


def incidence_variance(counts: CompetingCounts, aj: AJArrays, k: int) -> np.ndarray:
    """Infinitesimal-jackknife ``Var F_k(t_j)`` on the grid, shape (G, L).

    ``sum_i w2_i U_i(t)^2`` with ``U_i(t) = x_i + F y_i`` for subjects that have
    left by ``t`` (cumulative sums over exit columns) plus
    ``(c + P(a_i) - F Q(a_i))^2``, ``c = -P(t) + F Q(t)``, for subjects at risk
    after ``t`` (sums over ``first <= j < col``), expanded in powers of ``F``.

    Parameters
    ----------
    counts : CompetingCounts
    aj : AJArrays
    k : int
        Cause index.

    Returns
    -------
    ndarray, shape (G, L)
    """
    n_groups, length = counts.shape
    pc = _pieces(counts, aj, k)
    w2, g = counts.w2, counts.group
    left_cell = g * length + counts.col

    def left(values: np.ndarray) -> np.ndarray:
        return np.cumsum(_cells(left_cell, w2 * values, n_groups, length), axis=1)

    base = g * (length + 1)

    def active(values: np.ndarray) -> np.ndarray:
        v = w2 * values
        inn = np.bincount(base + counts.first, weights=v, minlength=n_groups * (length + 1))
        out = np.bincount(base + counts.col, weights=v, minlength=n_groups * (length + 1))
        return np.cumsum((inn - out).reshape(n_groups, length + 1)[:, :length], axis=1)

    f = aj.incidence[k]
    c = -pc.p + f * pc.q
    one = np.ones_like(w2)
    var = left(pc.x * pc.x) + 2.0 * f * left(pc.x * pc.y) + f * f * left(pc.y * pc.y)
    var += active(one) * c * c + 2.0 * c * (active(pc.p_entry) - f * active(pc.q_entry))
    var += active(pc.p_entry**2) - 2.0 * f * active(pc.p_entry * pc.q_entry) + f * f * active(pc.q_entry**2)
    return np.maximum(var, 0.0)


def rmtl_by_subject(counts: CompetingCounts, aj: AJArrays, k: int, tau: float) -> tuple[np.ndarray, np.ndarray]:
    """Restricted mean time lost to cause ``k`` by ``tau`` per group, and each subject's influence on it.

    ``RMTL_k(tau) = int_0^tau F_k(u) du = sum_j D_j F_k(t_j)`` with
    ``D_j = min(t_{j+1}, tau) - t_j`` clipped at 0; the influence is
    ``R_i = sum_j D_j U_i(t_j)``: over the columns where subject *i* is still
    at risk (``first <= j < col``) and those after it left (``j >= col``), read
    off cumulative sums of ``D``, ``D P``, ``D F``, ``D F Q``. The IJ variance is
    ``sum_i w2_i R_i^2`` (R's ``residuals(fit, type = "sojourn")``).

    Parameters
    ----------
    counts : CompetingCounts
    aj : AJArrays
    k : int
        Cause index.
    tau : float
        Horizon.

    Returns
    -------
    (value, influence) : ndarray of shape (G,), ndarray of shape (n,)
    """
    t = counts.time
    nxt = np.append(t[1:], np.inf)
    width = np.clip(np.minimum(nxt, tau) - t, 0.0, None)
    pc = _pieces(counts, aj, k)
    f = aj.incidence[k]
    c1 = np.broadcast_to(np.cumsum(width), f.shape)
    cp = np.cumsum(width * pc.p, axis=1)
    cf = np.cumsum(width * f, axis=1)
    cfq = np.cumsum(width * f * pc.q, axis=1)
    g, m, cm1 = counts.group, counts.first - 1, counts.col - 1

    def span(a: np.ndarray) -> np.ndarray:
        return _at(a, g, cm1) - _at(a, g, m)

    at_risk_part = -span(cp) + pc.p_entry * span(c1) + span(cfq) - pc.q_entry * span(cf)
    after = pc.x * (c1[g, -1] - _at(c1, g, cm1)) + pc.y * (cf[g, -1] - _at(cf, g, cm1))
    return cf[:, -1].copy(), np.where(counts.w2 > 0, at_risk_part + after, 0.0)
