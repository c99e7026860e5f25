"""The risk table under a case's curves, KMunicate style, with the small-number rule.

For each group and each time ``t`` of the table (0, 6, 12, ... months) three
counts (Morris et al. 2019, *BMJ Open* 9:e030215, "KMunicate"):

* **at risk**: persons still followed at ``t`` (duration >= ``t``);
* **events**: exits from support *before* ``t`` (cumulative);
* **censored**: persons whose follow-up ended without an exit before ``t``.

So ``at risk + events + censored`` is the group's size at every ``t`` (no
delayed entry in a case's cohort).

Small numbers
-------------
A count that rests on fewer than ``min_persons`` persons is shown as
``<min_persons``. A cell rests on too few persons when

1. its count is between 1 and ``min_persons - 1``; or
2. its difference from the neighbouring *shown* cell of its row (the next
   or previous time) is between 1 and ``min_persons - 1`` (the difference is
   a count of persons: exits or censorings between the two times); both cells
   are then suppressed; or
3. it is the partner of the only hidden cell of its group at the same time:
   the three counts add up to the group's size, which the page shows, so one
   hidden cell could be recovered from the other two. Events and censored are
   partners (a hidden one hides the other); a hidden at-risk count hides the
   censored count. At risk stays shown when only events or censored are
   small: it reveals their sum, never either of them.

The rules are applied until nothing changes, so no difference between two
shown cells and no column sum reveals a small count. 0 is shown (it identifies
no one).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from survival_invest.estimate import SurvivalCurve

__all__ = ["RISK_ROWS", "risk_counts", "risk_times", "suppress_risk_counts"]

#: The rows of each group, in order (keys of :mod:`survival_invest.report.i18n` ``risk_<row>``).
RISK_ROWS = ("at_risk", "events", "censored")


def risk_times(last: float, step: int = 6) -> np.ndarray:
    """0, ``step``, 2 ``step``, ... up to ``last`` (months): the columns of the risk table."""
    return np.arange(0, int(max(last, 0)) + 1, step, dtype=np.float64)


def risk_counts(curve: SurvivalCurve, times: Sequence[float] | np.ndarray) -> pd.DataFrame:
    """At risk at ``t`` and events and censorings before ``t`` (rows :data:`RISK_ROWS`; columns ``times``).

    Parameters
    ----------
    curve : SurvivalCurve
        An unweighted Kaplan-Meier curve (its ``table``: time, at_risk, events, censored).
    times : sequence of float
        The table's times.

    Returns
    -------
    DataFrame
        Integer counts.
    """
    t = np.asarray(times, dtype=np.float64)
    tab = curve.table
    time = tab["time"].to_numpy(dtype=np.float64)
    before = time[None, :] < t[:, None]  # times x table rows
    events = before @ tab["events"].to_numpy(dtype=np.float64)
    censored = before @ tab["censored"].to_numpy(dtype=np.float64)
    at_risk = curve.at_risk_at(t).to_numpy(dtype=np.float64)
    data = np.rint(np.vstack([at_risk, events, censored])).astype(np.int64)
    return pd.DataFrame(data, index=list(RISK_ROWS), columns=t)


def _small(n: np.ndarray, min_persons: int) -> np.ndarray:
    return (np.abs(n) > 0) & (np.abs(n) < min_persons)


def _row_pass(row: np.ndarray, hidden: np.ndarray, min_persons: int) -> np.ndarray:
    """Hide the cells of one row whose count, or difference from the neighbouring shown cell, is small."""
    out = hidden | _small(row, min_persons)
    shown = np.flatnonzero(~out)
    if shown.size > 1:
        gaps = _small(np.diff(row[shown]), min_persons)
        out[shown[1:][gaps]] = True
        out[shown[:-1][gaps]] = True
    return out


def suppress_risk_counts(counts: pd.DataFrame, min_persons: int) -> pd.DataFrame:
    """The counts as shown: ``<min_persons`` where a rule of the module docstring hides them, else the number.

    Parameters
    ----------
    counts : DataFrame
        One group's :func:`risk_counts`.
    min_persons : int
        The smallest number of persons a shown figure may rest on.

    Returns
    -------
    DataFrame
        Of the same shape, values ``int`` or the string ``"<min_persons"``.
    """
    values = counts.to_numpy(dtype=np.int64)
    hidden = np.zeros(values.shape, dtype=bool)
    while True:  # each pass only adds hidden cells, so this ends within cells-many passes
        before = hidden.copy()
        for i in range(values.shape[0]):  # three rows
            hidden[i] = _row_pass(values[i], hidden[i], min_persons)
        alone = hidden.sum(axis=0) == 1  # rule 3: a column's single hidden cell gets its partner hidden
        hidden[2] |= alone & (hidden[0] | hidden[1])
        hidden[1] |= alone & hidden[2] & ~hidden[0]
        if (hidden == before).all():
            break
    return counts.astype(object).mask(hidden, f"<{min_persons}")
