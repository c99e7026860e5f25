"""Restricted mean time lost (RMTL) on Kaplan-Meier curves, its ratio, and the curve test as methods.

``RMTL(tau) = tau - RMST(tau)``: the expected part of ``[0, tau]`` after the
event (for the job centre: months off support by ``tau``). Its standard error
is the RMST's (R ``se(rmean)``, survRM2). Two groups (survRM2 ``rmst2``, "RMTL
ratio"): ``ratio = RMTL_intervention / RMTL_comparison`` with a delta-method
interval on the log scale, ``SE(log ratio) = sqrt(V_i / RMTL_i^2 + V_c / RMTL_c^2)``,
and the Wald p-value of ``log ratio = 0``. The difference ``RMTL_i - RMTL_c``
is the area between the curves (:func:`survival_invest.estimate.fit.area_between`).

:class:`CurveTimeLost` and :class:`CurvesTimeLost` add ``rmtl``,
``rmtl_ratio`` and ``supremum_test`` to :class:`~survival_invest.estimate.curves.SurvivalCurve`
and :class:`~survival_invest.estimate.curves.SurvivalCurves`.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pandas as pd

from survival_invest.errors import InputError
from survival_invest.estimate.curvetest import CurveTest, supremum_test
from survival_invest.estimate.estimates import Estimate
from survival_invest.estimate.summaries import z_value

if TYPE_CHECKING:  # types only: curves.py imports this module
    from survival_invest.estimate.curves import SurvivalCurve

__all__ = ["CurveTimeLost", "CurvesTimeLost", "Ratio", "rmtl_ratio"]

#: Columns of :meth:`CurvesTimeLost.rmtl_ratio`.
RATIO_COLUMNS = ["tau", "rmtl_comparison", "rmtl_intervention", "ratio", "lower", "upper", "log_se", "p_value"]


@dataclass(frozen=True)
class Ratio(Estimate):
    """A ratio with a log-scale delta-method interval; ``se`` is NaN, ``log_se`` is ``SE(log ratio)``."""

    log_se: float = math.nan
    p_value: float = math.nan


def _ratio(num: float, num_se: float, den: float, den_se: float, alpha: float, label: str) -> Ratio:
    """``num / den`` with ``SE(log) = sqrt((se_n / n)^2 + (se_d / d)^2)``; NaN unless both are > 0."""
    if not (num > 0 and den > 0):
        return Ratio(math.nan, math.nan, math.nan, math.nan, alpha, label, math.nan, math.nan)
    log_r = math.log(num / den)
    log_se = math.hypot(num_se / num, den_se / den)
    z = z_value(alpha)
    p = math.erfc(abs(log_r) / (log_se * math.sqrt(2.0))) if log_se > 0 else (0.0 if log_r != 0 else 1.0)
    return Ratio(
        num / den, math.nan, math.exp(log_r - z * log_se), math.exp(log_r + z * log_se), alpha, label, log_se, p
    )


def rmtl_ratio(
    comparison: SurvivalCurve, intervention: SurvivalCurve, tau: float, *, alpha: float | None = None
) -> Ratio:
    """RMTL ratio ``RMTL_intervention(tau) / RMTL_comparison(tau)`` (survRM2's definition).

    Parameters
    ----------
    comparison, intervention : SurvivalCurve
    tau : float
        Horizon.
    alpha : float, optional
        Defaults to the comparison curve's alpha.

    Returns
    -------
    Ratio
        Log-scale delta-method interval,
        ``SE(log ratio) = sqrt(V_i / RMTL_i^2 + V_c / RMTL_c^2)`` with ``V`` the
        RMST variances; two-sided Wald p-value of ``log ratio = 0``. NaN when
        either RMTL is 0 (no event before ``tau``).
    """
    _check_pair(comparison, intervention, "rmtl_ratio")
    a = comparison.alpha if alpha is None else alpha
    c, i = comparison.rmtl(tau), intervention.rmtl(tau)
    return _ratio(i.value, i.se, c.value, c.se, a, f"RMTL ratio (intervention / comparison) to {float(tau):g}")


class _HasRMST(Protocol):
    alpha: float

    def rmst(self, tau: float) -> Estimate: ...


class _HasRMSTs(Protocol):
    alpha: float
    labels: np.ndarray

    def rmst(self, tau: object) -> pd.DataFrame: ...

    def curve(self, label: Hashable, *, name: str | None = None) -> SurvivalCurve: ...


class CurveTimeLost:
    """``rmtl`` for one curve (mixed into :class:`~survival_invest.estimate.curves.SurvivalCurve`)."""

    def rmtl(self: _HasRMST, tau: float) -> Estimate:
        """Restricted mean time lost ``tau - RMST(tau)`` with the RMST's standard error; Wald interval."""
        r = self.rmst(tau)
        h = float(tau)
        return Estimate(h - r.value, r.se, h - r.upper, h - r.lower, r.alpha, f"RMTL({h:g})")


class CurvesTimeLost:
    """``rmtl``, ``rmtl_ratio`` and ``supremum_test`` by group (mixed into ``SurvivalCurves``)."""

    def rmtl(self: _HasRMSTs, tau: object) -> pd.DataFrame:
        """Restricted mean time lost ``tau - RMST(tau)`` of every group at every horizon.

        Returns
        -------
        DataFrame with columns ``group, tau, value, se, lower, upper`` (``se`` = the RMST's).
        """
        r = self.rmst(tau)
        return pd.DataFrame(
            {
                "group": r["group"],
                "tau": r["tau"],
                "value": r["tau"] - r["value"],
                "se": r["se"],
                "lower": r["tau"] - r["upper"],
                "upper": r["tau"] - r["lower"],
            }
        )

    def rmtl_ratio(self: _HasRMSTs, comparison: Hashable, intervention: Hashable, tau: object) -> pd.DataFrame:
        """RMTL ratio ``RMTL_intervention / RMTL_comparison`` at each horizon (see :func:`rmtl_ratio`).

        Parameters
        ----------
        comparison, intervention : label
            The two groups.
        tau : number or list of numbers
            Horizons.

        Returns
        -------
        DataFrame with columns :data:`RATIO_COLUMNS`.
        """
        lost = CurvesTimeLost.rmtl(self, tau)
        for label in (comparison, intervention):
            if not (self.labels == label).any():
                raise KeyError(f"no group {label!r}; groups are {list(self.labels)}")
        c = lost[lost["group"] == comparison].reset_index(drop=True)
        i = lost[lost["group"] == intervention].reset_index(drop=True)
        iv, ise = i["value"].to_numpy(dtype=float), i["se"].to_numpy(dtype=float)
        cv, cse = c["value"].to_numpy(dtype=float), c["se"].to_numpy(dtype=float)
        rows = [
            _ratio(float(iv[j]), float(ise[j]), float(cv[j]), float(cse[j]), self.alpha, "RMTL ratio")
            for j in range(len(c))  # one per horizon
        ]
        return pd.DataFrame(
            {
                "tau": c["tau"],
                "rmtl_comparison": c["value"],
                "rmtl_intervention": i["value"],
                "ratio": [r.value for r in rows],
                "lower": [r.lower for r in rows],
                "upper": [r.upper for r in rows],
                "log_se": [r.log_se for r in rows],
                "p_value": [r.p_value for r in rows],
            }
        )[RATIO_COLUMNS]

    def supremum_test(
        self: _HasRMSTs,
        comparison: Hashable,
        intervention: Hashable,
        tau: float,
        *,
        replicates: int = 1000,
        seed: int = 0,
    ) -> CurveTest:
        """Supremum test of two groups' curves on ``[0, tau]`` (see :func:`survival_invest.estimate.curvetest.supremum_test`).

        Parameters
        ----------
        comparison, intervention : label
            The two groups.
        tau : float
            Horizon.
        replicates, seed : int
            Multiplier replicates and the seed.

        Returns
        -------
        CurveTest
        """
        return supremum_test(
            self.curve(comparison), self.curve(intervention), tau, replicates=replicates, seed=seed, alpha=self.alpha
        )


def _check_pair(comparison: object, intervention: object, func: str) -> None:
    """Raise :class:`InputError` unless both arguments are single curves (``SurvivalCurve``)."""
    for name, c in (("comparison", comparison), ("intervention", intervention)):
        if not isinstance(c, CurveTimeLost):
            raise InputError(f"{func}: {name} must be a SurvivalCurve from kaplan_meier(); got {type(c).__name__}.")
