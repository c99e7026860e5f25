"""How far a case's curve-based figures reach, and the curves they use: capped, or extended by a tail model.

``last observed`` is the smaller of the two groups' largest observed durations
(first exit: an exit or a censoring, as survRM2 counts it; occupancy: a person
followed). Without a declared tail (``tail = "none"``, the default) the area
between the curves and the forecast count durations ``t < tau = min(horizon,
last observed)`` only, and :func:`horizon_warnings` says so; with a declared
tail ``tau = horizon`` and each group's curve beyond its own last observed
duration is the tail model's (:mod:`survival_invest.estimate.tails`). Rules and
the comparison of the tails on a known truth: ``docs/extrapolation.md``.
"""

from __future__ import annotations

import logging
from typing import NamedTuple

import numpy as np

from survival_invest.config import CaseConfig
from survival_invest.economics.savings import occupancy_on_grid
from survival_invest.errors import InputError
from survival_invest.estimate import AreaBetween
from survival_invest.estimate.estimates import difference, wald
from survival_invest.estimate.tails import (
    ExtendedCurve,
    extend_curve,
    extended_variance,
    fit_tail,
    last_observed,
    monthly_counts,
)
from survival_invest.stats import CaseStatistics

__all__ = [
    "CaseHorizon",
    "ForecastCurves",
    "GridCurves",
    "case_area",
    "case_horizon",
    "curves_on_grid",
    "forecast_curves",
    "group_last_observed",
    "horizon_warnings",
    "refit_tails",
]

log = logging.getLogger(__name__)


class GridCurves(NamedTuple):
    """Both groups' curves on ``t = 0 .. horizon-1`` (unpacks as a 5-tuple).

    First exit: ``S`` and Greenwood ``V`` per group, ``unit_variance`` None.
    Occupancy: the shares, the Greenwood fields None, and ``unit_variance`` the
    per-duration variance of ``S_c(t) - S_i(t)`` (sum of both groups' binomial
    variances).
    """

    comparison: np.ndarray
    comparison_greenwood: np.ndarray | None
    intervention: np.ndarray
    intervention_greenwood: np.ndarray | None
    unit_variance: np.ndarray | None


class CaseHorizon(NamedTuple):
    """How far a case's curve-based figures reach.

    Attributes
    ----------
    requested : int
        The case's ``horizon`` (months).
    last_observed : int
        The smaller of the two groups' largest observed durations.
    tau : int
        Durations ``t < tau`` are counted: ``min(requested, last_observed)``
        without a tail, ``requested`` with one.
    tail : str
        The case's tail model (``none``, ``flat``, ``exponential``, ``weibull``, ``loglogistic``).
    """

    requested: int
    last_observed: int
    tau: int
    tail: str

    @property
    def capped(self) -> bool:
        """The cap binds: no tail is declared and the horizon lies beyond the last observed duration."""
        return self.tau < self.requested

    @property
    def extrapolated(self) -> int:
        """Months of the horizon beyond the last observed duration that a declared tail supplies (0 if none)."""
        return max(self.tau - self.last_observed, 0) if self.tail != "none" else 0


def group_last_observed(stats: CaseStatistics, case: CaseConfig) -> dict[str, int]:
    """Each group's largest observed duration (first exit: exit or censoring; occupancy: followed)."""
    out = {}
    for g in ("comparison", "intervention"):
        if case.curve == "occupancy":
            occ = stats.occupancy
            t = occ.loc[(occ["group"] == g) & (occ["followed"] > 0), "t"]
            out[g] = int(t.max()) if len(t) else -1
        else:
            sv = stats.survival[stats.survival["group"] == g]
            out[g] = last_observed(sv["t"].to_numpy(), sv["events"].to_numpy(), sv["censored"].to_numpy())
    return out


def case_horizon(stats: CaseStatistics, case: CaseConfig) -> CaseHorizon:
    """The horizon a case's curve-based figures use (rule: module docstring)."""
    last = min(group_last_observed(stats, case).values())
    requested = int(case.horizon)
    tau = requested if case.tail != "none" else max(min(requested, last), 0)
    return CaseHorizon(requested, last, tau, case.tail)


def horizon_warnings(case: CaseConfig, horizon: CaseHorizon) -> list[str]:
    """The run's warnings about a case's horizon: the cap binds, or months are extrapolated by a tail."""
    if horizon.capped:
        return [
            f"case {case.id}: the area between the curves and the forecast stop at {horizon.tau} months, the last "
            f"duration observed in both groups (horizon {horizon.requested}); no tail is declared, so the forecast "
            "counts nothing beyond it (declare tail = 'exponential', 'weibull', 'loglogistic' or 'flat' to extrapolate)"
        ]
    if horizon.extrapolated:
        return [
            f"case {case.id}: months {horizon.last_observed + 1}-{horizon.tau - 1} of the horizon lie beyond the last "
            f"duration observed in both groups and come from the declared tail ({horizon.tail!r})"
        ]
    return []


def curves_on_grid(stats: CaseStatistics, case: CaseConfig) -> GridCurves:
    """Kaplan-Meier S and Greenwood V (or occupancy shares and their unit variance) at ``t = 0 .. horizon-1``.

    The curves as estimated, carried flat beyond the last observed duration
    (no tail model, no cap): what the bootstrap's replicate curves are.
    """
    grid = np.arange(case.horizon)
    if case.curve == "occupancy":
        occ = occupancy_on_grid(stats, case.horizon)
        unit = occ["comparison"][1] + occ["intervention"][1]
        return GridCurves(occ["comparison"][0], None, occ["intervention"][0], None, unit)
    curves = stats.curves()
    s = curves.survival_at(grid)
    v = curves.greenwood_at(grid)
    ic = list(curves.labels).index("comparison")
    ii = list(curves.labels).index("intervention")
    return GridCurves(s[ic], v[ic], s[ii], v[ii], None)


class ForecastCurves(NamedTuple):
    """Both groups' curves as the forecast uses them, on ``t = 0 .. requested-1`` (durations ``>= tau`` unused).

    ``comparison`` and ``intervention`` are
    :class:`~survival_invest.estimate.tails.ExtendedCurve` (first exit: the
    tail model beyond each group's last observed duration; occupancy: the
    shares carried flat, Greenwood fields zero); ``unit_variance`` is the
    occupancy clock's per-duration variance (None for first exit).
    """

    horizon: CaseHorizon
    comparison: ExtendedCurve
    intervention: ExtendedCurve
    unit_variance: np.ndarray | None


def forecast_curves(stats: CaseStatistics, case: CaseConfig) -> ForecastCurves:
    """The curves of :func:`case_forecast`: Kaplan-Meier (or occupancy) on the grid, each group's tail fitted."""
    hz = case_horizon(stats, case)
    grid = curves_on_grid(stats, case)
    lasts = group_last_observed(stats, case)
    if case.curve == "occupancy":
        if case.tail not in ("none", "flat"):
            raise InputError(
                f"case {case.id!r}: tail {case.tail!r} fits first-exit hazards; an occupancy curve takes "
                "tail = 'none' or 'flat'."
            )
        zero = np.zeros_like(grid.comparison)
        curves = [extend_curve(grid.comparison, zero, None), extend_curve(grid.intervention, zero, None)]
        return ForecastCurves(hz, curves[0], curves[1], grid.unit_variance)
    out = []
    for g, s, v in (
        ("comparison", grid.comparison, grid.comparison_greenwood),
        ("intervention", grid.intervention, grid.intervention_greenwood),
    ):
        fit = None
        if case.tail != "none":
            sv = stats.survival[stats.survival["group"] == g]
            t, d, n = monthly_counts(sv["t"].to_numpy(), sv["events"].to_numpy(), sv["censored"].to_numpy())
            try:
                fit = fit_tail(t, d, n, case.tail, last=lasts[g], months=case.tail_months)
            except InputError as exc:
                raise InputError(f"case {case.id!r}, {g} group: {exc}") from None
            if fit.model != case.tail:
                log.warning(
                    "case %s, %s group: no exits in the tail's window; the %s tail is flat", case.id, g, case.tail
                )
        out.append(extend_curve(s, np.asarray(v), fit))
    return ForecastCurves(hz, out[0], out[1], None)


def case_area(stats: CaseStatistics, case: CaseConfig, *, alpha: float = 0.05) -> tuple[AreaBetween, ForecastCurves]:
    """The area between the curves the report shows: to ``tau`` (:func:`case_horizon`), the tail's months included.

    ``Delta RMST(tau) = sum_{t < tau} [S_c(t) - S_i(t)]`` over the curves of
    :func:`forecast_curves`; each group's variance is the delta method of
    :func:`~survival_invest.estimate.tails.extended_variance` (Greenwood plus
    the tail's parameters), the groups' variances added. With ``tail = "none"``
    and no cap binding it is :func:`~survival_invest.estimate.area_between` of
    the Kaplan-Meier curves. Occupancy: the shares' binomial variances summed.

    Parameters
    ----------
    stats : CaseStatistics
    case : CaseConfig
        Horizon, tail and curve.
    alpha : float
        1 - level of the interval.

    Returns
    -------
    (AreaBetween, ForecastCurves)
        The area (its ``tau`` the months counted) and the curves it was computed from.
    """
    curves = forecast_curves(stats, case)
    tau = curves.horizon.tau
    w = (np.arange(curves.comparison.survival.shape[0]) < tau).astype(np.float64)[None, :]
    estimates = []
    for name, curve in (("comparison", curves.comparison), ("intervention", curves.intervention)):
        if curves.unit_variance is not None:  # occupancy: half the summed variance to each group
            var = float((w[0] * w[0]) @ curves.unit_variance) / 2.0
        else:
            var = float(extended_variance(w, curve)[0][0])
        estimates.append(wald(float(w[0] @ curve.survival), var, alpha, f"RMST {name} to {tau}"))
    return difference(estimates[0], estimates[1], float(tau), alpha), curves


def refit_tails(events: np.ndarray, censored: np.ndarray, survival: np.ndarray, tail: str, months: int) -> np.ndarray:
    """Replicate curves with their tail model re-fitted: each row's own exits, its own last observed duration.

    The bootstrap's counterpart of :func:`forecast_curves`: a replicate's
    curve beyond its last observed duration comes from the tail fitted to that
    replicate (so the interval carries the tail's uncertainty as the delta
    method does). One fit per row (replicates x groups, not persons).

    Parameters
    ----------
    events, censored : ndarray, shape (R, L)
        Replicate-weighted exits and censorings at durations ``t = 0 .. L-1``.
    survival : ndarray, shape (R, H)
        The rows' Kaplan-Meier curves on ``t = 0 .. H-1`` (carried flat beyond the last time).
    tail : {"flat", "exponential", "weibull", "loglogistic"}
        The case's tail model (``flat`` leaves the curves as they are).
    months : int
        The exponential tail's window.

    Returns
    -------
    ndarray, shape (R, H)
    """
    out = np.array(survival, dtype=np.float64, copy=True)
    if tail in ("none", "flat"):
        return out
    t = np.arange(events.shape[1])
    at_risk = np.cumsum((events + censored)[:, ::-1], axis=1)[:, ::-1]
    zero = np.zeros(out.shape[1])
    for r in range(out.shape[0]):  # replicates x 2 groups
        last = last_observed(t, events[r], censored[r])
        seen = at_risk[r] > 0
        fit = fit_tail(t[seen], events[r][seen], at_risk[r][seen], tail, last=last, months=months)
        out[r] = extend_curve(out[r], zero, fit).survival
    return out
