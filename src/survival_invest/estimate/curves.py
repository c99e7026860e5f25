"""Kaplan-Meier curve objects: :class:`SurvivalCurves` (several groups) and :class:`SurvivalCurve` (one).

Their arrays live on the grid of :mod:`survival_invest.estimate.kernel`; tables,
medians, RMST and plots are derived from it. The fitting functions that build
them (``kaplan_meier``, ``kaplan_meier_by``, ``kaplan_meier_from_counts``,
``area_between``) are in :mod:`survival_invest.estimate.fit`.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Hashable, Iterator
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from survival_invest.errors import InputError
from survival_invest.estimate import robust as R
from survival_invest.estimate import summaries as S
from survival_invest.estimate.checks import check_taus
from survival_invest.estimate.estimates import Estimate
from survival_invest.estimate.kernel import Counts, KMArrays, km_arrays
from survival_invest.estimate.pairs import CurvesPairs
from survival_invest.estimate.plot import plot_curves  # matplotlib is imported inside plot_curves, on first use
from survival_invest.estimate.timelost import CurvesTimeLost, CurveTimeLost

__all__ = ["TABLE_COLUMNS", "SurvivalCurve", "SurvivalCurves"]

#: Columns of :attr:`SurvivalCurve.table`.
TABLE_COLUMNS = ["time", "at_risk", "events", "censored", "survival", "variance", "lower", "upper"]


class SurvivalCurves(CurvesTimeLost, CurvesPairs):
    """Kaplan-Meier curves of several groups fitted in one pass.

    Build with :func:`kaplan_meier_by`. Every method is vectorised over groups.
    ``curves[label]`` is one group's :class:`SurvivalCurve`; RMTL and tests: ``estimate.timelost``;
    ``area_between`` and ``rmst_influence``: ``estimate.pairs``.

    Attributes
    ----------
    labels : ndarray
        Group labels, sorted.
    alpha : float
        1 - confidence level of all intervals.
    ci : {"log-log", "log", "plain"}
        Type of the pointwise confidence band.
    weighted : bool
        Whether at-risk and event counts are sums of case weights.
    influence : robust.Influence or None
        Per-row data of a robust (IJ) fit; None = Greenwood (see ``variance``).
    """

    def __init__(
        self, counts: Counts, labels: np.ndarray, alpha: float, ci: S.CIType, influence: R.Influence | None = None
    ) -> None:
        self._counts = counts
        self._km: KMArrays = km_arrays(counts)
        self.influence = influence
        self.variance = "greenwood" if influence is None else "robust"
        self._log_var: np.ndarray | None = None
        self.labels = labels
        self.alpha = float(alpha)
        self.ci = ci
        self.weighted = counts.weighted
        self._bands: tuple[np.ndarray, np.ndarray] | None = None

    # -- basic arrays -----------------------------------------------------
    @property
    def n_groups(self) -> int:
        """Number of groups (curves)."""
        return len(self.labels)

    def _z(self) -> float:
        return S.z_value(self.alpha)

    def _var_log(self) -> np.ndarray:
        """``Var log S`` on the grid: Greenwood's sum, or the IJ variance of a robust fit (computed once)."""
        if self._log_var is None:
            inf = self.influence
            self._log_var = self._km.greenwood if inf is None else R.log_variance(self._counts, inf)
        return self._log_var

    def _limits(self) -> tuple[np.ndarray, np.ndarray]:
        if self._bands is None:
            self._bands = S.bands(self._km.survival, self._var_log(), self._z(), self.ci)
        return self._bands

    def _row(self, label: Hashable) -> int:
        idx = np.flatnonzero(self.labels == label)
        if idx.size == 0:
            raise KeyError(f"no group {label!r}; groups are {list(self.labels)}")
        return int(idx[0])

    def __getitem__(self, label: Hashable) -> SurvivalCurve:
        return self.curve(label)

    def curve(self, label: Hashable, *, name: str | None = None) -> SurvivalCurve:
        """The curve of group ``label``, optionally shown under another ``name`` (plots, tables)."""
        i, inf = self._row(label), self.influence
        sub = self._counts.take(np.array([i]))
        shown = str(label if name is None else name)
        return SurvivalCurve(sub, self.alpha, self.ci, label=shown, influence=None if inf is None else inf.take(i))

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self.labels)

    def __len__(self) -> int:
        return self.n_groups

    # -- tables -----------------------------------------------------------
    @property
    def table(self) -> pd.DataFrame:
        """Event-time table of every group (rows with an event or a censoring).

        Columns ``group, time, at_risk, events, censored, survival, variance,
        lower, upper``. ``variance`` is ``Var S(t)`` (Greenwood's, or the IJ one of a robust fit); ``lower`` and
        ``upper`` the pointwise band of type ``ci``. Counts are weighted sums
        when the curves were fitted with weights.
        """
        c, km = self._counts, self._km
        lower, upper = self._limits()
        keep = (c.events + c.censored) > 0
        g = np.broadcast_to(np.arange(self.n_groups)[:, None], keep.shape)[keep]
        surv = km.survival[keep]
        return pd.DataFrame(
            {
                "group": self.labels[g],
                "time": c.time[keep],
                "at_risk": c.at_risk[keep],
                "events": c.events[keep],
                "censored": c.censored[keep],
                "survival": surv,
                "variance": surv * surv * self._var_log()[keep],
                "lower": lower[keep],
                "upper": upper[keep],
            }
        )

    def survival_at(self, times: ArrayLike) -> np.ndarray:
        """S(t) of every group at ``times`` (right-continuous step function).

        Returns
        -------
        ndarray, shape (n_groups, len(times))
            1 before the first event time.
        """
        t = np.atleast_1d(np.asarray(times, dtype=np.float64))
        j = S.last_index_le(self._counts.time, t, shared=self._counts.shared_grid)
        return S.take_rows(self._km.survival, j, before=1.0)

    def greenwood_at(self, times: ArrayLike) -> np.ndarray:
        """Greenwood sum ``V(t) = sum_{t_j <= t} d_j / (n_j (n_j - d_j))`` at ``times``, shape (n_groups, len(times)).

        ``Cov(S(s), S(t)) = S(s) S(t) V(min(s, t))``, which is what delta-method
        variances of sums over a curve need.
        """
        t = np.atleast_1d(np.asarray(times, dtype=np.float64))
        j = S.last_index_le(self._counts.time, t, shared=self._counts.shared_grid)
        return S.take_rows(self._km.greenwood, j, before=0.0)

    def confidence_at(self, times: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper pointwise limits at ``times``, each of shape (n_groups, len(times))."""
        t = np.atleast_1d(np.asarray(times, dtype=np.float64))
        j = S.last_index_le(self._counts.time, t, shared=self._counts.shared_grid)
        lower, upper = self._limits()
        return S.take_rows(lower, j, before=1.0), S.take_rows(upper, j, before=1.0)

    def at_risk_at(self, times: ArrayLike) -> pd.DataFrame:
        """Number at risk at ``times`` per group, as a DataFrame (groups x times).

        The number at risk at ``t`` is the at-risk count of the first table
        time ``>= t`` (subjects still followed at ``t``), 0 after the last one.
        Weighted sums when the curves are weighted.
        """
        t = np.atleast_1d(np.asarray(times, dtype=np.float64))
        c = self._counts
        # first grid time >= t is one past the last grid time < t
        j = S.last_index_le(c.time, np.nextafter(t, -np.inf), shared=c.shared_grid) + 1
        inside = j < c.time.shape[1]
        vals = np.where(inside, c.at_risk[np.arange(self.n_groups)[:, None], np.minimum(j, c.time.shape[1] - 1)], 0.0)
        return pd.DataFrame(vals, index=pd.Index(self.labels, name="group"), columns=pd.Index(t, name="time"))

    def median(self) -> pd.DataFrame:
        """Median time of each group with its confidence interval.

        The median is where S(t) reaches 0.5; its limits are where the lower
        and upper pointwise bands reach 0.5 (Brookmeyer-Crowley by band
        inversion, as R and lifelines do). A curve flat at exactly 0.5 gives
        the midpoint of the flat stretch (R's rule). ``inf`` = not reached.

        Returns
        -------
        DataFrame with columns ``group, median, lower, upper``.
        """
        c, km = self._counts, self._km
        lower, upper = self._limits()
        undefined = km.survival <= 0.0  # R reports NA limits where S = 0
        return pd.DataFrame(
            {
                "group": self.labels,
                "median": S.quantile_r(c.time, km.survival, c.last_time, 0.5),
                "lower": S.quantile_r(c.time, lower, c.last_time, 0.5, ignore=undefined),
                "upper": S.quantile_r(c.time, upper, c.last_time, 0.5, ignore=undefined),
            }
        )

    def rmst(self, tau: object) -> pd.DataFrame:
        """Restricted mean survival time of every group at every horizon.

        ``RMST(tau) = int_0^tau S(u) du`` with the standard error of the
        estimate ``Var = sum_{t_j <= tau} A_j^2 d_j / (n_j (n_j - d_j))``,
        ``A_j = int_{t_j}^tau S(u) du`` (R ``se(rmean)``, survRM2); Wald interval.
        See :func:`survival_invest.estimate.summaries.rmst_grid`. A robust fit
        uses the IJ variance instead (:func:`survival_invest.estimate.robust.rmst_variance`).

        Returns
        -------
        DataFrame with columns ``group, tau, value, se, lower, upper``, one row per
        group and horizon.
        """
        taus = check_taus(tau, "rmst")
        value, var = S.rmst_grid(
            self._counts.time, self._km.survival, self._km.greenwood, taus, shared=self._counts.shared_grid
        )
        if self.influence is not None:
            var = R.rmst_variance(self._counts, self._km.survival, self.influence, taus)
        se = np.sqrt(np.maximum(var, 0.0))
        z = self._z()
        g = np.repeat(np.arange(self.n_groups), taus.shape[0])
        return pd.DataFrame(
            {
                "group": self.labels[g],
                "tau": np.tile(taus, self.n_groups),
                "value": value.reshape(-1),
                "se": se.reshape(-1),
                "lower": (value - z * se).reshape(-1),
                "upper": (value + z * se).reshape(-1),
            }
        )

    def plot(self, ax: Any = None, *, ci_band: bool = True, at_risk: bool = False, **kwargs: Any) -> Any:
        """Plot every group's curve with its confidence band.

        Parameters
        ----------
        ax, ci_band, at_risk, **kwargs
            As for :func:`survival_invest.estimate.plot.plot_curves`.

        Returns
        -------
        matplotlib Axes
        """
        return plot_curves([self[g] for g in self.labels], ax=ax, ci_band=ci_band, at_risk=at_risk, **kwargs)

    def _repr_html_(self) -> str:
        med = self.median()
        r = pd.DataFrame(
            {
                "group": self.labels,
                "subjects": (self._counts.events + self._counts.censored).sum(axis=1),
                "events": self._counts.events.sum(axis=1),
                "median": med["median"],
                "median lower": med["lower"],
                "median upper": med["upper"],
            }
        )
        level = f"{100 * (1 - self.alpha):g} %"
        return (
            f"<div><b>Kaplan-Meier curves</b> ({self.n_groups} groups, {level} {self.ci} band"
            f"{', weighted' if self.weighted else ''})</div>" + r.to_html(index=False)
        )

    def __repr__(self) -> str:
        return f"SurvivalCurves(groups={list(self.labels)!r}, alpha={self.alpha}, ci={self.ci!r})"


class SurvivalCurve(CurveTimeLost):
    """One Kaplan-Meier curve (see :func:`kaplan_meier`)."""

    def __init__(
        self, counts: Counts, alpha: float, ci: S.CIType, label: str = "", influence: R.Influence | None = None
    ) -> None:
        self._set = SurvivalCurves(counts, np.array([label], dtype=object), alpha, ci, influence)
        self.influence, self.variance = influence, self._set.variance
        self.label = label
        self.alpha = self._set.alpha
        self.ci = ci
        self.weighted = counts.weighted
        self._rmst_cache: dict[float, Estimate] = {}

    @property
    def table(self) -> pd.DataFrame:
        """Event-time table: ``time, at_risk, events, censored, survival, variance, lower, upper``."""
        return self._set.table.drop(columns="group")[TABLE_COLUMNS]

    def survival_at(self, times: ArrayLike) -> np.ndarray:
        """S(t) at ``times`` (right-continuous step function; 1 before the first event)."""
        out = self._set.survival_at(times)[0]
        return out if np.ndim(times) else out[0]

    def greenwood_at(self, times: ArrayLike) -> np.ndarray:
        """Greenwood sum ``V(t)`` at ``times`` (``Var S(t) = S(t)^2 V(t)``)."""
        out = self._set.greenwood_at(times)[0]
        return out if np.ndim(times) else out[0]

    def confidence_at(self, times: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """Pointwise lower and upper limits at ``times``."""
        lo, up = self._set.confidence_at(times)
        return (lo[0], up[0]) if np.ndim(times) else (lo[0, 0], up[0, 0])

    def at_risk_at(self, times: ArrayLike) -> pd.Series:
        """Number at risk at ``times`` (weighted when the curve is weighted)."""
        return self._set.at_risk_at(times).iloc[0].rename("at_risk")

    def median(self) -> Estimate:
        """Median time with its confidence interval (``se`` is NaN; limits from the band).

        See :meth:`SurvivalCurves.median` for the rule; ``inf`` = not reached.
        """
        m = self._set.median().iloc[0]
        return Estimate(float(m["median"]), math.nan, float(m["lower"]), float(m["upper"]), self.alpha, "median")

    def rmst_influence(self, tau: float) -> pd.Series:
        """Each cluster's influence on RMST(tau) (robust fits; see :meth:`SurvivalCurves.rmst_influence`)."""
        return self._set.rmst_influence(tau).iloc[:, 0].rename("influence")

    def rmst(self, tau: float) -> Estimate:
        """Restricted mean survival time to ``tau`` with the SE of the estimate.

        ``RMST(tau) = sum_j (t_{j+1} - t_j) S(t_j)`` from ``t_0 = 0``;
        ``Var = sum_{t_j <= tau} A_j^2 d_j / (n_j (n_j - d_j))``,
        ``A_j = int_{t_j}^tau S(u) du`` (R ``se(rmean)``, survRM2). Wald interval.
        A robust fit (``variance == "robust"``) uses the IJ variance instead.
        """
        if np.ndim(tau) != 0:
            raise InputError(
                f"The 'tau' parameter of rmst must be a single number here; got {tau!r}. "
                "Use kaplan_meier_by(...).rmst([...]) for several horizons."
            )
        taus = check_taus(tau, "rmst")
        key = float(taus[0])
        cached = self._rmst_cache.get(key)
        if cached is not None:  # area_between and reports ask for the same horizon again
            return cached
        s = self._set
        v, var = S.rmst_one(s._counts.time[0], s._km.survival[0], s._km.greenwood_term[0], key)
        if self.influence is not None:
            var = float(R.rmst_variance(s._counts, s._km.survival, self.influence, taus[:1])[0, 0])
        se = math.sqrt(max(var, 0.0))
        z = S.z_value(self.alpha)
        est = Estimate(v, se, v - z * se, v + z * se, self.alpha, f"RMST({float(tau):g})")
        self._rmst_cache[key] = est
        return est

    def plot(self, ax: Any = None, *, ci_band: bool = True, at_risk: bool = False, **kwargs: Any) -> Any:
        """Plot the curve (step function) with its confidence band.

        Parameters
        ----------
        ax, ci_band, at_risk, **kwargs
            As for :func:`survival_invest.estimate.plot.plot_curves`.

        Returns
        -------
        matplotlib Axes
        """
        return plot_curves([self], ax=ax, ci_band=ci_band, at_risk=at_risk, **kwargs)

    def _repr_html_(self) -> str:
        med = self.median()
        head = (
            f"<div><b>Kaplan-Meier curve</b> {self.label} ({100 * (1 - self.alpha):g} % {self.ci} band"
            f"{', weighted' if self.weighted else ''}); median {med._repr_html_()}</div>"
        )
        tab = self.table
        if len(tab) > 20:
            tab = pd.concat([tab.head(10), tab.tail(10)])
        return head + tab.to_html(index=False, float_format=lambda x: f"{x:.4g}")

    def __repr__(self) -> str:
        return f"SurvivalCurve(label={self.label!r}, alpha={self.alpha}, ci={self.ci!r})"


#: Names that lived in this module before the fitting functions moved to :mod:`survival_invest.estimate.fit`.
MOVED_TO_FIT = ("kaplan_meier", "kaplan_meier_by", "area_between", "kaplan_meier_from_counts")


def __getattr__(name: str) -> object:
    """Old imports of the fitting functions from this module keep working (PEP 562)."""
    if name in MOVED_TO_FIT:
        fit = importlib.import_module("survival_invest.estimate.fit")  # on use: fit imports this module
        return getattr(fit, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
