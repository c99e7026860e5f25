"""From curves to kroner: saved full-time persons, refusion, price level, per calendar year.

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

**Forecast** (curve-based, the whole year). With the inflow ``n_e`` of
participants by calendar month (realised entries up to the cut-off, the
configured planned inflow after it)::

    saved(m) = sum_e n_e [S_comparison(m - e) - S_intervention(m - e)],  0 <= m - e < horizon

a convolution (``np.convolve``). *Tail assumption*: beyond the last observed
duration of a curve it stays at its last value (Kaplan-Meier's own
convention); nothing is counted at or beyond the case horizon. The forecast of
a year is the curve-based figure for all its months, so for a year already
observed it estimates the same quantity as the realised figure.

**Kroner**. Each saved month is priced at the gross yearly cost of one
full-time person on the participant's benefit group ÷ 12, converted from the
case's ``cost_price_year`` to the run's price level with the price index, and
net of the state refusion share at the participant's week of support
``prior_weeks + 52/12 * t + 1`` (staircase from the config). The "of which
refusion reform" part is the saving under the staircase minus the saving under
the flat pre-reform share (seed 000, table 3). For the forecast, entrants are
priced at the participants' mean monthly cost and mean prior weeks.

**Uncertainty** (delta method from the curves, 95 % by default). A yearly figure
is ``sum_t c_t S(t)`` plus observed constants, with ``c_t`` the (kroner or
month) weight of the participant-months at duration ``t``. With Greenwood's
covariance ``Cov(S(s), S(t)) = S(s) S(t) V(min(s, t))``::

    Var = sum_j g_j (sum_{t >= t_j} c_t S(t))^2,     g_j = d_j / (n_j (n_j - d_j))

computed for every year at once from reverse cumulative sums. Realised figures
carry the comparison curve's uncertainty (the participants' own months are
observed, but as an estimate of the case's expected effect their own
sampling variability counts too, so the participants' curve's Greenwood
variance is added with the same weights); forecasts likewise carry both
curves' (independent groups, variances add).
For the occupancy clock the per-month binomial variances ``p (1 - p) / n`` are
summed as if independent across months (an approximation; the bootstrap of
the statistician's toolkit is the check).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from survival_invest.config import CaseConfig, ConfigError, Refusion, RefusionBand
from survival_invest.estimate.summaries import z_value

__all__ = [
    "YearFigures",
    "convert_price",
    "curve_variance",
    "forecast_savings",
    "forecast_weights",
    "month_prices",
    "monthly_costs",
    "occupancy_on_grid",
    "price_factor",
    "realised_savings",
    "refusion_share",
    "support_week",
]

WEEKS_PER_MONTH = 52.0 / 12.0


def price_factor(index: Mapping[int, float], from_year: int, to_year: int) -> float:
    """Factor turning amounts in ``from_year`` prices into ``to_year`` prices: ``index[to] / index[from]``."""
    for y in (from_year, to_year):
        if y not in index:
            raise ConfigError(f"no price index for {y}; the index has {sorted(index)}")
    return index[to_year] / index[from_year]


def convert_price(amount: float | np.ndarray, index: Mapping[int, float], from_year: int, to_year: int):
    """Convert ``amount`` from ``from_year`` to ``to_year`` price level."""
    return amount * price_factor(index, from_year, to_year)


def refusion_share(weeks: np.ndarray, bands: tuple[RefusionBand, ...]) -> np.ndarray:
    """State refusion share at the given week(s) of support (1-based), by the staircase ``bands``."""
    starts = np.array([b.from_week for b in bands], dtype=np.float64)
    shares = np.array([b.share for b in bands], dtype=np.float64)
    idx = np.searchsorted(starts, np.asarray(weeks, dtype=np.float64), side="right") - 1
    return shares[np.clip(idx, 0, len(bands) - 1)]


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
    return (a * a) @ g


@dataclass(frozen=True)
class YearFigures:
    """Per-year saved full-time persons and kroner with 95 % intervals (``alpha`` configurable).

    ``frame`` has one row per year: ``year, saved_fte, saved_fte_se, savings_kr,
    savings_kr_se, refusion_part_kr, refusion_part_kr_se, participants, months``.
    """

    frame: pd.DataFrame
    alpha: float

    def with_limits(self) -> pd.DataFrame:
        z = z_value(self.alpha)
        f = self.frame.copy()
        for col in ("saved_fte", "savings_kr", "refusion_part_kr"):
            f[f"{col}_lower"] = f[col] - z * f[f"{col}_se"]
            f[f"{col}_upper"] = f[col] + z * f[f"{col}_se"]
        return f


def _statistics(source):
    """A :class:`~survival_invest.stats.CaseStatistics` from itself or from an in-memory cohort."""
    from survival_invest.stats import CaseStatistics, case_statistics

    return source if isinstance(source, CaseStatistics) else case_statistics(source)


def occupancy_on_grid(source, horizon: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Occupancy share and its binomial variance ``p (1 - p) / n`` at ``t = 0 .. horizon-1``, per group.

    ``source`` is a :class:`~survival_invest.stats.CaseStatistics` or a cohort.
    Beyond the last duration anyone is followed the share is carried forward
    (the tail assumption of the module docstring).
    """
    occ = _statistics(source).occupancy_curve()
    grid = np.arange(horizon)
    out = {}
    for g in ("comparison", "intervention"):
        o = occ[occ["group"] == g].set_index("t")
        p = o["share"].reindex(grid).ffill().fillna(1.0).to_numpy()
        n = o["followed"].reindex(grid).ffill().fillna(1.0).to_numpy()
        out[g] = (p, p * (1 - p) / np.maximum(n, 1.0))
    return out


def monthly_costs(persons: pd.DataFrame, case: CaseConfig, index: Mapping[int, float], price_level: int) -> np.ndarray:
    """Gross monthly cost (kr., run price level) of one person on each row's benefit group ("" = unknown)."""
    factor = price_factor(index, case.cost_price_year or price_level, price_level)
    bg = persons["benefit_group"].astype(object)
    groups = bg.where(bg.notna() & (bg != ""), None).to_numpy()
    uniq = pd.unique(groups)
    lut = {g: case.cost_for(g) / 12.0 * factor for g in uniq}  # a few benefit groups, not persons
    return pd.Series(groups).map(lut).to_numpy(dtype=np.float64)


def _net_factors(weeks: np.ndarray, refusion: Refusion) -> tuple[np.ndarray, np.ndarray]:
    """(municipal net share under the staircase, net share under the pre-reform flat refusion)."""
    if not refusion.enabled:
        one = np.ones_like(weeks, dtype=np.float64)
        return one, one
    return 1.0 - refusion_share(weeks, refusion.bands), np.full(weeks.shape, 1.0 - refusion.pre_reform_share)


def realised_savings(
    source,
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
    price_index, price_level : the run's price index and price level year.
    refusion : Refusion

    Returns
    -------
    YearFigures
        Years from the first participant's entry to the cut-off's year.
    """
    stats = _statistics(source)
    horizon = int(case.horizon)
    occupancy = case.curve == "occupancy"
    part = stats.participants
    part = part[part["t"] < horizon]
    n = part["followed" if occupancy else "counted"].to_numpy().astype(np.float64)
    keep = n > 0
    part, n = part[keep], n[keep]
    t = part["t"].to_numpy().astype(np.int64)
    year = part["month"].to_numpy() // 12
    t_len = horizon
    grid = np.arange(t_len)

    if occupancy:
        occ = occupancy_on_grid(stats, t_len)
        p, var_c = occ["comparison"]
        expected = n * p[t]
        observed = part["share_sum"].to_numpy()
        var_unit = var_c + occ["intervention"][1]
    else:
        curves = stats.curves()
        labels = list(curves.labels)
        s_all = curves.survival_at(grid)
        v_all = curves.greenwood_at(grid)
        ic, ii = labels.index("comparison"), labels.index("intervention")
        s_grid, v_grid = s_all[ic], v_all[ic]
        si_grid, vi_grid = s_all[ii], v_all[ii]
        expected = n * s_grid[t]
        observed = part["in_spell"].to_numpy().astype(np.float64)

    saved = expected - observed
    monthly_cost = monthly_costs(part, case, price_index, price_level)
    weeks = support_week(part["prior_periods"].to_numpy(), t, stats.week_factor)
    net, pre = _net_factors(weeks, refusion)
    kr = monthly_cost * net
    ref_w = monthly_cost * (net - pre)

    years = np.arange(int(year.min()), int(year.max()) + 1) if year.size else np.zeros(0, dtype=np.int64)
    yi = (year - (years[0] if years.size else 0)).astype(np.int64)
    n_y = years.shape[0]

    def by_year(values: np.ndarray) -> np.ndarray:
        return np.bincount(yi, weights=values, minlength=n_y)

    def weights_by_year_t(w: np.ndarray) -> np.ndarray:
        return np.bincount(yi * t_len + t, weights=w, minlength=n_y * t_len).reshape(n_y, t_len)

    def var_of(w: np.ndarray) -> np.ndarray:
        wt = weights_by_year_t(w * n)
        if occupancy:
            return (wt * wt) @ var_unit
        return curve_variance(wt, s_grid, v_grid) + curve_variance(wt, si_grid, vi_grid)

    frame = pd.DataFrame(
        {
            "year": years,
            "saved_fte": by_year(saved) / 12.0,
            "saved_fte_se": np.sqrt(var_of(np.ones_like(saved))) / 12.0,
            "savings_kr": by_year(saved * kr),
            "savings_kr_se": np.sqrt(var_of(kr)),
            "refusion_part_kr": by_year(saved * ref_w),
            "refusion_part_kr_se": np.sqrt(var_of(ref_w)),
            "participants": _participants_by_year(stats.entrants, years),
            "months": by_year(n),
        }
    )
    return YearFigures(frame, alpha)


def support_week(prior_periods: np.ndarray, t: np.ndarray, week_factor: float) -> np.ndarray:
    """Week of support of participant-month ``t``: ``prior_weeks + 52/12 t + 1``, rounded once.

    With ``prior_weeks = prior_periods * week_factor`` (1 for weekly source data,
    52/12 for monthly) the value is ``(12 prior_weeks + 52 t) / 12 + 1`` with an
    integer numerator, so weeks that are whole numbers come out exact and fall
    in the right refusion band (a float sum of 52/12 steps can land a hair
    below a band boundary).
    """
    per = 52 if week_factor != 1.0 else 12
    numerator = np.asarray(prior_periods, dtype=np.int64) * per + 52 * np.asarray(t, dtype=np.int64)
    return numerator / 12.0 + 1.0


def _participants_by_year(entrants: pd.DataFrame, years: np.ndarray) -> np.ndarray:
    """Participants who had entered by the end of each year."""
    entry_year = entrants["entry"].to_numpy() // 12
    per_year = entrants["n"].to_numpy()
    order = np.argsort(entry_year, kind="stable")
    cum = np.concatenate([[0], np.cumsum(per_year[order])])
    return cum[np.searchsorted(entry_year[order], years, side="right")]


def forecast_savings(
    comparison_survival: np.ndarray,
    comparison_greenwood: np.ndarray | None,
    intervention_survival: np.ndarray,
    intervention_greenwood: np.ndarray | None,
    inflow: pd.Series,
    years: tuple[int, ...],
    *,
    monthly_cost: float,
    prior_weeks: float,
    refusion: Refusion,
    alpha: float = 0.05,
    unit_variance: np.ndarray | None = None,
) -> YearFigures:
    """Curve-based saved full-time persons and kroner per calendar year.

    Parameters
    ----------
    comparison_survival, comparison_greenwood, intervention_survival, intervention_greenwood : ndarray, shape (H,)
        ``S(t)`` and Greenwood ``V(t)`` at ``t = 0 .. H-1`` (``H`` = case horizon),
        already carried flat beyond the last observed duration.
    inflow : Series
        Participants entering per calendar month number (index: month numbers).
    years : tuple of int
        Calendar years to report.
    monthly_cost : float
        Gross monthly cost of one full-time person (kr., run price level).
    prior_weeks : float
        Weeks on support before entry assumed for entrants (refusion staircase).
    unit_variance : ndarray, shape (H,), optional
        For occupancy curves (no Greenwood sums): the variance of
        ``S_c(t) - S_i(t)`` per duration, summed over durations as if
        independent (see the module docstring). Pass the greenwood arrays as None.

    Returns
    -------
    YearFigures
    """
    h = comparison_survival.shape[0]
    delta = comparison_survival - intervention_survival
    weights = forecast_weights(inflow, years, h, monthly_cost=monthly_cost, prior_weeks=prior_weeks, refusion=refusion)
    entry_year = inflow.index.to_numpy().astype(np.int64) // 12 if len(inflow) else np.zeros(0, dtype=np.int64)
    rows = []
    for yi, y in enumerate(years):  # a few budget years
        w, kr_w, ref_wt = weights[:, yi, :]
        var = {}
        for name, ww in (("fte", w), ("kr", kr_w), ("ref", ref_wt)):
            if unit_variance is not None:
                var[name] = float((ww * ww) @ unit_variance)
            else:
                var[name] = float(
                    curve_variance(ww[None, :], comparison_survival, comparison_greenwood)[0]
                    + curve_variance(ww[None, :], intervention_survival, intervention_greenwood)[0]
                )
        rows.append(
            {
                "year": y,
                "saved_fte": float(w @ delta) / 12.0,
                "saved_fte_se": np.sqrt(var["fte"]) / 12.0,
                "savings_kr": float(kr_w @ delta),
                "savings_kr_se": np.sqrt(var["kr"]),
                "refusion_part_kr": float(ref_wt @ delta),
                "refusion_part_kr_se": np.sqrt(var["ref"]),
                "participants": float(inflow.to_numpy()[entry_year <= y].sum()),
                "months": float(w.sum()),
            }
        )
    return YearFigures(pd.DataFrame(rows), alpha)


def month_prices(
    cells: pd.DataFrame,
    case: CaseConfig,
    *,
    week_factor: float,
    price_index: Mapping[int, float],
    price_level: int,
    refusion: Refusion,
) -> tuple[np.ndarray, np.ndarray]:
    """Kroner of one saved month in each participant cell, and its refusion-reform part.

    The prices :func:`realised_savings` puts on a cell: the monthly cost of the
    cell's benefit group (run price level) times the municipal net share at
    week ``support_week(prior_periods, t, week_factor)``; the reform part is
    the cost times (net share under the staircase - net share under the flat
    pre-reform refusion).

    Parameters
    ----------
    cells : DataFrame
        Columns ``benefit_group`` (``""`` = unknown), ``prior_periods`` and ``t``.
    case : CaseConfig
    week_factor : float
        Weeks per source period (1 or 52/12).
    price_index, price_level, refusion
        As for :func:`realised_savings`.

    Returns
    -------
    (kroner, reform_part) : tuple of ndarray, shape (len(cells),)
    """
    cost = monthly_costs(cells, case, price_index, price_level)
    weeks = support_week(cells["prior_periods"].to_numpy(), cells["t"].to_numpy(), week_factor)
    net, pre = _net_factors(weeks, refusion)
    return cost * net, cost * (net - pre)


def forecast_weights(
    inflow: pd.Series,
    years: tuple[int, ...],
    horizon: int,
    *,
    monthly_cost: float,
    prior_weeks: float,
    refusion: Refusion,
) -> np.ndarray:
    """The linear weights of :func:`forecast_savings`: figures = ``weights @ (S_c - S_i)``.

    For fixed inflow, prices and prior weeks the forecast of every year is a
    weighted sum over durations of the difference between the curves, so a
    bootstrap of the curves needs only these weights.

    Returns
    -------
    ndarray, shape (3, len(years), horizon)
        Rows: saved *months* (divide by 12 for full-time persons), kroner, and
        the refusion-reform part of the kroner, per year and duration
        ``t = 0 .. horizon-1``.
    """
    t = np.arange(horizon)
    net, pre = _net_factors(prior_weeks + WEEKS_PER_MONTH * t + 1.0, refusion)
    first_month = min(int(inflow.index.min()) if len(inflow) else years[0] * 12, years[0] * 12)
    last_month = years[-1] * 12 + 11
    n_months = last_month - first_month + 1
    n_e = np.zeros(n_months)
    if len(inflow):
        idx = inflow.index.to_numpy().astype(np.int64) - first_month
        ok = (idx >= 0) & (idx < n_months)
        np.add.at(n_e, idx[ok], inflow.to_numpy()[ok])
    month_year = (first_month + np.arange(n_months)) // 12
    # w[y, t] = sum over the months m of year y of n_e[m - t]: a (years x months x durations) gather
    in_year = month_year[None, :] == np.asarray(years)[:, None]
    back = np.arange(n_months)[:, None] - t[None, :]
    gathered = np.where(back >= 0, n_e[np.clip(back, 0, None)], 0.0)
    w = in_year.astype(np.float64) @ gathered
    return np.stack([w, w * monthly_cost * net, w * monthly_cost * (net - pre)])
