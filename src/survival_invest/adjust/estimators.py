"""The three adjusted-curve estimators on the person-month grid, one arm at a time, with per-person influence.

Notation (months ``s, t = 0 .. tau - 1``; ``S(t) = P(T > t)``, the share
still on support at ``t``; ``A`` = participant; ``R_i(s)`` at risk, ``dN_i(s)``
the exit in ``s``):

* **target population** weights ``omega_i``: 1 (``ate``) or ``A_i`` (``att``,
  the participants: the population the savings figure is about);
* **arm weights** ``lambda_i`` for arm ``a``: ``ate`` ``A / e(X)`` and
  ``(1 - A) / (1 - e(X))``; ``att`` ``A`` and ``(1 - A) e(X) / (1 - e(X))``;
* ``h_a(s | X)``, ``c_a(s | X)``: the exit and censoring hazards of arm ``a``
  (pooled logistic models, :mod:`survival_invest.adjust.pooled`);
  ``S_a(t | X) = prod_{s <= t} (1 - h_a)``, ``G_a(s- | X) = prod_{u < s} (1 - c_a)``.

Estimators of the arm's curve ``psi_a(t)`` (the target population's share on
support at ``t`` had everyone been in arm ``a``):

* ``gformula`` (direct standardisation, adjustedCurves ``direct``):
  ``sum omega S_a(t | X) / sum omega``;
* ``ipw`` (adjustedCurves ``iptw_km``): the Kaplan-Meier curve of arm ``a``
  with case weights ``lambda``;
* ``aipw`` (the augmented estimator, adjustedCurves ``aiptw``; Bai, Tsiatis &
  O'Brien 2013, in discrete time):
  ``[sum omega S_a(t|X) - sum lambda S_a(t|X) sum_{s<=t} (dN(s) - R(s) h_a(s|X)) / (S_a(s|X) G_a(s-|X))] / sum omega``.
  It is consistent when either the propensity and censoring models or the
  outcome model are right.

Each function returns ``psi`` and, on request, the per-person influence
``IF_i(t)`` at fixed nuisance parameters (``psi_hat - psi ~ mean IF_i``); the
nuisance fits' share is added by :mod:`survival_invest.adjust.adjusted`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from survival_invest.adjust.pooled import expit, linear_predictor, running

__all__ = [
    "MODELS",
    "AipwParts",
    "Grid",
    "aipw_parts",
    "arm_curve",
    "arm_jacobians",
    "arm_weights",
    "contract",
    "make_grid",
    "models_used",
    "propensity_of",
    "target_weights",
]

#: The nuisance models each method uses (``ps`` propensity, ``out`` exit hazard, ``cens`` censoring hazard).
MODELS: dict[str, tuple[str, ...]] = {"ipw": ("ps",), "gformula": ("out",), "aipw": ("ps", "out", "cens")}


@dataclass(frozen=True)
class Grid:
    """The persons on the ``n x tau`` month grid.

    Attributes
    ----------
    basis : ndarray, shape (tau, q)
        Time basis of the hazard models.
    x : ndarray, shape (n, k)
        Standardised covariates.
    risk, event, censor : ndarray of bool, shape (n, tau)
        At risk in ``s`` (``duration >= s``), exit in ``s``, censored after ``s``.
    treated : ndarray of bool, shape (n,)
        Participants.
    weights : ndarray, shape (n,)
        Frequency weights (1, or bootstrap counts).
    duration : ndarray of int, shape (n,)
    exited : ndarray of bool, shape (n,)
        The persons' durations and exit indicators (for the hazard fits).
    """

    basis: np.ndarray
    x: np.ndarray
    risk: np.ndarray
    event: np.ndarray
    censor: np.ndarray
    treated: np.ndarray
    weights: np.ndarray
    duration: np.ndarray
    exited: np.ndarray

    @property
    def n(self) -> float:
        """The (weighted) number of persons."""
        return float(self.weights.sum())


def make_grid(
    durations: np.ndarray,
    events: np.ndarray,
    treated: np.ndarray,
    x: np.ndarray,
    basis: np.ndarray,
    weights: np.ndarray | None = None,
) -> Grid:
    """The month grid of persons with ``durations`` (periods) and ``events`` (exit = 1).

    Parameters
    ----------
    durations, events, treated : ndarray, shape (n,)
        Duration, exit indicator and participant indicator per person.
    x : ndarray, shape (n, k)
        Standardised covariates.
    basis : ndarray, shape (tau, q)
        Time basis; ``tau`` is its number of rows.
    weights : ndarray, shape (n,), optional
        Frequency weights.

    Returns
    -------
    Grid
    """
    tau = basis.shape[0]
    s = np.arange(tau)[None, :]
    d = np.asarray(durations, dtype=np.int64)[:, None]
    ev = np.asarray(events).astype(bool)[:, None]
    at = s == d
    w = np.ones(d.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
    risk, event, censor = (np.asfortranarray(g) for g in (s <= d, at & ev, at & ~ev))  # as linear_predictor's
    return Grid(basis, x, risk, event, censor, np.asarray(treated).astype(bool), w, d[:, 0], ev[:, 0])


def propensity_of(grid: Grid, theta: np.ndarray) -> np.ndarray:
    """``e(X) = P(participant | X)`` from the propensity coefficients (intercept first), clipped to [1e-9, 1 - 1e-9]."""
    return np.clip(expit(theta[0] + grid.x @ theta[1:]), 1e-9, 1 - 1e-9)


def target_weights(grid: Grid, estimand: str) -> np.ndarray:
    """``omega``: the target population (everyone for ``ate``, the participants for ``att``), times the frequency weights."""
    return grid.weights * (grid.treated if estimand == "att" else 1.0)


def arm_weights(grid: Grid, arm: int, estimand: str, e: np.ndarray | None) -> np.ndarray:
    """``lambda``: the arm's inverse-probability weights (module docstring), times the frequency weights.

    Parameters
    ----------
    grid : Grid
    arm : {0, 1}
        Comparison (0) or intervention (1).
    estimand : {"att", "ate"}
    e : ndarray or None
        Propensity scores; None only for the intervention arm of an ATT (weights 1).

    Returns
    -------
    ndarray, shape (n,)
    """
    t = grid.treated
    in_arm = t if arm == 1 else ~t
    if arm == 1 and estimand == "att":
        lam = in_arm.astype(np.float64)
    elif e is None:
        raise ValueError("these arm weights need a propensity")  # internal: arm_curve passes e where MODELS says
    elif arm == 1:
        lam = in_arm / e
    else:
        lam = in_arm * (e / (1 - e) if estimand == "att" else 1 / (1 - e))
    return lam * grid.weights


def models_used(method: str, arm: int, estimand: str) -> tuple[str, ...]:
    """The nuisance models the arm's estimate depends on (the treated arm of an ATT needs no propensity).

    Parameters
    ----------
    method : {"ipw", "gformula", "aipw"}
    arm : {0, 1}
    estimand : {"att", "ate"}

    Returns
    -------
    tuple of str
        Names among ``ps``, ``out``, ``cens``.
    """
    used = MODELS[method]
    return tuple(m for m in used if not (m == "ps" and arm == 1 and estimand == "att"))


def _gformula(omega: np.ndarray, surv: np.ndarray, influence: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Standardised curve ``sum omega S / sum omega`` and its influence at fixed models."""
    psi = omega @ surv / omega.sum()
    if not influence:
        return psi, None
    return psi, omega[:, None] * (surv - psi[None, :]) / omega.mean()


def _ipw_hazard(grid: Grid, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(weighted at-risk sums, weighted Kaplan-Meier hazards) of the arm with weights ``v``."""
    at_risk = v @ grid.risk
    d = v @ grid.event
    return at_risk, np.divide(d, at_risk, out=np.zeros_like(d), where=at_risk > 0)


def _ipw_terms(grid: Grid, v: np.ndarray, at_risk: np.ndarray, h: np.ndarray) -> np.ndarray:
    """``v_i (dN_is - R_is h_s) / (Y_s / n (1 - h_s))``: each person's share in the log-curve's increments."""
    denom = at_risk / v.shape[0] * (1.0 - h)
    scale = np.divide(1.0, denom, out=np.zeros_like(denom), where=denom > 0)
    q = grid.event - grid.risk * h[None, :]
    q *= v[:, None] * scale[None, :]
    return q


def _ipw(grid: Grid, v: np.ndarray, influence: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Weighted Kaplan-Meier curve of the arm (weights ``v``) and its influence at fixed weights."""
    at_risk, h = _ipw_hazard(grid, v)
    psi = np.cumprod(1.0 - h)
    if not influence:
        return psi, None
    return psi, -running(np.add, _ipw_terms(grid, v, at_risk, h)) * psi[None, :]


#: The AIPW grids of one arm, ``(h, c, S, G(s-), M)`` (:func:`aipw_parts`), each ``(n, tau)``.
AipwParts = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
_Parts = AipwParts | None
_Thetas = Mapping[str, np.ndarray]


def aipw_parts(grid: Grid, theta: _Thetas) -> AipwParts:
    """``(h, c, S, G(s-), M)`` of the arm's ``out``/``cens`` models, ``M(t) = sum_{s<=t} (dN - R h) / (S G)``.

    The bulk of the AIPW work: computed once per arm, shared by :func:`arm_curve` and
    :func:`arm_jacobians` (``parts=``), which leave the grids as they are.
    """
    h = expit(linear_predictor(grid.basis, grid.x, theta["out"]))
    c = expit(linear_predictor(grid.basis, grid.x, theta["cens"]))
    surv = running(np.multiply, 1.0 - h)
    g_minus = np.ones_like(c)
    np.subtract(1.0, c[:, :-1], out=g_minus[:, 1:])
    running(np.multiply, g_minus)  # 1 (1 - c_0) (1 - c_1) ...
    m = np.multiply(grid.risk, h, order="F")
    np.subtract(grid.event, m, out=m)  # dN - R h
    den = surv * g_minus
    np.divide(m, den, out=m, where=den > 1e-300)
    running(np.add, m)
    return h, c, surv, g_minus, m


def _aipw(
    omega: np.ndarray, lam: np.ndarray, surv: np.ndarray, m: np.ndarray, influence: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    """The augmented estimator (module docstring) and its influence at fixed models (``m`` is left as it is)."""
    terms = np.multiply(m, surv, order="F")
    terms *= -lam[:, None]
    terms += omega[:, None] * surv  # the per-person terms
    psi = terms.sum(axis=0) / omega.sum()
    if not influence:
        return psi, None
    terms -= omega[:, None] * psi[None, :]
    terms /= omega.mean()
    return psi, terms


def arm_curve(
    method: str, arm: int, estimand: str, grid: Grid, theta: _Thetas, influence: bool = False, parts: _Parts = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """One arm's adjusted curve ``psi_a(t)``, ``t = 0 .. tau - 1``, from the nuisance coefficients ``theta``.

    Parameters
    ----------
    method : {"ipw", "gformula", "aipw"}
    arm : {0, 1}
        Comparison (0) or intervention (1).
    estimand : {"att", "ate"}
    grid : Grid
    theta : mapping
        ``ps`` (propensity, intercept first), ``out`` and ``cens`` (the arm's
        hazard models, :attr:`PooledLogit.theta`), as the method needs.
    influence : bool
        Also return the per-person influence at fixed ``theta`` (shape ``(n, tau)``).
    parts : tuple, optional
        For ``aipw``: :func:`aipw_parts` of ``theta``, when already computed.

    Returns
    -------
    (psi, influence)
    """
    e = propensity_of(grid, theta["ps"]) if "ps" in models_used(method, arm, estimand) else None
    omega = target_weights(grid, estimand)
    if method == "ipw":
        return _ipw(grid, arm_weights(grid, arm, estimand, e), influence)
    if method == "gformula":
        h = expit(linear_predictor(grid.basis, grid.x, theta["out"]))
        surv = running(np.multiply, 1.0 - h)
        del h
        return _gformula(omega, surv, influence)
    _, _, surv, _, m = aipw_parts(grid, theta) if parts is None else parts
    return _aipw(omega, arm_weights(grid, arm, estimand, e), surv, m, influence)


def _kappa(arm: int, estimand: str, e: np.ndarray) -> np.ndarray:
    """``d lambda / d eta_ps = lambda kappa``: odds (ATT comparison), ``1 / e`` and ``1 / (1 - e)`` (ATE)."""
    if arm == 0 and estimand == "att":
        return np.ones_like(e)
    return -(1.0 - e) if arm == 1 else e


def contract(basis: np.ndarray, x: np.ndarray, left: np.ndarray, right: np.ndarray, strict: bool) -> np.ndarray:
    """``J[t] = sum_i sum_{u <= t} left_i(t) right_iu (basis_u, x_i)`` (``u < t`` when ``strict``), shape ``(tau, q + k)``.

    The Jacobian of a curve whose derivative in the log-odds ``eta_iu`` of a
    hazard model is ``left_i(t) right_iu`` for ``u <= t``: two products of
    ``n x tau`` grids, nothing of size ``n x tau x tau``.

    Parameters
    ----------
    basis : ndarray, shape (tau, q)
    x : ndarray, shape (n, k)
    left, right : ndarray, shape (n, tau)
    strict : bool
        Sum over ``u < t`` instead of ``u <= t``.

    Returns
    -------
    ndarray, shape (tau, q + k)
    """
    cum = np.zeros_like(right)
    cum[:, int(strict) :] = right[:, : right.shape[1] - int(strict)]  # strict: u < t, shifted one month
    running(np.add, cum)
    cum *= left
    jb = (x.T @ cum).T
    del cum
    tau = basis.shape[0]
    mask = np.tril(np.ones((tau, tau)), -1 if strict else 0)
    ja = ((left.T @ right) * mask) @ basis
    return np.hstack([ja, jb])


def _ps_design(grid: Grid) -> np.ndarray:
    """``(1, x)``: the propensity model's design."""
    return np.hstack([np.ones((grid.x.shape[0], 1)), grid.x])


def arm_jacobians(
    method: str, arm: int, estimand: str, grid: Grid, theta: _Thetas, parts: _Parts = None
) -> dict[str, np.ndarray]:
    """``d psi_a(t) / d theta`` for each nuisance model the arm uses, analytically (``(tau, p)`` each).

    The derivatives (``tests/adjust/test_adjusted.py`` checks them against
    finite differences): for the outcome model ``d psi(t) / d eta_iu = S_i(t)
    Phi_iu / sum omega`` (``u <= t``) with ``Phi = -omega h + lambda h (R (1 - h)
    / (S G) + M(u - 1))`` (g-formula: ``lambda = 0``); for the censoring model
    ``-lambda_i S_i(t) c_iu (M_i(t) - M_i(u)) / sum omega`` (``u < t``); for the
    propensity, through ``d lambda / d eta = lambda kappa`` (:func:`_kappa`).

    Parameters
    ----------
    method, arm, estimand, grid, theta, parts
        As for :func:`arm_curve`.

    Returns
    -------
    dict
        Model name (``ps``, ``out``, ``cens``) -> Jacobian.
    """
    used = models_used(method, arm, estimand)
    e = propensity_of(grid, theta["ps"]) if "ps" in used else None
    omega = target_weights(grid, estimand)
    lam = arm_weights(grid, arm, estimand, e) if method != "gformula" else np.zeros_like(omega)
    kappa = None if e is None else _kappa(arm, estimand, e)
    if method == "ipw":
        if kappa is None:  # the participants of an ATT: weights 1, no model
            return {}
        at_risk, h = _ipw_hazard(grid, lam)
        psi = np.cumprod(1.0 - h)
        q = _ipw_terms(grid, lam * kappa, at_risk, h) / lam.shape[0]
        return {"ps": -np.cumsum(_ps_design(grid).T @ q, axis=1).T * psi[:, None]}
    total = omega.sum()
    if method == "gformula":
        h = expit(linear_predictor(grid.basis, grid.x, theta["out"]))
        surv = running(np.multiply, 1.0 - h)
        return {"out": contract(grid.basis, grid.x, surv / total, -omega[:, None] * h, strict=False)}
    h, c, surv, g_minus, m = aipw_parts(grid, theta) if parts is None else parts
    out: dict[str, np.ndarray] = {}
    if kappa is not None:
        out["ps"] = (-(_ps_design(grid).T @ ((lam * kappa)[:, None] * surv * m)) / total).T
    lam_s = lam[:, None] * surv / total
    out["cens"] = contract(grid.basis, grid.x, -lam_s * m, c, strict=True) + contract(
        grid.basis, grid.x, lam_s, c * m, strict=True
    )
    den = surv * g_minus
    phi = np.divide(grid.risk * (1.0 - h), den, out=np.zeros_like(h), where=den > 1e-300)
    phi[:, 1:] += m[:, :-1]  # M(u - 1)
    phi *= lam[:, None] * h
    phi -= omega[:, None] * h
    out["out"] = contract(grid.basis, grid.x, surv / total, phi, strict=False)
    return out
