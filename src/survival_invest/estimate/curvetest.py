"""A supremum-type test of the difference of two survival curves over ``[0, tau]``.

The area between the curves (``Delta RMST``, :func:`survival_invest.estimate.fit.area_between`)
tests one summary; curves that cross can have ``Delta RMST = 0`` and still
differ. :func:`supremum_test` tests the whole curve: the statistic is

    ``T = sup_{0 <= t <= tau} |S_c(t) - S_i(t)|``

and its null distribution is simulated with Gaussian multipliers (a wild
bootstrap of the martingale representation; Parzen, Wei and Ying 1997,
"Simultaneous confidence intervals for the difference of two survival
functions", Scand. J. Statist. 24, 309-314; Lin, Fleming and Wei 1994). Under
the null, ``S_hat(t) - S(t)`` of each independent group is approximately
``S(t) W(t)`` with ``W`` a Gaussian process of independent increments whose
variance at ``t_j`` is Greenwood's term ``d_j / (n_j (n_j - d_j))`` (the
same terms as the pointwise variance, so delayed entry and frequency weights
are handled as the curves handle them). Each replicate draws these
increments for both groups, forms ``D*(t) = S_c W_c - S_i W_i`` on the union of
the event times up to ``tau`` and records ``sup |D*|``; the p-value is
``(1 + #{T* >= T}) / (1 + B)`` and the ``1 - alpha`` quantile of ``T*`` is
the half-width of a simultaneous band for ``S_c - S_i`` on ``[0, tau]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from survival_invest.errors import InputError
from survival_invest.estimate.checks import check_taus

__all__ = ["CurveTest", "supremum_test"]

#: Normal draws held in memory at once (replicates x grid times), 16 M = 128 MB.
BLOCK_CELLS = 1 << 24


class CurveLike(Protocol):
    """What the test reads from a curve: its table, ``S(t)`` and the Greenwood sum (public API only)."""

    @property
    def table(self) -> pd.DataFrame:
        """Event-time table with a ``time`` column."""

    def survival_at(self, times: ArrayLike) -> np.ndarray:
        """``S(t)`` at ``times``."""

    def greenwood_at(self, times: ArrayLike) -> np.ndarray:
        """Greenwood sum ``V(t)`` at ``times``."""


@dataclass(frozen=True)
class CurveTest:
    """Result of :func:`supremum_test`.

    Attributes
    ----------
    statistic : float
        ``sup_{t <= tau} |S_comparison(t) - S_intervention(t)|``.
    p_value : float
        ``(1 + #{T* >= T}) / (1 + replicates)``.
    critical_value : float
        The ``1 - alpha`` quantile of ``T*``: ``S_c - S_i +/- critical_value`` is a
        simultaneous ``1 - alpha`` band on ``[0, tau]``.
    tau, alpha : float
    replicates, seed : int
    method : str
    """

    statistic: float
    p_value: float
    critical_value: float
    tau: float
    alpha: float
    replicates: int
    seed: int
    method: str = "supremum |S_c - S_i| on [0, tau], Gaussian multiplier simulation (Parzen, Wei and Ying 1997)"

    def __str__(self) -> str:
        return (
            f"sup |S_c - S_i| on [0, {self.tau:g}] = {self.statistic:.4g}, p = {self.p_value:.4g} "
            f"({self.replicates} replicates, seed {self.seed}); {100 * (1 - self.alpha):g} % simultaneous "
            f"band half-width {self.critical_value:.4g}"
        )

    def _repr_html_(self) -> str:
        return f"<div><b>Supremum test</b>: {self}</div>"


def _curve_arrays(curve: CurveLike, tau: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Times ``<= tau`` of a curve's table, ``S`` there and the Greenwood increments."""
    times = np.unique(curve.table["time"].to_numpy(dtype=np.float64))
    times = times[times <= tau]
    surv = np.asarray(curve.survival_at(times), dtype=np.float64).reshape(-1)
    green = np.asarray(curve.greenwood_at(times), dtype=np.float64).reshape(-1)
    step = np.clip(np.diff(green, prepend=0.0), 0.0, None)
    return times, surv, step


def supremum_test(
    comparison: CurveLike,
    intervention: CurveLike,
    tau: float,
    *,
    replicates: int = 1000,
    seed: int = 0,
    alpha: float = 0.05,
) -> CurveTest:
    """Test ``S_comparison = S_intervention`` on ``[0, tau]`` by the supremum of their difference.

    Parameters
    ----------
    comparison, intervention : SurvivalCurve
        Curves of two independent groups (:func:`kaplan_meier`, or
        ``curves[label]``).
    tau : float
        Horizon, >= 0; the supremum is over ``0 <= t <= tau``.
    replicates : int, default 1000
        Multiplier replicates ``B``; the smallest attainable p-value is ``1 / (B + 1)``.
    seed : int, default 0
        Seed of ``numpy.random.default_rng``: the same seed gives the same p-value.
    alpha : float, default 0.05
        For the critical value (simultaneous band).

    Returns
    -------
    CurveTest

    Notes
    -----
    What it tests: any difference of the two curves on ``[0, tau]`` (an
    omnibus test, sensitive to crossing curves), where ``area_between`` tests
    only the difference of their areas. See the module docstring for the
    simulation.
    """
    taus = check_taus(tau, "supremum_test")
    if taus.shape[0] != 1:
        raise InputError(f"The 'tau' parameter of supremum_test must be a single number; got {tau!r}.")
    if not isinstance(replicates, int) or replicates < 1:
        raise InputError(f"The 'replicates' parameter of supremum_test must be an integer >= 1. Got {replicates!r}.")
    if not (0.0 < alpha < 1.0):
        raise InputError(f"The 'alpha' parameter of supremum_test must be in (0, 1). Got {alpha!r} instead.")
    h = float(taus[0])
    arrays = [_curve_arrays(c, h) for c in (comparison, intervention)]
    union = np.unique(np.concatenate([a[0] for a in arrays] + [np.zeros(1)]))
    idx = [np.searchsorted(a[0], union, side="right") - 1 for a in arrays]
    level = [
        np.where(j >= 0, a[1][np.maximum(j, 0)], 1.0) if a[0].size else np.ones_like(union)
        for a, j in zip(arrays, idx, strict=True)
    ]
    statistic = float(np.max(np.abs(level[0] - level[1])))
    rng = np.random.default_rng(seed)
    width = max(sum(a[0].shape[0] for a in arrays), 1)
    block = max(1, BLOCK_CELLS // width)
    draws = []
    for start in range(0, replicates, block):  # blocks of replicates bound the memory, not a loop over data
        b = min(block, replicates - start)
        diff = np.zeros((b, union.shape[0]))
        for sign, (times, surv, step), j in zip((1.0, -1.0), arrays, idx, strict=True):
            if times.size == 0:
                continue
            walk = np.cumsum(rng.standard_normal((b, times.shape[0])) * np.sqrt(step), axis=1) * surv
            diff += sign * np.where(j >= 0, walk[:, np.maximum(j, 0)], 0.0)
        draws.append(np.max(np.abs(diff), axis=1))
    sims = np.concatenate(draws)
    # a simulated value equal to the observed one (up to rounding) counts as at least as extreme
    p = (1.0 + np.count_nonzero(sims >= statistic - 1e-12 * max(statistic, 1.0))) / (1.0 + replicates)
    crit = float(np.quantile(sims, 1.0 - alpha)) if sims.size else math.nan
    return CurveTest(statistic, float(min(p, 1.0)), crit, h, float(alpha), replicates, int(seed))
