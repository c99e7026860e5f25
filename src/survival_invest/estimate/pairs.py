"""Two groups of one fit: the area between their curves, and each cluster's influence on the RMST.

:class:`CurvesPairs` adds ``area_between`` and ``rmst_influence`` to
:class:`~survival_invest.estimate.curves.SurvivalCurves`. Greenwood fits treat
the groups as independent (``SE = sqrt(SE_c^2 + SE_i^2)``); robust fits sum both
groups' influences per cluster before squaring, which adds the covariance of a
cluster shared by the groups (a matched set):
``Var(RMST_c - RMST_i) = sum_c (IF_c,comparison - IF_c,intervention)^2``
(:mod:`survival_invest.estimate.robust`).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Protocol

import numpy as np
import pandas as pd
from scipy.stats import norm

from survival_invest.errors import InputError
from survival_invest.estimate import robust as R
from survival_invest.estimate.checks import check_taus
from survival_invest.estimate.kernel import Counts, KMArrays
from survival_invest.estimate.summaries import z_value

__all__ = ["CurvesPairs"]


class _Fit(Protocol):
    alpha: float
    labels: np.ndarray
    influence: R.Influence | None
    _counts: Counts
    _km: KMArrays

    def rmst(self, tau: object) -> pd.DataFrame: ...

    def _row(self, label: Hashable) -> int: ...


class CurvesPairs:
    """``area_between`` and ``rmst_influence`` by group (mixed into ``SurvivalCurves``)."""

    def area_between(self: _Fit, comparison: Hashable, intervention: Hashable, tau: object) -> pd.DataFrame:
        """Area between two groups' curves (``RMST_comparison - RMST_intervention``) at each horizon.

        ``SE = sqrt(SE_c^2 + SE_i^2)`` (independent groups), Wald interval,
        two-sided ``p = 2 Phi(-|value| / SE)`` (0 or 1 when ``SE = 0``). A robust
        fit sums both groups' influences per cluster before squaring, so a cluster
        shared by the groups (a matched set) adds its covariance:
        ``Var = sum_c (IF_c,comparison - IF_c,intervention)^2``.

        Parameters
        ----------
        comparison, intervention : label
            The two groups' labels.
        tau : number or list of numbers
            Horizons, >= 0.

        Returns
        -------
        DataFrame with columns ``tau, value, se, lower, upper, p_value``.
        """
        taus = check_taus(tau, "area_between")
        r = self.rmst(taus)
        ia, ib = self._row(comparison), self._row(intervention)
        a, b = r[r["group"] == self.labels[ia]], r[r["group"] == self.labels[ib]]
        value = a["value"].to_numpy() - b["value"].to_numpy()
        if self.influence is None:
            se = np.hypot(a["se"].to_numpy(), b["se"].to_numpy())
        else:
            u = R.cluster_rmst_influence(self._counts, self._km.survival, self.influence, taus, rows=(ia, ib))
            se = np.sqrt(((u[:, 0, :] - u[:, 1, :]) ** 2).sum(axis=0))
        z = z_value(self.alpha)
        with np.errstate(divide="ignore", invalid="ignore"):
            p = np.where(se > 0, 2.0 * norm.sf(np.abs(value) / se), np.where(value != 0, 0.0, 1.0))
        return pd.DataFrame(
            {"tau": taus, "value": value, "se": se, "lower": value - z * se, "upper": value + z * se, "p_value": p}
        )

    def rmst_influence(self: _Fit, tau: float) -> pd.DataFrame:
        """Each cluster's influence on every group's RMST(tau) (robust fits only).

        ``sum_{i in c} w_i dRMST_g(tau) / dw_i``: R's ``rowsum(residuals(fit,
        type = "rmst", weighted = TRUE), cluster)``; rows are the cluster ids
        (row positions without ``cluster=``), columns the groups. The sum of
        squares of a column is the group's IJ variance.
        """
        if self.influence is None:
            raise InputError("rmst_influence needs a robust fit: kaplan_meier_by(..., robust=True) or cluster=.")
        taus = check_taus(tau, "rmst_influence")
        if taus.shape[0] != 1:
            raise InputError(f"The 'tau' parameter of rmst_influence must be a single number; got {tau!r}.")
        rows = tuple(range(len(self.labels)))
        u = R.cluster_rmst_influence(self._counts, self._km.survival, self.influence, taus, rows=rows)
        return pd.DataFrame(u[:, :, 0], index=self.influence.labels, columns=self.labels)
