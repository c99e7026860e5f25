"""What the forecast's entrants are and what their saved months are worth: inflow and prices per entry month.

A realised entrant is priced at its own cell: its benefit group's monthly cost
times the municipal net share at its own week of support ``prior_weeks +
52/12 t + 1`` (:func:`~survival_invest.economics.prices.month_prices`, the
rule of the realised figures). A planned entrant is priced at the realised
entrants' *average price per duration*, the mean over their cells of that
price, not the price at their mean prior weeks: the refusion staircase is not
linear in the weeks, so the two differ (the mean prior weeks overstated the
entry year's forecast kroner by up to 3.5 % on seed 7). Without realised
entrants a planned entrant costs the unknown benefit group's cost at 0 prior
weeks. :func:`entrant_prices` (the mean cost and mean prior weeks) remains for
callers of :func:`~survival_invest.economics.forecast_savings` that give one price.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from survival_invest.config import CaseConfig, Portfolio
from survival_invest.economics.prices import WEEKS_PER_MONTH, month_prices, monthly_costs, net_factors
from survival_invest.io.periods import parse_as_of
from survival_invest.stats import CaseStatistics

__all__ = ["convolve_inflow", "entrant_price_mass", "entrant_prices", "inflow", "planned_inflow"]


def planned_inflow(case: CaseConfig, cutoff: int) -> pd.Series:
    """Planned entrants per month number from ``cutoff + 1`` (the config's planned inflow steps added up)."""
    planned: dict[int, float] = {}
    for step in case.planned_inflow:
        start, end = parse_as_of(step.start, "month"), parse_as_of(step.end, "month")
        for m in range(max(start, cutoff + 1), end + 1):  # months of a plan, not persons
            planned[m] = planned.get(m, 0.0) + step.per_month
    return pd.Series(planned, dtype=float)


def inflow(stats: CaseStatistics, case: CaseConfig, cutoff: int) -> pd.Series:
    """Participants entering per month: realised up to the cut-off, planned (config) after it.

    Parameters
    ----------
    stats : CaseStatistics
        The realised entrants (``stats.entrants``).
    case : CaseConfig
        The planned inflow steps ``(start, end, per_month)``.
    cutoff : int
        The data cut-off (month number); plans count from ``cutoff + 1``.

    Returns
    -------
    Series
        Entrants per month number, sorted by month; realised and planned
        entrants of the same month are added.
    """
    realised = stats.entrants.groupby("entry")["n"].sum().astype(float)
    return pd.concat([realised, planned_inflow(case, cutoff)]).groupby(level=0).sum().sort_index()


def entrant_prices(
    stats: CaseStatistics, case: CaseConfig, price_index: Mapping[int, float], price_level: int
) -> tuple[float, float]:
    """The participants' mean monthly cost and mean prior weeks (a summary; the forecast prices by cell).

    ``monthly_cost = sum_e n_e cost(bg_e) / sum_e n_e`` and ``prior_weeks =
    sum_e n_e prior_periods_e week_factor / sum_e n_e`` over the entrant cells
    ``e`` of ``stats.entrants``; without entrants, the cost of an unknown
    benefit group ÷ 12 and 0 weeks. :func:`case_forecast` no longer prices at
    these means (:func:`entrant_price_mass`); they remain the inputs of
    :func:`forecast_savings` for callers who give one price.

    Parameters
    ----------
    stats : CaseStatistics
    case : CaseConfig
        Costs per full-time person.
    price_index : mapping of int to float
        The run's price index.
    price_level : int
        The run's price level year.

    Returns
    -------
    (monthly_cost, prior_weeks) : tuple of float
    """
    ent = stats.entrants
    n_ent = ent["n"].to_numpy().astype(np.float64)
    total = float(n_ent.sum())
    costs = monthly_costs(ent, case, price_index, price_level)
    monthly_cost = float(costs @ n_ent) / total if total else case.cost_for(None) / 12.0
    prior = float((ent["prior_periods"].to_numpy() * stats.week_factor) @ n_ent) / total if total else 0.0
    return monthly_cost, prior


def entrant_price_mass(
    stats: CaseStatistics, case: CaseConfig, config: Portfolio, *, cutoff: int, months: np.ndarray, horizon: int
) -> np.ndarray:
    """Entrants and their kroner per entry month and duration: the masses the forecast convolves.

    ``mass[0, e, t]`` is the number of entrants of month ``months[e]``;
    ``mass[1, e, t]`` the kroner one saved month at duration ``t`` is worth
    summed over them, ``mass[2, e, t]`` its refusion-reform part. Realised
    entrants are priced at their own cells, planned entrants at the realised
    entrants' average price per duration (module docstring).

    Parameters
    ----------
    stats : CaseStatistics
        The realised entrant cells (``entry, benefit_group, prior_periods, n``).
    case : CaseConfig
        Costs and the planned inflow.
    config : Portfolio
        Price index, price level and refusion.
    cutoff : int
        The data cut-off (month number); plans count after it.
    months : ndarray of int, shape (M,)
        The calendar month numbers of the rows (consecutive).
    horizon : int
        Durations ``t = 0 .. horizon-1``.

    Returns
    -------
    ndarray, shape (3, M, horizon)
    """
    ent = stats.entrants
    t = np.arange(horizon)
    n_c = ent["n"].to_numpy().astype(np.float64)
    cells = pd.DataFrame(
        {
            "benefit_group": np.repeat(ent["benefit_group"].to_numpy(), horizon),
            "prior_periods": np.repeat(ent["prior_periods"].to_numpy(), horizon),
            "t": np.tile(t, len(ent)),
        }
    )
    run, refusion = config.run, config.refusion
    kr, ref = month_prices(
        cells,
        case,
        week_factor=stats.week_factor,
        price_index=run.price_index,
        price_level=run.price_level,
        refusion=refusion,
    )
    kr, ref = kr.reshape(len(ent), horizon) * n_c[:, None], ref.reshape(len(ent), horizon) * n_c[:, None]
    mass = np.zeros((3, months.shape[0], horizon))
    row = ent["entry"].to_numpy().astype(np.int64) - int(months[0])
    ok = (row >= 0) & (row < months.shape[0])
    for k, values in enumerate((np.repeat(n_c[:, None], horizon, axis=1), kr, ref)):  # three measures
        np.add.at(mass[k], row[ok], values[ok])
    total = float(n_c.sum())
    if total:
        mean_kr, mean_ref = kr.sum(axis=0) / total, ref.sum(axis=0) / total
    else:
        cost = monthly_costs(pd.DataFrame({"benefit_group": [""]}), case, run.price_index, run.price_level)[0]
        net, pre = net_factors(WEEKS_PER_MONTH * t + 1.0, refusion)
        mean_kr, mean_ref = cost * net, cost * (net - pre)
    planned = planned_inflow(case, cutoff).reindex(months, fill_value=0.0).to_numpy()
    mass += planned[None, :, None] * np.stack([np.ones(horizon), mean_kr, mean_ref])[:, None, :]
    return mass


def convolve_inflow(mass: np.ndarray, months: np.ndarray, years: tuple[int, ...], horizon: int) -> np.ndarray:
    """Each year's weight of duration ``t``: ``w[k, y, t] = sum_{m in year y} mass[k, m - t, t]``.

    Parameters
    ----------
    mass : ndarray, shape (K, M, H)
        Per entry month (rows ``months``) and duration: entrants or their kroner.
    months : ndarray of int, shape (M,)
        The consecutive calendar month numbers of the rows.
    years : tuple of int
        Calendar years.
    horizon : int
        ``H``.

    Returns
    -------
    ndarray, shape (K, len(years), H)
    """
    t = np.arange(horizon)
    back = np.arange(months.shape[0])[:, None] - t[None, :]
    valid = back >= 0
    gathered = np.where(valid[None], mass[:, np.clip(back, 0, None), t[None, :]], 0.0)
    in_year = ((months // 12)[None, :] == np.asarray(years)[:, None]).astype(np.float64)
    return np.einsum("ym,kmt->kyt", in_year, gathered)
