"""Realised savings: saved full-time persons and kroner of the participants observed so far, per calendar year.

Definitions (DOMAIN.md, "From curves to kroner")
------------------------------------------------
**Realised** (participants observed so far). For participant *i* with entry
``e_i`` and each month ``t = 0, 1, ...`` after entry that is observed (up to the
cut-off or a censor code) and inside the case horizon (``t < horizon``)::

    saved_i(t) = S_comparison(t) - observed_i(t)

where ``observed_i(t)`` is the participant's own status on the curve's
definition: on the first-exit clock 1 while ``t < duration_i`` (0 after the
exit; returns to support are ignored, as the curve ignores them); on the
occupancy clock the participant's share of month ``t`` on support, against the
comparison group's occupancy curve. Summed over participants and the calendar
months of year Y and divided by 12: saved full-time persons in year Y.

*Tail assumption*: beyond the last observed duration of a curve it stays at
its last value (Kaplan-Meier's own convention); nothing is counted at or
beyond the case horizon. Each saved month is priced as in
:mod:`survival_invest.economics.prices`; the forecast is in
:mod:`survival_invest.economics.forecast`.

**Uncertainty** (delta method, 95 % by default). A yearly figure is
``sum_t c_t S_comparison(t)`` minus the participants' own (observed) months,
``c_t`` the (kroner or month) weight of the participant-months at duration
``t``. The two parts are independent (different persons) and their variances add:

* the comparison curve's, with Greenwood's covariance
  ``Cov(S(s), S(t)) = S(s) S(t) V(min(s, t))``::

      Var = sum_j g_j (sum_{t >= t_j} c_t S(t))^2,     g_j = d_j / (n_j (n_j - d_j))

  computed for every year at once from reverse cumulative sums
  (:func:`curve_variance`);
* the participants' own months: as an estimate of the case's expected effect
  their sampling variability counts too. On the first-exit clock this is the
  exact variance of the months each participant contributes *inside that
  year's window*, from their entry and counted length and their own curve
  (:func:`survival_invest.economics.variance.window_variance`, which states
  the formula), not Greenwood's variance of their whole curve.

For the occupancy clock, from the statistics alone, the per-month binomial
variances ``p (1 - p) / n`` of both groups are summed as if independent across
months: an approximation that is too narrow (a person on support this month is
likely on support next month). With the persons at hand (the in-memory
engine) :func:`survival_invest.economics.influence.person_savings` gives the
person-level (cluster-by-person) variance that accounts for that dependence,
and the pipeline uses it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from survival_invest.cohort.build import Cohort
from survival_invest.config import CaseConfig, Refusion
from survival_invest.economics.prices import month_prices
from survival_invest.economics.variance import window_variance
from survival_invest.estimate.summaries import z_value
from survival_invest.stats import CaseStatistics, as_statistics

__all__ = [
    "YearFigures",
    "curve_variance",
    "occupancy_on_grid",
    "realised_savings",
]


def curve_variance(weights: np.ndarray, survival: np.ndarray, greenwood: np.ndarray) -> np.ndarray:
    """Delta-method variance of ``sum_t w[y, t] S(t)`` for every row ``y``.

    Parameters
    ----------
    weights : ndarray, shape (Y, T)
        Weight of duration ``t = 0 .. T-1`` in each row (e.g. participant-months of a year).
    survival, greenwood : ndarray, shape (T,)
        ``S(t)`` and the Greenwood sum ``V(t)`` at ``t = 0 .. T-1``.

    Returns
    -------
    ndarray, shape (Y,)
        ``sum_j g_j A_j^2`` with ``g_j = V(j) - V(j-1)`` and ``A_j = sum_{t >= j} w_t S(t)``.
    """
    g = np.diff(greenwood, prepend=0.0)
    a = np.cumsum((weights * survival)[:, ::-1], axis=1)[:, ::-1]
    return np.asarray((a * a) @ g)


@dataclass(frozen=True)
class YearFigures:
    """Per-year saved full-time persons and kroner with 95 % intervals (``alpha`` configurable).

    ``frame`` has one row per year: ``year, saved_fte, saved_fte_se, savings_kr,
    savings_kr_se, refusion_part_kr, refusion_part_kr_se, participants, months``.
    """

    frame: pd.DataFrame
    alpha: float

    def with_limits(self) -> pd.DataFrame:
        """``frame`` plus ``<measure>_lower`` and ``_upper``: ``value -/+ z(alpha) * se`` for each measure."""
        z = z_value(self.alpha)
        f = self.frame.copy()
        for col in ("saved_fte", "savings_kr", "refusion_part_kr"):
            f[f"{col}_lower"] = f[col] - z * f[f"{col}_se"]
            f[f"{col}_upper"] = f[col] + z * f[f"{col}_se"]
        return f


def occupancy_on_grid(source: CaseStatistics | Cohort, horizon: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Occupancy share and its binomial variance ``p (1 - p) / n`` at ``t = 0 .. horizon-1``, per group.

    ``source`` is a :class:`~survival_invest.stats.CaseStatistics` or a cohort.
    Beyond the last duration anyone is followed the share is carried forward
    (the tail assumption of the module docstring).
    """
    occ = as_statistics(source).occupancy_curve()
    grid = np.arange(horizon)
    out = {}
    for g in ("comparison", "intervention"):
        o = occ[occ["group"] == g].set_index("t")
        p = o["share"].reindex(grid).ffill().fillna(1.0).to_numpy()
        n = o["followed"].reindex(grid).ffill().fillna(1.0).to_numpy()
        out[g] = (p, p * (1 - p) / np.maximum(n, 1.0))
    return out


#: The variance of ``sum_t w[y, t] S(t)`` for every row of a (Y, H) weight matrix.
_Variance = Callable[[np.ndarray], np.ndarray]


def _comparison_terms(
    stats: CaseStatistics, case: CaseConfig, horizon: int
) -> tuple[np.ndarray, _Variance, np.ndarray | None]:
    """The comparison curve on ``t = 0 .. horizon-1``, the variance of a weighted sum over it, the participants' curve.

    First exit: Kaplan-Meier with the comparison group's Greenwood variance, and
    the participants' curve for their window variance; occupancy: the share with
    both groups' binomial variances (module docstring) and no participants' curve.
    """
    grid = np.arange(horizon)
    if case.curve == "occupancy":
        occ = occupancy_on_grid(stats, horizon)
        p, var_c = occ["comparison"]
        var_unit = var_c + occ["intervention"][1]
        return p, lambda wt: np.asarray((wt * wt) @ var_unit), None
    curves = stats.curves()
    labels = list(curves.labels)
    s_all = curves.survival_at(grid)
    v_all = curves.greenwood_at(grid)
    ic, ii = labels.index("comparison"), labels.index("intervention")
    s_grid, v_grid = s_all[ic], v_all[ic]
    return s_grid, lambda wt: curve_variance(wt, s_grid, v_grid), s_all[ii]


def _year_index(year: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the years from the first to the last of ``year``, each value's position among them)."""
    years = np.arange(int(year.min()), int(year.max()) + 1) if year.size else np.zeros(0, dtype=np.int64)
    yi = (year - (years[0] if years.size else 0)).astype(np.int64)
    return years, yi


def realised_savings(
    source: CaseStatistics | Cohort,
    case: CaseConfig,
    *,
    price_index: Mapping[int, float],
    price_level: int,
    refusion: Refusion,
    alpha: float = 0.05,
) -> YearFigures:
    """Realised saved full-time persons and kroner per calendar year (see the module docstring).

    Computed from the sufficient statistics alone: per participant cell
    (calendar month ``m``, duration ``t``, benefit group, prior periods) with
    ``n`` counted participant-months of which ``o`` observed on support,
    ``saved = n S_comparison(t) - o``; kroner weight the cell by the group's
    monthly cost times the municipal net share at week
    ``prior_weeks + 52/12 t + 1``.

    Parameters
    ----------
    source : CaseStatistics or Cohort
        The case's sufficient statistics (any engine), or an in-memory cohort.
    case : CaseConfig
        Horizon, curve definition and cost per full-time person.
    price_index : mapping of int to float
        The run's price index.
    price_level : int
        The run's price level year.
    refusion : Refusion
        The refusion staircase and the pre-reform share.
    alpha : float
        1 - level of the intervals.

    Returns
    -------
    YearFigures
        Years from the first participant's entry to the cut-off's year.
    """
    stats = as_statistics(source)
    horizon = int(case.horizon)
    occupancy = case.curve == "occupancy"
    part = stats.participants
    part = part[part["t"] < horizon]
    n = part["followed" if occupancy else "counted"].to_numpy().astype(np.float64)
    keep = n > 0
    part, n = part[keep], n[keep]
    t = part["t"].to_numpy().astype(np.int64)
    comparison, variance, own_curve = _comparison_terms(stats, case, horizon)
    expected = n * comparison[t]
    observed = part["share_sum"].to_numpy() if occupancy else part["in_spell"].to_numpy().astype(np.float64)
    saved = expected - observed
    kr, ref_w = month_prices(
        part,
        case,
        week_factor=stats.week_factor,
        price_index=price_index,
        price_level=price_level,
        refusion=refusion,
    )
    years, yi = _year_index(part["month"].to_numpy() // 12)
    n_y = years.shape[0]

    def by_year(values: np.ndarray) -> np.ndarray:
        """Sum of ``values`` per year."""
        return np.bincount(yi, weights=values, minlength=n_y)

    own = (
        window_variance(part, n, np.stack([np.ones_like(kr), kr, ref_w]), own_curve, yi, n_y)
        if own_curve is not None
        else np.zeros((3, n_y))
    )

    def se_of(w: np.ndarray, k: int) -> np.ndarray:
        """Delta-method SE per year of measure ``k`` (cell price ``w``): comparison part plus participants' part."""
        wt = np.bincount(yi * horizon + t, weights=w * n, minlength=n_y * horizon).reshape(n_y, horizon)
        return np.sqrt(variance(wt) + own[k])

    frame = pd.DataFrame(
        {
            "year": years,
            "saved_fte": by_year(saved) / 12.0,
            "saved_fte_se": se_of(np.ones_like(saved), 0) / 12.0,
            "savings_kr": by_year(saved * kr),
            "savings_kr_se": se_of(kr, 1),
            "refusion_part_kr": by_year(saved * ref_w),
            "refusion_part_kr_se": se_of(ref_w, 2),
            "participants": _participants_by_year(stats.entrants, years),
            "months": by_year(n),
        }
    )
    return YearFigures(frame, alpha)


def _participants_by_year(entrants: pd.DataFrame, years: np.ndarray) -> np.ndarray:
    """Participants who had entered by the end of each year."""
    entry_year = entrants["entry"].to_numpy() // 12
    per_year = entrants["n"].to_numpy()
    order = np.argsort(entry_year, kind="stable")
    cum = np.concatenate([[0], np.cumsum(per_year[order])])
    return np.asarray(cum[np.searchsorted(entry_year[order], years, side="right")])
