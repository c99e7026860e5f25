"""Seeded person tables with confounding and a known truth, for the adjusted-curve estimators.

:func:`simulate_adjustment` draws one row per person (the shape of
``Cohort.persons``: ``group, duration, event`` and five covariates) from a
discrete-time model on the monthly clock, in three scenarios that differ in
which model an analyst who adjusts *linearly* for the five covariates gets
wrong (``docs/comparisons.md``, "Adjusted curves"):

* ``"correct"``: the propensity and the exit hazard are both linear in the
  covariates on the logit scale: every method recovers the truth;
* ``"wrong_propensity"``: selection depends on steps in prior duration
  (creaming: short spells picked, long ones left) and on ``score**2``; the
  exit hazard is linear: IPW fails, the g-formula and AIPW do not;
* ``"wrong_outcome"``: the exit hazard has steps in prior duration and a
  ``score**2`` term; the propensity is linear: the g-formula fails, IPW and
  AIPW do not.

Covariates: ``prior_months`` (months on support before entry, 0-47),
``education`` (0/1), ``age`` (18-60), ``female`` (0/1) and ``score`` (a
standard normal caseworker assessment). The effort multiplies the odds of
exit by ``exp(effect)`` (default 1.5). Follow-up ends at the data cut-off,
``12 .. 59`` months after entry (independent of everything). The truth
(:func:`true_adjusted`) is the population's counterfactual curves computed
from the model itself (Monte Carlo over covariates, exact curves given them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit

__all__ = ["COVARIATES", "SCENARIOS", "AdjustmentTruth", "simulate_adjustment", "true_adjusted"]

#: The analyst's covariates (all five, adjusted for linearly).
COVARIATES = ("prior_months", "education", "age", "female", "score")
#: Which model a linear adjustment gets wrong.
SCENARIOS = ("correct", "wrong_propensity", "wrong_outcome")
_MONTHS = 60


def _covariates(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    return {
        "prior_months": rng.integers(0, 48, n).astype(np.float64),
        "education": (rng.random(n) < 0.3).astype(np.float64),
        "age": rng.uniform(18, 60, n),
        "female": (rng.random(n) < 0.5).astype(np.float64),
        "score": rng.standard_normal(n),
    }


def _propensity(x: dict[str, np.ndarray], scenario: str) -> np.ndarray:
    """True ``P(participant | x)``."""
    base = 0.5 * x["education"] - 0.03 * (x["age"] - 40) + 0.1 * x["female"]
    if scenario == "wrong_propensity":
        short, long_ = x["prior_months"] < 6, x["prior_months"] >= 24
        return expit(-1.6 + 3.0 * short - 2.5 * long_ + 1.2 * (x["score"] ** 2 - 1) + base)
    return expit(-0.4 - 0.05 * x["prior_months"] + 0.6 * x["score"] + base)


def _log_odds(x: dict[str, np.ndarray], scenario: str) -> np.ndarray:
    """Log-odds of exit at month 0 without the effort (the month trend is added by :func:`_hazards`)."""
    base = 0.3 * x["education"] - 0.015 * (x["age"] - 40) + 0.1 * x["female"]
    if scenario == "wrong_outcome":
        steps = -2.2 * (x["prior_months"] >= 6) - 1.2 * (x["prior_months"] >= 24)
        return -0.6 + steps - 0.8 * (x["score"] ** 2 - 1) + 0.3 * x["score"] + base
    return -1.3 - 0.04 * x["prior_months"] + 0.4 * x["score"] + base


def _hazards(x: dict[str, np.ndarray], scenario: str, treated: np.ndarray | float, effect: float) -> np.ndarray:
    """Monthly exit hazards, shape ``(n, months)``: a falling month trend and the effort's odds ratio."""
    s = np.arange(_MONTHS)
    trend = -0.03 * np.minimum(s, 24)
    eta = (
        _log_odds(x, scenario)[:, None]
        + trend[None, :]
        + np.log(effect) * np.asarray(treated, dtype=float).reshape(-1, 1)
    )
    return expit(eta)


def simulate_adjustment(
    n: int = 5000, *, seed: int = 0, scenario: str = "correct", effect: float = 1.5
) -> pd.DataFrame:
    """One seeded person table of the scenario (module docstring).

    Parameters
    ----------
    n : int
        Persons.
    seed : int
        Seed of ``numpy.random.default_rng``; equal seeds give identical data.
    scenario : {"correct", "wrong_propensity", "wrong_outcome"}
    effect : float
        Odds ratio of exit of the effort.

    Returns
    -------
    DataFrame
        ``group`` (comparison/intervention), ``duration`` (months), ``event``
        and the :data:`COVARIATES`.
    """
    if scenario not in SCENARIOS:
        raise ValueError(f"scenario must be one of {list(SCENARIOS)}; got {scenario!r}.")
    rng = np.random.default_rng(seed)
    x = _covariates(rng, n)
    treated = rng.random(n) < _propensity(x, scenario)
    h = _hazards(x, scenario, treated, effect)
    leave = rng.random(h.shape) < h
    t_exit = np.where(leave.any(axis=1), leave.argmax(axis=1), _MONTHS)
    last = rng.integers(11, _MONTHS - 1, n)  # the last month observed (cut-off)
    event = t_exit <= last
    return pd.DataFrame(
        {
            "group": np.where(treated, "intervention", "comparison"),
            "duration": np.where(event, t_exit, last).astype(np.int64),
            "event": event.astype(np.int8),
            **x,
        }
    )


@dataclass(frozen=True)
class AdjustmentTruth:
    """The population's counterfactual curves ``S_0``, ``S_1`` on ``t = 0 .. tau - 1`` and the months saved."""

    scenario: str
    estimand: str
    tau: int
    comparison: np.ndarray
    intervention: np.ndarray

    @property
    def area(self) -> float:
        """True ``RMST_comparison - RMST_intervention`` to ``tau``."""
        return float(self.comparison.sum() - self.intervention.sum())


def true_adjusted(
    scenario: str, tau: int, estimand: str = "att", *, effect: float = 1.5, n_mc: int = 400_000, seed: int = 12345
) -> AdjustmentTruth:
    """The truth of :func:`simulate_adjustment` for the ATT (weights ``e(x)``) or the ATE.

    Parameters
    ----------
    scenario : str
    tau : int
        Horizon (months) of the curves.
    estimand : {"att", "ate"}
    effect : float
    n_mc : int
        Covariate draws of the Monte Carlo average (the curves given them are exact).
    seed : int

    Returns
    -------
    AdjustmentTruth
    """
    x = _covariates(np.random.default_rng(seed), n_mc)
    w = _propensity(x, scenario) if estimand == "att" else np.ones(n_mc)
    curves = []
    for a in (0.0, 1.0):
        s = np.cumprod(1 - _hazards(x, scenario, a, effect)[:, :tau], axis=1)
        curves.append(w @ s / w.sum())
    return AdjustmentTruth(scenario, estimand, int(tau), curves[0], curves[1])
