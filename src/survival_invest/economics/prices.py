"""What one saved month is worth: price level, benefit-group cost, and the state refusion.

Rules (DOMAIN.md, "From curves to kroner")
------------------------------------------
* A saved month of a person on benefit group ``g`` costs the case's gross
  yearly cost of one full-time person on ``g`` ÷ 12
  (:meth:`~survival_invest.config.CaseConfig.cost_for`), converted from the
  case's ``cost_price_year`` to the run's price level with the price index:
  ``amount * index[to] / index[from]``.
* The municipality pays the gross cost minus the state refusion: the net share
  at week of support ``w`` is ``1 - refusion_share(w)``, a staircase of
  ``(from_week, share)`` bands from the config. The week of support of
  duration ``t`` (months since entry) is ``prior_weeks + 52/12 t + 1``
  (:func:`support_week`).
* The "of which refusion reform" part is the cost times (net share under the
  staircase - net share under the flat pre-reform refusion).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from survival_invest.config import CaseConfig, ConfigError, Refusion, RefusionBand

__all__ = [
    "WEEKS_PER_MONTH",
    "convert_price",
    "month_prices",
    "monthly_costs",
    "net_factors",
    "price_factor",
    "refusion_share",
    "support_week",
]

#: Weeks in an average month (52/12), the step of the week of support per month of duration.
WEEKS_PER_MONTH = 52.0 / 12.0


def price_factor(index: Mapping[int, float], from_year: int, to_year: int) -> float:
    """Factor turning amounts in ``from_year`` prices into ``to_year`` prices: ``index[to] / index[from]``.

    Parameters
    ----------
    index : mapping of int to float
        The price index by year.
    from_year, to_year : int
        The price level of the amount and the price level wanted.

    Returns
    -------
    float

    Raises
    ------
    ConfigError
        A year missing from the index.
    """
    for y in (from_year, to_year):
        if y not in index:
            raise ConfigError(f"no price index for {y}; the index has {sorted(index)}")
    return index[to_year] / index[from_year]


def convert_price(
    amount: float | np.ndarray, index: Mapping[int, float], from_year: int, to_year: int
) -> float | np.ndarray:
    """Convert ``amount`` from ``from_year`` to ``to_year`` price level: ``amount * price_factor(...)``.

    Parameters
    ----------
    amount : float or ndarray
        Kroner at ``from_year`` prices.
    index : mapping of int to float
        The price index by year.
    from_year, to_year : int
        The price level of ``amount`` and the price level wanted.

    Returns
    -------
    float or ndarray
        Kroner at ``to_year`` prices.
    """
    return amount * price_factor(index, from_year, to_year)


def refusion_share(weeks: np.ndarray, bands: tuple[RefusionBand, ...]) -> np.ndarray:
    """State refusion share at the given week(s) of support (1-based), by the staircase ``bands``.

    The share of week ``w`` is that of the last band with ``from_week <= w``
    (the first band's below the first start).
    """
    starts = np.array([b.from_week for b in bands], dtype=np.float64)
    shares = np.array([b.share for b in bands], dtype=np.float64)
    idx = np.searchsorted(starts, np.asarray(weeks, dtype=np.float64), side="right") - 1
    return shares[np.clip(idx, 0, len(bands) - 1)]


def support_week(prior_periods: np.ndarray, t: np.ndarray, week_factor: float) -> np.ndarray:
    """Week of support of participant-month ``t``: ``prior_weeks + 52/12 t + 1``, rounded once.

    With ``prior_weeks = prior_periods * week_factor`` (1 for weekly source data,
    52/12 for monthly) the value is ``(12 prior_weeks + 52 t) / 12 + 1`` with an
    integer numerator, so weeks that are whole numbers come out exact and fall
    in the right refusion band (a float sum of 52/12 steps can land a hair
    below a band boundary).

    Parameters
    ----------
    prior_periods : ndarray of int
        Source periods on support before entry.
    t : ndarray of int
        Months since entry.
    week_factor : float
        Weeks per source period (1 or 52/12).

    Returns
    -------
    ndarray of float
    """
    per = 52 if week_factor != 1.0 else 12
    numerator = np.asarray(prior_periods, dtype=np.int64) * per + 52 * np.asarray(t, dtype=np.int64)
    return numerator / 12.0 + 1.0


def monthly_costs(persons: pd.DataFrame, case: CaseConfig, index: Mapping[int, float], price_level: int) -> np.ndarray:
    """Gross monthly cost (kr., run price level) of one person on each row's benefit group ("" = unknown).

    ``case.cost_for(group) / 12 * price_factor(index, case.cost_price_year, price_level)``.

    Parameters
    ----------
    persons : DataFrame
        Column ``benefit_group``.
    case : CaseConfig
        Costs per full-time person and their price year.
    index : mapping of int to float
        The price index by year.
    price_level : int
        The run's price level year.

    Returns
    -------
    ndarray, shape (len(persons),)
    """
    factor = price_factor(index, case.cost_price_year or price_level, price_level)
    bg = persons["benefit_group"].astype(object)
    groups = bg.where(bg.notna() & (bg != ""), None).to_numpy()
    uniq = pd.unique(groups)
    lut = {g: case.cost_for(g) / 12.0 * factor for g in uniq}  # a few benefit groups, not persons
    return pd.Series(groups).map(lut).to_numpy(dtype=np.float64)


def net_factors(weeks: np.ndarray, refusion: Refusion) -> tuple[np.ndarray, np.ndarray]:
    """(municipal net share under the staircase, net share under the pre-reform flat refusion) at ``weeks``.

    ``1 - refusion_share(weeks)`` and ``1 - pre_reform_share``; both 1 when refusion is disabled.
    """
    if not refusion.enabled:
        one = np.ones_like(weeks, dtype=np.float64)
        return one, one
    return 1.0 - refusion_share(weeks, refusion.bands), np.full(weeks.shape, 1.0 - refusion.pre_reform_share)


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

    The prices :func:`~survival_invest.economics.realised_savings` puts on a
    cell: the monthly cost of the cell's benefit group (run price level) times
    the municipal net share at week ``support_week(prior_periods, t,
    week_factor)``; the reform part is the cost times (net share under the
    staircase - net share under the flat pre-reform refusion).

    Parameters
    ----------
    cells : DataFrame
        Columns ``benefit_group`` (``""`` = unknown), ``prior_periods`` and ``t``.
    case : CaseConfig
    week_factor : float
        Weeks per source period (1 or 52/12).
    price_index : mapping of int to float
        The run's price index.
    price_level : int
        The run's price level year.
    refusion : Refusion
        The staircase and the pre-reform share.

    Returns
    -------
    (kroner, reform_part) : tuple of ndarray, shape (len(cells),)
    """
    cost = monthly_costs(cells, case, price_index, price_level)
    weeks = support_week(cells["prior_periods"].to_numpy(), cells["t"].to_numpy(), week_factor)
    net, pre = net_factors(weeks, refusion)
    return cost * net, cost * (net - pre)
