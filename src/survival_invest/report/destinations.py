"""Where people went: a case's destinations for the report (``destinations = true``).

Three pure parts, from a cohort's persons (``Cohort.persons`` with its
``destination`` column, :mod:`survival_invest.cohort.destinations`):

* :func:`destination_curves`: the Aalen-Johansen cumulative incidence of each
  destination per group (:func:`survival_invest.cumulative_incidence`);
* :func:`destination_shares`: the table "share in job / education / flex job /
  other (and still on support) at 6, 12, 24 months" per group; a group with
  fewer than ``min_persons`` persons is shown as suppressed (NaN), never as a
  figure;
* :func:`saved_months_by_destination`: the months by destination, the
  difference in cause-specific restricted mean time lost (intervention minus
  comparison: the extra months the participants spent in each destination
  by ``tau``; they sum to the months of support saved) with its interval, as rows of the long results table
  (``measure = "months_in_<destination>"``, ``kind = "realised"``);

and :func:`plot_destinations`, the stacked cumulative-incidence plot per
group (matplotlib imported inside).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from survival_invest.estimate.competing import CumulativeIncidence, cumulative_incidence
from survival_invest.io.classification import DESTINATIONS

__all__ = [
    "SHARE_MONTHS",
    "destination_curves",
    "destination_shares",
    "plot_destinations",
    "saved_months_by_destination",
]

#: The months of the share table.
SHARE_MONTHS = (6, 12, 24)


def destination_codes(persons: pd.DataFrame) -> np.ndarray:
    """Destination code per person: 0 censored, ``1 + position`` in :data:`DESTINATIONS` for an exit."""
    dest = persons["destination"].astype("string")
    codes = np.zeros(len(persons), dtype=np.int64)
    for k, name in enumerate(DESTINATIONS):
        codes[(dest == name).fillna(False).to_numpy()] = k + 1
    exits = persons["event"].to_numpy().astype(bool)
    codes[exits & (codes == 0)] = DESTINATIONS.index("other") + 1  # an exit without a destination
    codes[~exits] = 0
    return codes


def destination_curves(persons: pd.DataFrame) -> CumulativeIncidence:
    """Cumulative incidence of every destination per group, all four reported (0 where none occurs)."""
    return cumulative_incidence(
        persons["duration"].to_numpy(),
        destination_codes(persons),
        persons["group"].astype(str).to_numpy(),
        causes=list(range(1, len(DESTINATIONS) + 1)),
    )


def destination_shares(persons: pd.DataFrame, min_persons: int, months: Sequence[int] = SHARE_MONTHS) -> pd.DataFrame:
    """Share of each group in each destination (and still on support) ``months`` after entry.

    Parameters
    ----------
    persons : DataFrame
        ``group, duration, event, destination`` per person.
    min_persons : int
        Groups with fewer persons are suppressed (all their shares NaN, ``shown`` False).
    months : sequence of int
        The months of the table (default 6, 12, 24).

    Returns
    -------
    DataFrame
        ``group, month, persons, shown``, one column per destination and
        ``on_support`` (``S(t)``); each row's shares sum to 1.
    """
    fit = destination_curves(persons)
    inc = fit.incidence_at(list(months))
    wide = inc.pivot_table(index=["group", "time"], columns="cause", values="incidence").reset_index()
    wide.columns = ["group", "month", *DESTINATIONS]
    wide["month"] = wide["month"].astype(int)
    wide["on_support"] = 1.0 - wide[list(DESTINATIONS)].sum(axis=1)
    sizes = persons["group"].astype(str).value_counts()
    wide.insert(2, "persons", wide["group"].map(sizes).astype(int))
    wide.insert(3, "shown", wide["persons"] >= min_persons)
    wide.loc[~wide["shown"], [*DESTINATIONS, "on_support"]] = np.nan
    return wide


def saved_months_by_destination(persons: pd.DataFrame, case_id: str, tau: int, min_persons: int) -> pd.DataFrame:
    """Extra months the participants spent in each destination by ``tau``, as long results rows.

    Parameters
    ----------
    persons : DataFrame
        ``group`` (``comparison``/``intervention``), ``duration``, ``event``, ``destination``.
    case_id : str
    tau : int
        Horizon (months).
    min_persons : int
        Below this many persons in either group the values are NaN.

    Returns
    -------
    DataFrame
        ``case_id, year, measure, kind, value, lower, upper, unit`` (the
        results table's columns; ``year`` missing: the figure is per case),
        ``measure = "months_in_<destination>"``: ``RMTL_k`` of the
        intervention minus that of the comparison group.
    """
    fit = destination_curves(persons)
    diff = fit.rmtl_difference("comparison", "intervention", tau)  # intervention minus comparison; sums to the area
    small = (
        persons["group"].astype(str).value_counts().reindex(["comparison", "intervention"]).fillna(0).min()
        < min_persons
    )
    rows = []
    for cause, value, lower, upper in zip(diff["cause"], diff["value"], diff["lower"], diff["upper"], strict=True):
        name = DESTINATIONS[int(cause) - 1]
        v, lo, hi = float(value), float(lower), float(upper)
        if small:
            v = lo = hi = float("nan")
        rows.append(
            {
                "case_id": str(case_id),
                "year": pd.NA,
                "measure": f"months_in_{name}",
                "kind": "realised",
                "value": v,
                "lower": lo,
                "upper": hi,
                "unit": "months per participant",
            }
        )
    return pd.DataFrame(rows)


def plot_destinations(persons: pd.DataFrame, min_persons: int, *, tau: int = 36, ax: Any = None) -> Any:
    """Stacked cumulative incidence of the destinations, one panel per group (suppressed groups left empty).

    Parameters
    ----------
    persons : DataFrame
        ``group, duration, event, destination``.
    min_persons : int
        Groups with fewer persons are not drawn (the panel says so).
    tau : int
        Last month drawn.
    ax : sequence of matplotlib Axes, optional
        One per group; default a new figure.

    Returns
    -------
    matplotlib Figure
    """
    import matplotlib.pyplot as plt

    fit = destination_curves(persons)
    groups = sorted(persons["group"].astype(str).unique())
    if ax is None:
        fig, grid = plt.subplots(1, len(groups), figsize=(5 * len(groups), 3.5), sharey=True, squeeze=False)
        axes: list[Any] = list(grid[0])
    else:
        axes = list(np.atleast_1d(ax))
        fig = axes[0].figure
    t = np.arange(tau + 1)
    inc = fit.incidence_at(t)
    sizes = persons["group"].astype(str).value_counts()
    for a, g in zip(axes, groups, strict=False):
        a.set_title(g)
        a.set_xlabel("months since entry")
        if sizes.get(g, 0) < min_persons:
            a.text(0.5, 0.5, f"fewer than {min_persons} persons", ha="center", transform=a.transAxes)
            continue
        stack = [
            inc[(inc["group"] == g) & (inc["cause"] == k + 1)]["incidence"].to_numpy() for k in range(len(DESTINATIONS))
        ]
        a.stackplot(t, *stack, labels=[d.replace("_", " ") for d in DESTINATIONS], step="post", alpha=0.8)
        a.set_xlim(0, tau)
        a.set_ylim(0, 1)
    axes[0].set_ylabel("share left support, by destination")
    axes[0].legend(loc="upper left", fontsize="small")
    return fig
