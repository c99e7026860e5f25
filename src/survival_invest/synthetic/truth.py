"""The true realised saved full-time persons and kroner of a synthetic case.

The realised figure of :func:`survival_invest.economics.realised_savings` sums,
over the participant-months it *counts* (``t < min(counted_i, horizon)``, see
:func:`survival_invest.stats.counted_and_spell`), the comparison curve minus the participant's own
status. Under the simulation model the expected status of a participant at
duration ``t`` is the true intervention curve ``S_i(t)``, so the estimand is::

    truth(y) = sum_{counted cells in year y} counted * [S_c(t) - S_i(t)] * price(cell)

with the *true* first-exit curves of the :class:`~survival_invest.synthetic.CaseSpec`
(comparison = non-participants) and the same prices per cell as the estimator
(:func:`survival_invest.economics.month_prices`): price 1/12 for full-time
persons, kroner and the refusion-reform part for the others. It is the truth
*for the months actually observed* (it conditions on who entered when and how
long each participant was followed), which is what the realised figure
estimates. First-exit clock only (``durable_exit = 1``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from survival_invest.cohort.build import Cohort
from survival_invest.config import CaseConfig, Portfolio
from survival_invest.economics.prices import month_prices
from survival_invest.stats import CaseStatistics, as_statistics
from survival_invest.synthetic.extracts import CaseSpec

__all__ = ["realised_truth"]


def realised_truth(
    statistics: CaseStatistics | Cohort, spec: CaseSpec, case: CaseConfig, config: Portfolio
) -> pd.DataFrame:
    """True realised saved full-time persons and kroner per year of a simulated case.

    Parameters
    ----------
    statistics : CaseStatistics or Cohort
        The case's sufficient statistics (or its in-memory cohort).
    spec : CaseSpec
        The simulated case (true hazards).
    case : CaseConfig
        Horizon and costs.
    config : Portfolio
        Price index, price level and refusion.

    Returns
    -------
    DataFrame
        ``year, saved_fte, savings_kr, refusion_part_kr`` (kroner positive = saved).
    """
    stats = as_statistics(statistics)
    horizon = int(case.horizon)
    part = stats.participants
    part = part[(part["t"] < horizon) & (part["counted"] > 0)]
    t = part["t"].to_numpy().astype(np.int64)
    delta = spec.survival("comparison", horizon) - spec.survival("intervention", horizon)
    saved = part["counted"].to_numpy().astype(np.float64) * delta[t]
    kr, ref = month_prices(
        part,
        case,
        week_factor=stats.week_factor,
        price_index=config.run.price_index,
        price_level=config.run.price_level,
        refusion=config.refusion,
    )
    frame = pd.DataFrame(
        {
            "year": part["month"].to_numpy() // 12,
            "saved_fte": saved / 12.0,
            "savings_kr": saved * kr,
            "refusion_part_kr": saved * ref,
        }
    )
    return frame.groupby("year", as_index=False).sum()
