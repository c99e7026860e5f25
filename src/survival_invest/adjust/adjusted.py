"""Adjusted survival curves on the monthly clock: IPW, the g-formula and AIPW, with influence-function SEs.

``adjusted_curves(persons, covariates, method=..., estimand=...)`` estimates the
two counterfactual curves -- the share still on support ``t`` months after
entry had the target population been in the comparison arm, and had it been in
the intervention arm -- their restricted means (RMST) and the months saved
``RMST_comparison - RMST_intervention`` (the same sign as
:func:`survival_invest.area_between`), adjusted for the covariates.

How (the estimators: :mod:`survival_invest.adjust.estimators`):

* the nuisance models are discrete-time hazard models on the person-month grid:
  the propensity ``e(X)`` (a logistic regression), and per arm a pooled
  logistic model of the exit hazard and one of the censoring hazard with a
  smooth time basis plus the covariates (:mod:`survival_invest.adjust.pooled`:
  fitted month by month on the persons at risk, without building
  person-month rows);
* ``method="ipw"`` weights the Kaplan-Meier curves, ``"gformula"`` averages
  the outcome model's predicted curves over the target population, ``"aipw"``
  does both and corrects one with the other (doubly robust);
* ``estimand="att"`` (default): the effect on the participants -- the savings
  figure's question; ``"ate"``: on everyone in the cohort.

Standard errors come from the influence function of the whole estimator, the
nuisance fits included (M-estimation, stacked): ``IF_i = IF_i(theta) + J
n H^{-1} score_i`` for each model used, with ``J = d psi / d theta``
(analytic: :func:`~survival_invest.adjust.estimators.arm_jacobians`) and ``H``
the model's Hessian. For AIPW the nuisance terms vanish
asymptotically when both models are right; they are kept, so the SE stays
honest when one of them is wrong. :func:`adjusted_bootstrap` re-fits
everything on resampled persons (within their group) as a check
(``tests/adjust/test_adjusted.py`` compares the two).

Covariates are the columns of :func:`survival_invest.adjust.ipw.design_matrix`
(numeric as they are, others one-hot), standardised; ``covariates=None`` means
the engine's baseline covariates. The curves are on ``t = 0 .. tau - 1``
(``S(t)`` = still on support at ``t``) and ``RMST(tau) = sum_{t < tau} S(t)``,
as the Kaplan-Meier step function integrates.

Speed: every step is a few passes over ``n x tau`` float64 grids and
products of tall, thin matrices (``(tau x n)(n x tau)``). Those are
memory-bound, and a multi-threaded BLAS spinning its threads on a shared
machine made them 10-20 times slower than one thread
(``benchmarks/bench_adjusted.py``), so the computation runs with the BLAS
limited to one thread (``threadpoolctl``) and restores it afterwards; and
it keeps freed arrays on malloc's heap for the next temporary
(:func:`~survival_invest.adjust.pooled.heap_allocations`), as page faults were half its CPU time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from survival_invest.adjust.estimators import Grid, aipw_parts, arm_curve, arm_jacobians, make_grid, models_used
from survival_invest.adjust.ipw import ESTIMANDS, Estimand, design_matrix
from survival_invest.adjust.pooled import (
    PooledLogit,
    RiskSets,
    fit_pooled_logit,
    heap_allocations,
    person_scores,
    risk_sets,
    solve_symmetric,
    time_basis,
)
from survival_invest.errors import InputError
from survival_invest.estimate.bootstrap import replicate_counts
from survival_invest.estimate.estimates import Estimate, wald
from survival_invest.estimate.summaries import z_value

__all__ = ["METHODS", "AdjustedBootstrap", "AdjustedCurves", "Method", "adjusted_bootstrap", "adjusted_curves"]

#: The adjustment methods of :func:`adjusted_curves`.
Method = Literal["ipw", "gformula", "aipw"]
METHODS: tuple[Method, ...] = ("ipw", "gformula", "aipw")
GROUPS = ("comparison", "intervention")


@dataclass(frozen=True)
class AdjustedCurves:
    """Counterfactual curves of both arms, their RMST and the months saved (:func:`adjusted_curves`).

    Attributes
    ----------
    method, estimand : str
    tau : int
        Horizon (months).
    table : DataFrame
        ``group, time, survival, se, lower, upper`` for ``time = 0 .. tau - 1``
        (pointwise Wald bands, clipped to [0, 1]).
    rmst : DataFrame
        ``group, tau, value, se, lower, upper`` per group and horizon.
    areas : DataFrame
        ``tau, value, se, lower, upper, p_value``: ``RMST_comparison - RMST_intervention``.
    n_persons, n_participants : int
    influence : dict of str to ndarray, optional
        Per group, the ``(n_persons, tau)`` influence matrix of its curve (nuisance fits included;
        ``Var(w @ S) = sum_i (IF_i @ w)^2 / n^2``), kept with ``keep_influence=True``.
    """

    method: str
    estimand: str
    tau: int
    alpha: float
    table: pd.DataFrame
    rmst: pd.DataFrame
    areas: pd.DataFrame
    n_persons: int
    n_participants: int
    influence: dict[str, np.ndarray] | None = None

    @property
    def area(self) -> Estimate:
        """Months saved per person of the target population at ``tau`` (Wald interval from the influence function)."""
        row = self.areas[self.areas["tau"] == self.tau].iloc[0]
        return Estimate(float(row["value"]), float(row["se"]), float(row["lower"]), float(row["upper"]), self.alpha)

    def curve(self, group: str) -> pd.DataFrame:
        """One arm's rows of :attr:`table` (``"comparison"`` or ``"intervention"``)."""
        if group not in GROUPS:
            raise InputError(f"group must be one of {list(GROUPS)}; got {group!r}.")
        return self.table[self.table["group"] == group].reset_index(drop=True)


@dataclass(frozen=True)
class AdjustedBootstrap:
    """Months saved with a percentile bootstrap interval, every model re-fitted per replicate."""

    tau: int
    value: float
    se: float
    lower: float
    upper: float
    n_boot: int


def _checked(persons: pd.DataFrame, method: str, estimand: str, tau: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(durations, events, treated) of ``persons`` after checking the arguments."""
    if method not in METHODS:
        raise InputError(f"method must be one of {list(METHODS)}; got {method!r}.")
    if estimand not in ESTIMANDS:
        raise InputError(f"estimand must be one of {list(ESTIMANDS)}; got {estimand!r}.")
    if not isinstance(tau, (int, np.integer)) or tau < 1:
        raise InputError(f"tau must be a whole number of periods >= 1; got {tau!r}.")
    missing = [c for c in ("group", "duration", "event") if c not in persons.columns]
    if missing:
        raise InputError(f"persons: missing column(s) {missing}; expected group, duration, event and the covariates.")
    group = persons["group"].astype(str)
    bad = ~group.isin(GROUPS)
    if bad.any():
        raise InputError(f"persons: column 'group', row {int(np.argmax(bad.to_numpy())) + 1}: expected {list(GROUPS)}.")
    d = persons["duration"].to_numpy()
    if not np.all(np.isfinite(d)) or np.any(d < 0) or np.any(d != np.floor(d)):
        raise InputError("persons: column 'duration': expected whole numbers of periods >= 0.")
    treated = (group == "intervention").to_numpy()
    if treated.all() or not treated.any():
        raise InputError("persons: both groups need persons (comparison and intervention).")
    return d.astype(np.int64), persons["event"].to_numpy().astype(bool), treated


def _covariates(persons: pd.DataFrame, covariates: Sequence[str] | None) -> np.ndarray:
    """Standardised covariate matrix (no columns for ``covariates=[]``)."""
    if covariates is not None and len(covariates) == 0:
        return np.zeros((len(persons), 0))
    x = design_matrix(persons, covariates).astype(np.float64)
    scale = x.std(axis=0)
    keep = scale > 0
    return (x[:, keep] - x[:, keep].mean(axis=0)) / scale[keep]


Fitted = tuple[PooledLogit, np.ndarray, RiskSets, np.ndarray]


def _fit(grid: Grid, model: str, arm: int) -> Fitted:
    """Fit one nuisance model: (fit, its basis, its risk sets, the grid rows it was fitted on)."""
    if model == "ps":
        n = grid.x.shape[0]
        basis, rows = np.ones((1, 1)), np.arange(n)
        rs = risk_sets(grid.x, np.zeros(n, dtype=np.int64), grid.treated, 1, grid.weights)
    else:
        basis, rows = grid.basis, np.flatnonzero(grid.treated == bool(arm))
        d, ev, w = grid.duration[rows], grid.exited[rows], grid.weights[rows]
        tau = basis.shape[0]
        if model == "out":
            rs = risk_sets(grid.x[rows], d, ev, tau, w)
        else:  # censoring after month s; an exit in s is not at risk of it
            rs = risk_sets(grid.x[rows], d, ~ev, tau, w, drop_last=ev)
    return fit_pooled_logit(basis, rs), basis, rs, rows


def _nuisance(grid: Grid, method: str, estimand: str) -> dict[tuple[str, int], Fitted]:
    """Every nuisance model the method needs, keyed by (model, arm); the propensity under arm -1."""
    fits: dict[tuple[str, int], Fitted] = {}
    for arm in (0, 1):
        for model in models_used(method, arm, estimand):
            key = (model, -1 if model == "ps" else arm)
            if key not in fits:
                fits[key] = _fit(grid, model, arm)
    return fits


def _thetas(fits: dict[tuple[str, int], Fitted], arm: int) -> dict[str, np.ndarray]:
    """The coefficients one arm's estimate uses."""
    out = {"ps": fits[("ps", -1)][0].theta} if ("ps", -1) in fits else {}
    for model in ("out", "cens"):
        if (model, arm) in fits:
            out[model] = fits[(model, arm)][0].theta
    return out


def _arm_influence(
    method: str,
    arm: int,
    estimand: str,
    grid: Grid,
    fits: dict[tuple[str, int], Fitted],
) -> tuple[np.ndarray, np.ndarray]:
    """(psi, influence) of one arm, the nuisance fits' share included (module docstring)."""
    theta = _thetas(fits, arm)
    parts = aipw_parts(grid, theta) if method == "aipw" else None  # the grids both steps need, computed once
    jacobians = arm_jacobians(method, arm, estimand, grid, theta, parts)
    psi, infl = arm_curve(method, arm, estimand, grid, theta, influence=True, parts=parts)
    del parts
    if infl is None:  # pragma: no cover - influence=True always returns it
        raise RuntimeError("no influence")
    n = grid.x.shape[0]
    for model, jac in jacobians.items():
        fit, basis, rs, rows = fits[(model, -1 if model == "ps" else arm)]
        scores = person_scores(basis, rs, theta[model])
        theta_infl = np.zeros((n, jac.shape[1]))
        theta_infl[rows] = n * solve_symmetric(fit.hessian, scores.T).T
        infl += theta_infl @ jac.T
    return psi, infl


def _summaries(
    psi: dict[int, np.ndarray], infl: dict[int, np.ndarray], taus: np.ndarray, alpha: float
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(table, rmst, areas) from both arms' curves and influence matrices."""
    z = z_value(alpha)
    n = infl[0].shape[0]
    tables, rmst = [], []
    for arm, name in enumerate(GROUPS):
        se = np.sqrt((infl[arm] ** 2).sum(axis=0)) / n
        tables.append(
            pd.DataFrame(
                {
                    "group": name,
                    "time": np.arange(psi[arm].shape[0]),
                    "survival": psi[arm],
                    "se": se,
                    "lower": np.clip(psi[arm] - z * se, 0, 1),
                    "upper": np.clip(psi[arm] + z * se, 0, 1),
                }
            )
        )
        for tau in taus:
            est = wald(psi[arm][:tau].sum(), float(((infl[arm][:, :tau].sum(axis=1)) ** 2).sum()) / n**2, alpha)
            rmst.append(
                {"group": name, "tau": int(tau), **{k: getattr(est, k) for k in ("value", "se", "lower", "upper")}}
            )
    areas = []
    for tau in taus:
        diff = infl[0][:, :tau].sum(axis=1) - infl[1][:, :tau].sum(axis=1)
        est = wald(psi[0][:tau].sum() - psi[1][:tau].sum(), float((diff**2).sum()) / n**2, alpha)
        p = float(2 * _norm_sf(abs(est.value) / est.se)) if est.se > 0 else float("nan")
        areas.append(
            {"tau": int(tau), "value": est.value, "se": est.se, "lower": est.lower, "upper": est.upper, "p_value": p}
        )
    return pd.concat(tables, ignore_index=True), pd.DataFrame(rmst), pd.DataFrame(areas)


def _norm_sf(x: float) -> float:
    """Upper tail of the standard normal."""
    from math import erfc, sqrt

    return 0.5 * erfc(x / sqrt(2.0))


def adjusted_curves(
    persons: pd.DataFrame,
    covariates: Sequence[str] | None = None,
    *,
    method: Method = "aipw",
    estimand: Estimand = "att",
    tau: int = 36,
    taus: Sequence[int] | None = None,
    time: str = "spline",
    alpha: float = 0.05,
    keep_influence: bool = False,
) -> AdjustedCurves:
    """Covariate-adjusted curves of comparison and intervention, RMST and months saved (module docstring).

    Parameters
    ----------
    persons : DataFrame
        One row per person: ``group`` (``"comparison"``/``"intervention"``),
        ``duration`` (whole periods), ``event`` (1 = exit) and the covariate
        columns (e.g. ``Cohort.persons``, with :meth:`~survival_invest.Cohort.with_persons`).
    covariates : sequence of str, optional
        Columns to adjust for; None: the baseline covariates; ``[]``: none
        (then every method gives the Kaplan-Meier curves of the groups).
    method : {"ipw", "gformula", "aipw"}
    estimand : {"att", "ate"}
        The participants (ATT) or the whole cohort (ATE).
    tau : int
        Horizon of the curves (months ``0 .. tau - 1``) and of the RMST.
    taus : sequence of int, optional
        Further horizons ``<= tau`` for the RMST and the months saved.
    time : {"spline", "dummies"}
        Time terms of the hazard models (:func:`~survival_invest.adjust.pooled.time_basis`).
    alpha : float
        1 - confidence level of the intervals.
    keep_influence : bool
        Keep both curves' influence matrices (:attr:`AdjustedCurves.influence`), e.g. for the
        variance of a weighted sum over durations (the savings, :mod:`survival_invest.pipeline.adjusted`).

    Returns
    -------
    AdjustedCurves

    Raises
    ------
    InputError
        A bad argument or column (named).
    """
    d, ev, treated = _checked(persons, method, estimand, tau)
    all_taus = np.unique(np.asarray([tau, *(taus or [])], dtype=np.int64))
    if all_taus.min() < 1 or all_taus.max() > tau:
        raise InputError(f"taus must be between 1 and tau={tau}; got {list(taus or [])}.")
    grid = make_grid(d, ev, treated, _covariates(persons, covariates), time_basis(int(tau), time))
    psi, infl = {}, {}
    with threadpool_limits(limits=1, user_api="blas"), heap_allocations():  # the module docstring, "Speed"
        fits = _nuisance(grid, method, estimand)
        for arm in (0, 1):
            psi[arm], infl[arm] = _arm_influence(method, arm, estimand, grid, fits)
    table, rmst, areas = _summaries(psi, infl, all_taus, alpha)
    kept = {name: infl[arm] for arm, name in enumerate(GROUPS)} if keep_influence else None
    n, n1 = len(persons), int(treated.sum())
    return AdjustedCurves(method, estimand, int(tau), alpha, table, rmst, areas, n, n1, kept)


def adjusted_bootstrap(
    persons: pd.DataFrame,
    covariates: Sequence[str] | None = None,
    *,
    method: Method = "aipw",
    estimand: Estimand = "att",
    tau: int = 36,
    n_boot: int = 200,
    seed: int = 0,
    time: str = "spline",
    alpha: float = 0.05,
) -> AdjustedBootstrap:
    """Months saved with a percentile bootstrap interval: persons resampled within their group, all models re-fitted.

    Parameters
    ----------
    persons, covariates, method, estimand, tau, time, alpha
        As for :func:`adjusted_curves`.
    n_boot : int
        Replicates (a loop over replicates; each fit is vectorised).
    seed : int
        Seed of ``numpy.random.default_rng``; equal seeds give identical results.

    Returns
    -------
    AdjustedBootstrap
        The full-sample value, the replicates' SD (``ddof=1``) and their
        ``alpha / 2``, ``1 - alpha / 2`` percentiles.
    """
    d, ev, treated = _checked(persons, method, estimand, tau)
    x, basis = _covariates(persons, covariates), time_basis(int(tau), time)
    counts = replicate_counts(treated.astype(np.int64), 2, n_boot, np.random.default_rng(seed))

    def area(weights: np.ndarray | None) -> float:
        grid = make_grid(d, ev, treated, x, basis, weights)
        fits = _nuisance(grid, method, estimand)
        curves = [arm_curve(method, arm, estimand, grid, _thetas(fits, arm))[0] for arm in (0, 1)]
        return float(curves[0].sum() - curves[1].sum())

    with threadpool_limits(limits=1, user_api="blas"), heap_allocations():
        value = area(None)
        reps = np.array([area(counts[b].astype(np.float64)) for b in range(n_boot)])  # loop over replicates only
    lo, hi = np.quantile(reps, [alpha / 2, 1 - alpha / 2])
    return AdjustedBootstrap(int(tau), value, float(reps.std(ddof=1)), float(lo), float(hi), int(n_boot))
