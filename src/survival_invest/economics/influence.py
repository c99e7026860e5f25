"""Person-level (infinitesimal-jackknife, cluster-robust) variance of realised saved full-time persons and kroner.

When it is used
---------------
The statistics of :mod:`survival_invest.stats` are counts per cell; a variance
that needs to know which months belong to the same person needs the persons
(the in-memory engine's :class:`~survival_invest.Cohort`). That is the case for

* the **occupancy clock**: a person on support this month is likely on support
  next month, so the months of one person are dependent (the statistics-only
  formula of :mod:`survival_invest.economics.savings` sums them as independent);
* **weighted** comparison groups (inverse-probability weights): Greenwood's
  formula on weighted counts is right for frequency weights only;
* **matched** comparisons: a participant and their controls form a matched set,
  and the sets, not the rows, are the independent units.

The formula
-----------
A realised figure of year ``y`` and measure ``m`` is (see
:mod:`survival_invest.economics.replicates` for the notation)::

    theta = sum_t E(t) S_c(t) - O,     E(t) = sum_i w_i X_i(t),   O = sum_i w_i O_i

with ``X_i(t)`` participant ``i``'s priced counted months at duration ``t`` in
the year and ``O_i`` their priced months observed on support. Each row of
``cohort.persons`` gets an influence ``L_r``:

* a **comparison** row ``j``: ``L_j = w_j sum_t E(t) dS_c(t)/dw_j``, the exact
  derivative of the comparison curve — on the first-exit clock the
  Kaplan-Meier derivative of :mod:`survival_invest.estimate.robust`,
  ``dS(t)/dw_j = S(t) (B_{min(t, d_j)} - delta_j 1{d_j <= t} / (n_{d_j} - d_{d_j}))``
  with ``B_t = sum_{k <= t} h_k / (n_k - d_k)``; on the occupancy clock
  ``dp(t)/dw_j = f_j(t) (a_j(t) - p(t)) / F(t)`` for the share
  ``p = sum_j w_j a_j / sum_j w_j f_j`` (``a`` the share on support, ``f``
  followed; carried forward beyond the last followed duration);
* a **participant** ``i``: the residual of their own months around their
  group's curve, ``L_i = w_i (O_i - sum_t X_i(t) S_i(t))`` (``S_i`` the
  participants' first-exit curve or occupancy share), the person's whole window
  in the year at once, so the dependence between their months is kept.

The variance sums the influences of a cluster's rows before squaring (R's
``rowsum(w U, cluster)``): ``Var = sum_c (sum_{r in c} L_r)^2``. Clusters default
to the person (a person who is a row in both groups, ``comparison =
"target_all"``, is one cluster); a matched cohort is clustered two ways, by
matched set and by person (:func:`robust_variance`): clustering by set alone
misses that a control reused in several sets ties them together, and
under-covers when participants are many (the coverage study's case 3).
Weights are treated as fixed (for IPW: not re-estimated; the coverage study in
``benchmarks/coverage.py`` measures whether that covers). With unit weights and
no clusters the comparison part equals Greenwood's on the first-exit clock.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from survival_invest.cohort.build import Cohort
from survival_invest.config import Portfolio
from survival_invest.config.model import CaseConfig
from survival_invest.economics.replicates import ReplicateDesign, replicate_design
from survival_invest.economics.savings import YearFigures, realised_savings
from survival_invest.errors import InputError
from survival_invest.stats import CaseStatistics, case_statistics

__all__ = [
    "cluster_sum_of_squares",
    "km_derivative",
    "needs_persons",
    "occupancy_derivative",
    "person_influence",
    "person_savings",
    "realised_figures",
    "robust_variance",
]

_MEASURE_SCALE = np.array([1.0 / 12.0, 1.0, 1.0])


def km_derivative(
    duration: np.ndarray, event: np.ndarray, weights: np.ndarray, horizon: int
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted Kaplan-Meier curve on ``t = 0 .. horizon-1`` and ``w_j dS(t)/dw_j`` per row.

    Parameters
    ----------
    duration : ndarray of int, shape (n,)
        Periods to the exit or censoring (at risk at ``t <= duration``).
    event : ndarray of bool, shape (n,)
        Whether the exit was observed.
    weights : ndarray of float, shape (n,)
        Case weights (0 for rows outside the group).
    horizon : int
        Grid length.

    Returns
    -------
    (survival, derivative) : ndarray of shape (horizon,), ndarray of shape (n, horizon)
    """
    d = np.asarray(duration, dtype=np.int64)
    w = np.asarray(weights, dtype=np.float64)
    ev = np.asarray(event, dtype=bool)
    length = max(int(d.max()) + 1 if d.size else 1, horizon)
    deaths = np.bincount(d, weights=w * ev, minlength=length)
    leaving = np.bincount(d, weights=w, minlength=length)
    at_risk = np.cumsum(leaving[::-1])[::-1]
    surv = at_risk - deaths
    ok = surv > 0
    h = np.divide(deaths, at_risk, out=np.zeros(length), where=at_risk > 0)
    s = np.cumprod(1.0 - h)
    b = np.cumsum(np.divide(h, surv, out=np.zeros(length), where=ok))
    grid = np.arange(horizon)
    own = np.minimum(grid[None, :], d[:, None])
    exit_term = np.divide(1.0, surv[d], out=np.zeros(d.shape[0]), where=ok[d]) * ev
    u = b[own] - np.where(d[:, None] <= grid[None, :], exit_term[:, None], 0.0)
    return s[:horizon], w[:, None] * s[None, :horizon] * u


def occupancy_derivative(followed: np.ndarray, on: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted occupancy share on the grid and ``w_j dp(t)/dw_j`` per row (carried forward past the last followed t).

    Parameters
    ----------
    followed : ndarray, shape (n, H)
        1 where the row is followed at ``t``.
    on : ndarray, shape (n, H)
        The row's share of period ``t`` on support.
    weights : ndarray of float, shape (n,)
        Case weights (0 for rows outside the group).

    Returns
    -------
    (share, derivative) : ndarray of shape (H,), ndarray of shape (n, H)
    """
    w = np.asarray(weights, dtype=np.float64)
    big_f = w @ followed
    big_a = w @ on
    p_raw = np.divide(big_a, big_f, out=np.zeros_like(big_a), where=big_f > 0)
    grid = np.arange(followed.shape[1])
    last = np.maximum.accumulate(np.where(big_f > 0, grid, -1))
    col = np.maximum(last, 0)
    share = np.where(last >= 0, p_raw[col], 1.0)
    safe_f = np.where(big_f > 0, big_f, 1.0)
    deriv = w[:, None] * followed * (on - p_raw[None, :]) / safe_f[None, :]
    deriv = np.where(last[None, :] >= 0, deriv[:, col], 0.0)
    return share, deriv


def _dense_group(incidence: sparse.csr_matrix, code: int, h: int) -> np.ndarray:
    """The ``(n, h)`` block of a (group, t) incidence for group ``code``."""
    return np.asarray(incidence[:, code * h : (code + 1) * h].todense())


def _curve_derivatives(
    design: ReplicateDesign, persons: pd.DataFrame, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(comparison curve, its row derivatives ``(n, H)``, participants' curve) at weights ``w``."""
    h = design.horizon
    wc = np.where(design.codes == 0, w, 0.0)
    wi = np.where(design.codes == 1, w, 0.0)
    if design.occupancy:
        s_c, ds = occupancy_derivative(_dense_group(design.curve_a, 0, h), _dense_group(design.curve_b, 0, h), wc)
        s_i, _ = occupancy_derivative(_dense_group(design.curve_a, 1, h), _dense_group(design.curve_b, 1, h), wi)
        return s_c, ds, s_i
    duration = persons["duration"].to_numpy().astype(np.int64)
    event = persons["event"].to_numpy().astype(bool)
    s_c, ds = km_derivative(duration, event, wc, h)
    s_i, _ = km_derivative(duration, event, wi, h)
    return s_c, ds, s_i


def person_influence(design: ReplicateDesign, persons: pd.DataFrame, weights: np.ndarray) -> np.ndarray:
    """Influence ``L_r`` of every row on every realised figure (module docstring), shape ``(n, 3, Y)``.

    Parameters
    ----------
    design : ReplicateDesign
        :func:`~survival_invest.economics.replicates.replicate_design` of the cohort (without forecast).
    persons : DataFrame
        ``cohort.persons`` (``duration``, ``event``) in the design's row order.
    weights : ndarray of float, shape (n,)
        Case weights of the rows.

    Returns
    -------
    ndarray, shape (n, 3, Y)
        Measures in the order of :data:`~survival_invest.economics.replicates.MEASURES`
        (full-time persons already divided by 12).
    """
    h, n_y = design.horizon, design.years.shape[0]
    _, ds, s_i = _curve_derivatives(design, persons, weights)
    total = np.asarray(design.expected.T @ weights).reshape(3 * n_y, h)
    comparison = np.where((design.codes == 0)[:, None], ds @ total.T, 0.0)
    own = sparse.kron(sparse.identity(3 * n_y, format="csr"), sparse.csr_matrix(s_i[:, None]), format="csr")
    expected_own = np.asarray((design.expected @ own).todense())
    observed = np.asarray(design.observed.todense())
    participants = np.where((design.codes == 1)[:, None], weights[:, None] * (observed - expected_own), 0.0)
    return (comparison - participants).reshape(-1, 3, n_y) * _MEASURE_SCALE[None, :, None]


def _codes(labels: object, n: int) -> np.ndarray:
    """Integer codes ``0 .. C-1`` of one label per row (checked for length)."""
    values = np.asarray(labels)
    if values.shape[0] != n:
        raise InputError(f"cluster= must have one label per row of cohort.persons ({n}); got {values.shape[0]}.")
    return pd.factorize(pd.Series(values).astype(str))[0]


def robust_variance(influence: np.ndarray, persons: pd.DataFrame, cluster: object | None = None) -> np.ndarray:
    """Cluster-robust variance per column of a ``(n, K)`` influence matrix of the rows of ``persons``.

    ``cluster`` given: one-way by it. Otherwise a **matched** cohort (a
    ``matched_set`` column) is clustered two ways, by matched set and by
    person (Cameron, Gelbach and Miller's ``V_set + V_person - V_row``): a set
    ties a participant to their controls, and a person who is a control in
    several sets (reused controls are common when participants are many) ties
    those sets together. Any other cohort is clustered by person.

    Parameters
    ----------
    influence : ndarray, shape (n, K)
        Each row's influence on each of ``K`` figures.
    persons : DataFrame
        ``cohort.persons`` (``person_id``, optionally ``matched_set``).
    cluster : array-like, shape (n,), optional
        One cluster label per row.

    Returns
    -------
    ndarray, shape (K,)
    """
    n = len(persons)
    if cluster is not None:
        return cluster_sum_of_squares(influence, _codes(cluster, n))
    by_person = cluster_sum_of_squares(influence, _codes(persons["person_id"], n))
    if "matched_set" not in persons.columns:
        return by_person
    by_set = cluster_sum_of_squares(influence, _codes(persons["matched_set"], n))
    by_row = cluster_sum_of_squares(influence, np.arange(n))
    return np.maximum(by_set + by_person - by_row, by_row)


def cluster_sum_of_squares(influence: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``sum_c (sum_{r in c} influence[r])^2`` per column, for cluster codes ``0 .. C-1`` of the rows."""
    n = influence.shape[0]
    g = sparse.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(int(codes.max()) + 1 if n else 0, n))
    summed = np.asarray(g @ influence)
    return np.asarray((summed * summed).sum(axis=0))


def person_savings(
    cohort: Cohort,
    case: CaseConfig,
    config: Portfolio,
    *,
    weights: np.ndarray | None = None,
    cluster: object | None = None,
    alpha: float = 0.05,
    stats: CaseStatistics | None = None,
) -> YearFigures:
    """Realised figures per year (weighted when ``weights`` are given) with the person-level variance.

    Parameters
    ----------
    cohort : Cohort
        The case's cohort (the in-memory engine's).
    case : CaseConfig
        A survival case (first exit or occupancy).
    config : Portfolio
        Price index, price level and refusion.
    weights : ndarray of float, shape (n,), optional
        Case weights of the rows of ``cohort.persons`` (e.g. IPW weights, participants 1); default all 1.
    cluster : array-like, shape (n,), optional
        Cluster label per row, one-way (default: matched set and person two-way in a
        matched cohort, else person; :func:`robust_variance`).
    alpha : float
        1 - level of the intervals.
    stats : CaseStatistics, optional
        The cohort's statistics, when already computed.

    Returns
    -------
    YearFigures
        As :func:`~survival_invest.economics.realised_savings`; with unit weights
        the point estimates are exactly its, the standard errors are the
        person-level ones.
    """
    stats = stats if stats is not None else case_statistics(cohort)
    persons = cohort.persons
    n = len(persons)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (n,) or not np.all(np.isfinite(w)) or np.any(w < 0):
        raise InputError(f"weights= must be {n} finite numbers >= 0, one per row of cohort.persons.")
    base = realised_savings(
        stats,
        case,
        price_index=config.run.price_index,
        price_level=config.run.price_level,
        refusion=config.refusion,
        alpha=alpha,
    ).frame
    design = replicate_design(cohort, case, config, stats, forecast=False)
    values = design.figures(w[None, :])["realised"][0]
    infl = person_influence(design, persons, w)
    se = np.sqrt(robust_variance(infl.reshape(n, -1), persons, cluster)).reshape(3, -1)
    frame = base.set_index("year").reindex(design.years)
    for k, measure in enumerate(("saved_fte", "savings_kr", "refusion_part_kr")):
        frame[measure] = values[k] if weights is not None else frame[measure]
        frame[f"{measure}_se"] = se[k]
    return YearFigures(frame.reset_index(), alpha)


def needs_persons(case: CaseConfig) -> bool:
    """Whether the case's realised interval needs person-level contributions (occupancy clock or matched sets)."""
    return case.method == "survival" and (case.curve == "occupancy" or case.comparison == "matched")


def realised_figures(
    stats: CaseStatistics,
    case: CaseConfig,
    config: Portfolio,
    *,
    cohort: Cohort | None = None,
    alpha: float = 0.05,
) -> YearFigures:
    """The published realised figures: person-level variance where the case needs it and the cohort is at hand.

    Point estimates are always :func:`~survival_invest.economics.realised_savings`'s;
    for an occupancy or matched case with its cohort (in-memory engine) the
    standard errors are :func:`person_savings`'s (clustered by person, and two
    ways by matched set and person in a matched cohort), otherwise the statistics-only delta method.

    Parameters
    ----------
    stats : CaseStatistics
        The case's statistics (any engine).
    case : CaseConfig
    config : Portfolio
    cohort : Cohort, optional
        The case's cohort, when the in-memory engine ran.
    alpha : float
        1 - level of the intervals.

    Returns
    -------
    YearFigures
    """
    if cohort is not None and needs_persons(case):
        return person_savings(cohort, case, config, alpha=alpha, stats=stats)
    idx, lvl = config.run.price_index, config.run.price_level
    return realised_savings(stats, case, price_index=idx, price_level=lvl, refusion=config.refusion, alpha=alpha)
