"""Competing risks: Aalen-Johansen cumulative incidence per destination and group.

:func:`cumulative_incidence` fits every destination (cause) of every group in
one counting pass and returns a :class:`CumulativeIncidence` whose tables are
DataFrames with stable column names. The arithmetic is in
:mod:`survival_invest.estimate.aalen_johansen`.

Anchors: the point estimates equal lifelines' ``AalenJohansenFitter`` (on data
where lifelines does not jitter, i.e. no tie between exits of different
causes) and R ``survival``'s multi-state ``survfit(Surv(time, factor(event)))``;
the standard errors, pointwise limits (``ci = "log"``) and restricted mean time
in each state with its standard error equal R's (infinitesimal jackknife).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.stats import norm

from survival_invest.errors import InputError
from survival_invest.estimate import aalen_johansen as A
from survival_invest.estimate.checks import as_1d, check_alpha_ci, check_survival_input, check_taus, group_codes
from survival_invest.estimate.summaries import CIType, last_index_le, take_rows, z_value

__all__ = ["INCIDENCE_COLUMNS", "CumulativeIncidence", "cumulative_incidence", "incidence_bands"]

Variance = Literal["robust", "frequency"]

#: Columns of :attr:`CumulativeIncidence.table`.
INCIDENCE_COLUMNS = ["group", "cause", "time", "at_risk", "events", "censored", "incidence", "se", "lower", "upper"]


def incidence_bands(incidence: np.ndarray, se: np.ndarray, z: float, ci: CIType) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise limits of a cumulative incidence ``F`` with standard error ``se``.

    * ``"log"`` (R's default for ``survfit``): ``F exp(-/+ z se / F)``, upper capped at 1.
    * ``"log-log"`` (lifelines, cmprsk): ``exp(-exp(log(-log F) +/- z se / (F |log F|)))``.
    * ``"plain"``: ``F -/+ z se`` clipped to [0, 1].

    Where ``F = 0`` both limits are 0 (R: NA); where ``F = 1`` both are 1.

    Parameters
    ----------
    incidence, se : ndarray
        ``F`` and its standard error, same shape.
    z : float
        Normal quantile.
    ci : {"log", "log-log", "plain"}

    Returns
    -------
    (lower, upper) : ndarrays
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if ci == "log":
            lower = incidence * np.exp(-z * se / incidence)
            upper = np.minimum(incidence * np.exp(z * se / incidence), 1.0)
        elif ci == "log-log":
            log_f = np.log(incidence)
            theta, s = np.log(-log_f), se / (incidence * np.abs(log_f))
            lower, upper = np.exp(-np.exp(theta + z * s)), np.exp(-np.exp(theta - z * s))
        else:
            lower, upper = np.clip(incidence - z * se, 0.0, 1.0), np.clip(incidence + z * se, 0.0, 1.0)
    zero, one = incidence <= 0.0, incidence >= 1.0
    return np.where(zero, 0.0, np.where(one, 1.0, lower)), np.where(zero, 0.0, np.where(one, 1.0, upper))


class CumulativeIncidence:
    """Aalen-Johansen cumulative incidence of every destination in every group (see :func:`cumulative_incidence`).

    Attributes
    ----------
    labels : ndarray
        Group labels, sorted.
    causes : ndarray of int
        Destination codes, sorted (0 = censored is not one).
    alpha : float
    ci : {"log", "log-log", "plain"}
    variance : {"robust", "frequency"}
    weighted : bool
    """

    def __init__(
        self,
        counts: A.CompetingCounts,
        labels: np.ndarray,
        causes: np.ndarray,
        alpha: float,
        ci: CIType,
        variance: str,
        weighted: bool,
    ) -> None:
        self._counts = counts
        self._aj = A.aj_arrays(counts)
        self._var = np.stack([A.incidence_variance(counts, self._aj, k) for k in range(len(causes))])
        self.labels, self.causes = labels, causes
        self.alpha, self.ci, self.variance = float(alpha), ci, variance
        self.weighted = weighted

    def _k(self, cause: int) -> int:
        idx = np.flatnonzero(self.causes == cause)
        if idx.size == 0:
            raise KeyError(f"no destination {cause!r}; destinations are {self.causes.tolist()}")
        return int(idx[0])

    def _g(self, label: Hashable) -> int:
        idx = np.flatnonzero(self.labels == label)
        if idx.size == 0:
            raise KeyError(f"no group {label!r}; groups are {list(self.labels)}")
        return int(idx[0])

    @property
    def table(self) -> pd.DataFrame:
        """One row per group, destination and time with an exit or a censoring in the group.

        Columns :data:`INCIDENCE_COLUMNS`: ``at_risk`` (all destinations),
        ``events`` (exits to this destination), ``censored``, ``incidence``
        ``F_k(t)``, its IJ standard error ``se`` and the pointwise limits.
        """
        c = self._counts
        n_causes = len(self.causes)
        keep = (c.events.sum(axis=0) + c.censored) > 0 if n_causes else c.censored > 0
        g_idx, t_idx = np.nonzero(keep)
        se = np.sqrt(self._var[:, g_idx, t_idx])
        f = self._aj.incidence[:, g_idx, t_idx]
        lower, upper = incidence_bands(f, se, z_value(self.alpha), self.ci)
        rows = g_idx.shape[0]
        return pd.DataFrame(
            {
                "group": np.tile(self.labels[g_idx], n_causes),
                "cause": np.repeat(self.causes, rows),
                "time": np.tile(c.time[t_idx], n_causes),
                "at_risk": np.tile(c.at_risk[g_idx, t_idx], n_causes),
                "events": c.events[:, g_idx, t_idx].reshape(-1),
                "censored": np.tile(c.censored[g_idx, t_idx], n_causes),
                "incidence": f.reshape(-1),
                "se": se.reshape(-1),
                "lower": lower.reshape(-1),
                "upper": upper.reshape(-1),
            }
        )[INCIDENCE_COLUMNS].sort_values(["group", "cause", "time"], kind="stable", ignore_index=True)

    def survival_at(self, times: ArrayLike) -> np.ndarray:
        """All-cause Kaplan-Meier ``S(t) = 1 - sum_k F_k(t)`` per group at ``times``, shape (G, len(times))."""
        t = np.atleast_1d(np.asarray(times, dtype=np.float64))
        j = last_index_le(self._counts.time[None, :], t, shared=True)[0]
        return take_rows(self._aj.survival, np.broadcast_to(j, (len(self.labels), t.shape[0])), before=1.0)

    def incidence_at(self, times: ArrayLike) -> pd.DataFrame:
        """``F_k(t)`` with standard error and limits at ``times`` (right-continuous; 0 before the first time).

        Returns
        -------
        DataFrame with columns ``group, cause, time, incidence, se, lower, upper``,
        ordered by group, cause and time.
        """
        t = np.atleast_1d(np.asarray(times, dtype=np.float64))
        n_groups, n_causes = len(self.labels), len(self.causes)
        j = np.broadcast_to(last_index_le(self._counts.time[None, :], t, shared=True)[0], (n_groups, t.shape[0]))
        f = np.stack([take_rows(self._aj.incidence[k], j, before=0.0) for k in range(n_causes)])
        se = np.sqrt(np.stack([take_rows(self._var[k], j, before=0.0) for k in range(n_causes)]))
        lower, upper = incidence_bands(f, se, z_value(self.alpha), self.ci)
        kk, gg, tt = np.meshgrid(np.arange(n_causes), np.arange(n_groups), np.arange(t.shape[0]), indexing="ij")
        out = pd.DataFrame(
            {
                "group": self.labels[gg.reshape(-1)],
                "cause": self.causes[kk.reshape(-1)],
                "time": t[tt.reshape(-1)],
                "incidence": f.reshape(-1),
                "se": se.reshape(-1),
                "lower": lower.reshape(-1),
                "upper": upper.reshape(-1),
            }
        )
        return out.sort_values(["group", "cause", "time"], kind="stable", ignore_index=True)

    def rmtl(self, tau: object) -> pd.DataFrame:
        """Restricted mean time lost to each destination by ``tau``: ``RMTL_k(tau) = int_0^tau F_k(u) du``.

        The expected time spent in destination ``k`` before ``tau`` (R's
        restricted mean time in state). ``sum_k RMTL_k(tau) = tau - RMST(tau)``.
        Standard error: the infinitesimal jackknife, ``sqrt(sum_i w2_i R_i^2)``
        with ``R_i`` subject *i*'s influence on the integral (R
        ``residuals(fit, type = "sojourn")``); Wald interval.

        Returns
        -------
        DataFrame with columns ``group, cause, tau, value, se, lower, upper``.
        """
        taus = check_taus(tau, "rmtl")
        rows = []
        z = z_value(self.alpha)
        n_groups = len(self.labels)
        for k, cause in enumerate(self.causes):
            for h in taus:
                value, infl = A.rmtl_by_subject(self._counts, self._aj, k, float(h))
                var = np.bincount(self._counts.group, weights=self._counts.w2 * infl * infl, minlength=n_groups)
                se = np.sqrt(var)
                rows.append(
                    pd.DataFrame(
                        {
                            "group": self.labels,
                            "cause": cause,
                            "tau": float(h),
                            "value": value,
                            "se": se,
                            "lower": value - z * se,
                            "upper": value + z * se,
                        }
                    )
                )
        columns = ["group", "cause", "tau", "value", "se", "lower", "upper"]
        if not rows:
            return pd.DataFrame(columns=columns)
        return pd.concat(rows, ignore_index=True).sort_values(["group", "cause", "tau"], ignore_index=True)[columns]

    def rmtl_difference(self, comparison: Hashable, intervention: Hashable, tau: object) -> pd.DataFrame:
        """Extra time in each destination by ``tau``: ``RMTL_k(intervention) - RMTL_k(comparison)``.

        Positive when the intervention group spends more of ``[0, tau]`` in
        destination ``k``; summed over destinations it is the area between the
        two groups' all-cause curves (``RMST_comparison - RMST_intervention``),
        i.e. the months of support saved, split by where people went.
        ``SE = sqrt(SE_c^2 + SE_i^2)`` (independent groups, survRM2), Wald
        interval, two-sided ``p = 2 Phi(-|value| / SE)`` (0 or 1 when ``SE = 0``).

        Parameters
        ----------
        comparison, intervention : label
            The two groups.
        tau : number or list of numbers
            Horizons.

        Returns
        -------
        DataFrame with columns ``cause, tau, value, se, lower, upper, p_value``.
        """
        r = self.rmtl(tau)
        a = r[r["group"] == self.labels[self._g(comparison)]].reset_index(drop=True)
        b = r[r["group"] == self.labels[self._g(intervention)]].reset_index(drop=True)
        value = b["value"].to_numpy() - a["value"].to_numpy()
        se = np.hypot(a["se"].to_numpy(), b["se"].to_numpy())
        z = z_value(self.alpha)
        with np.errstate(divide="ignore", invalid="ignore"):
            p = np.where(se > 0, 2.0 * norm.sf(np.abs(value) / se), np.where(value != 0, 0.0, 1.0))
        return pd.DataFrame(
            {
                "cause": a["cause"].to_numpy(),
                "tau": a["tau"].to_numpy(),
                "value": value,
                "se": se,
                "lower": value - z * se,
                "upper": value + z * se,
                "p_value": p,
            }
        )

    def _repr_html_(self) -> str:
        head = (
            f"<div><b>Cumulative incidence</b> ({len(self.labels)} groups, destinations {self.causes.tolist()}, "
            f"{100 * (1 - self.alpha):g} % {self.ci} band, {self.variance} variance)</div>"
        )
        last = self._counts.time[-1]
        return head + self.incidence_at([last]).to_html(index=False, float_format=lambda x: f"{x:.4g}")

    def __repr__(self) -> str:
        return f"CumulativeIncidence(groups={list(self.labels)!r}, causes={self.causes.tolist()!r}, alpha={self.alpha})"


def _destination_codes(destinations: object, n: int, causes: Sequence[int] | None) -> tuple[np.ndarray, np.ndarray]:
    """Cause index per subject (-1 = censored) and the sorted destination codes."""
    d = as_1d("destinations", destinations)
    if d.shape[0] != n:
        raise InputError(f"destinations has length {d.shape[0]} but durations has length {n}; they must match.")
    bad = ~np.isfinite(d) | (d < 0) | (d != np.round(d)) if d.dtype.kind == "f" else d < 0
    if bad.any():
        pos = int(np.argmax(bad))
        raise InputError(
            f"destinations must be whole numbers >= 0 (0 = censored); position {pos} holds {d[pos].item()!r}."
        )
    d = d.astype(np.int64)
    observed = np.unique(d[d > 0])
    if causes is None:
        codes = observed
    else:
        codes = np.unique(np.asarray(causes, dtype=np.int64))
        if codes.size and codes.min() <= 0:
            raise InputError(f"causes must be destination codes > 0 (0 = censored); got {list(causes)!r}.")
        unknown = np.setdiff1d(observed, codes)
        if unknown.size:
            pos = int(np.argmax(np.isin(d, unknown)))
            raise InputError(
                f"destinations position {pos} holds {int(d[pos])}, which is not among causes {codes.tolist()}."
            )
    index = np.where(d > 0, np.searchsorted(codes, d), -1)
    return index.astype(np.int64), codes


def cumulative_incidence(
    durations: object,
    destinations: object,
    groups: object | None = None,
    *,
    entry: object | None = None,
    weights: object | None = None,
    alpha: float = 0.05,
    ci: str = "log",
    variance: Variance = "robust",
    causes: Sequence[int] | None = None,
) -> CumulativeIncidence:
    """Aalen-Johansen cumulative incidence of each destination, per group, in one pass.

    Parameters
    ----------
    durations : array-like, shape (n,)
        Time to exit or censoring, >= 0.
    destinations : array-like of int, shape (n,)
        0 = censored, a positive code = the destination (cause) of the exit.
    groups : array-like, shape (n,), optional
        Group labels; one set of curves per group (sorted by label). None: one group "".
    entry : array-like, shape (n,), optional
        Delayed entry: at risk at ``t`` iff ``entry < t <= duration``.
    weights : array-like, shape (n,), optional
        Non-negative case weights.
    alpha : float, default 0.05
        1 - confidence level.
    ci : {"log", "log-log", "plain"}, default "log"
        Pointwise band (see :func:`incidence_bands`); ``"log"`` is R's default.
    variance : {"robust", "frequency"}, default "robust"
        ``"robust"``: infinitesimal jackknife ``sum_i (w_i U_i)^2``, R's only
        variance for multi-state curves and the right one for
        inverse-probability weights. ``"frequency"``: ``sum_i w_i U_i^2``, what
        the robust variance gives when each subject is repeated ``w_i`` times
        (integer frequency weights). Equal without weights.
    causes : sequence of int, optional
        The destination codes to report (a code that never occurs gets an
        incidence of 0); default: the codes that occur.

    Returns
    -------
    CumulativeIncidence

    Notes
    -----
    ``F_k(t) = sum_{t_j <= t} S(t_j-) d_k(t_j) / n(t_j)`` with ``S`` the
    all-cause Kaplan-Meier; exits before censorings at tied times, exits of
    all causes at one time together (no jitter). Counting is one ``bincount``
    per cause over (group, distinct duration) cells of a shared grid, so
    memory is ``O(causes x groups x distinct durations)``.

    Examples
    --------
    >>> import numpy as np
    >>> from survival_invest import cumulative_incidence
    >>> ci = cumulative_incidence(np.array([1, 2, 2, 3]), np.array([1, 2, 0, 1]))
    >>> ci.incidence_at([3])["incidence"].round(3).tolist()
    [0.75, 0.25]
    """
    band = check_alpha_ci(alpha, ci, "cumulative_incidence")
    if variance not in ("robust", "frequency"):
        raise InputError(
            f"The 'variance' parameter of cumulative_incidence must be 'robust' or 'frequency'. Got {variance!r}."
        )
    n = as_1d("durations", durations).shape[0]
    cause, codes = _destination_codes(destinations, n, causes)
    x = check_survival_input(durations, (cause >= 0).astype(np.int8), entry, weights)
    if groups is None:
        gcode, labels = np.zeros(n, dtype=np.int64), np.array([""], dtype=object)
    else:
        gcode, labels, maybe_empty = group_codes(groups, n)
        if maybe_empty:
            present = np.bincount(gcode, minlength=len(labels)) > 0
            gcode, labels = (np.cumsum(present) - 1)[gcode], labels[present]
    counts = A.count_competing(
        x.durations, cause, len(codes), gcode, len(labels), x.entry, x.weights, variance == "robust"
    )
    return CumulativeIncidence(counts, labels, codes, alpha, band, variance, x.weights is not None)
