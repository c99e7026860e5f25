"""The participants' part of the delta-method variance of a realised yearly figure, per calendar-year window.

Why a window
------------
A realised figure of year ``y`` counts, for each participant ``i``, only the
durations ``t`` of ``i``'s *window* in that year: ``t`` counted
(``t < min(counted_i, horizon)``, :func:`survival_invest.stats.counted_and_spell`)
and ``year(entry_i + t) = y``. Someone entering in October adds ``t = 0, 1, 2``
to their entry year. The participants' own part of the figure is
``X_i = sum_{t in W_i} c_i(t) 1{T_i > t}`` (their months in the first spell,
priced at ``c_i(t)``: ``1`` for months, kroner or the refusion part), and given
the windows (who entered when and how long each was followed) the participants
are independent, so the participants' part of the variance is exactly::

    Var_y = sum_i Var(X_i)
          = sum_i sum_{s, t in W_i} c_i(s) c_i(t) [S(max(s, t)) - S(s) S(t)]
          = sum_i sum_{t in W_i} c_i(t) S(t) [c_i(t) (1 - S(t)) + 2 sum_{s in W_i, s < t} c_i(s) (1 - S(s))]

with ``S`` the participants' first-exit curve (estimated by their
Kaplan-Meier curve). Greenwood's variance of the whole curve, weighted with
the year's months (what :mod:`survival_invest.economics.savings` used before),
treats the months at duration ``t`` as an average over everyone at risk at
``t``; in the entry year the window holds a fraction of them and Greenwood's
form under-states the variance (coverage of 89.8 % in 2020 in the README's
former coverage table).

How it is computed (from the statistics alone, any engine)
----------------------------------------------------------
Windows are intervals of durations, so the persons counted at ``t`` in a
window are a subset of those counted at any earlier ``s`` of the same window:
the number of participants with both ``s`` and ``t`` (``s < t``) in their
window is the count ``n`` of the participants' cell at ``t``. A cell is
(calendar month, ``t``, benefit group, prior periods), so its entry is
``month - t``; grouping cells by (entry, benefit group, prior periods, year)
and ordering by ``t``, the inner sum is the exclusive prefix sum of
``c (1 - S)`` within the group. One sort and one cumulative sum for all cells,
years and measures; no loop over persons.

It assumes that the window does not depend on the person's own exit (true for
exits observed and for censoring at the cut-off; a censoring code ends the
window where the person was last on support, which this formula treats as if it
had been fixed in advance).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["window_variance"]


def window_variance(
    cells: pd.DataFrame,
    counted: np.ndarray,
    prices: np.ndarray,
    survival: np.ndarray,
    year_index: np.ndarray,
    n_years: int,
) -> np.ndarray:
    """Exact variance of the participants' months in spell per calendar-year window (module docstring).

    Parameters
    ----------
    cells : DataFrame
        The participants' cells: ``month, t, benefit_group, prior_periods``.
    counted : ndarray, shape (cells,)
        Participants counted in each cell.
    prices : ndarray, shape (M, cells)
        The price ``c(t)`` of a month of each cell for each of ``M`` measures.
    survival : ndarray, shape (H,)
        The participants' first-exit curve ``S(t)`` on ``t = 0 .. H-1`` (``H`` > every ``t``).
    year_index : ndarray of int, shape (cells,)
        Each cell's year, as a position ``0 .. n_years - 1``.
    n_years : int
        The number of years.

    Returns
    -------
    ndarray, shape (M, n_years)
        ``Var_y`` of the module docstring for each measure and year.
    """
    prices = np.atleast_2d(np.asarray(prices, dtype=np.float64))
    t = cells["t"].to_numpy().astype(np.int64)
    n = np.asarray(counted, dtype=np.float64)
    if t.size == 0:
        return np.zeros((prices.shape[0], n_years))
    entry = cells["month"].to_numpy().astype(np.int64) - t
    bg = pd.factorize(cells["benefit_group"].astype(str))[0]
    group = pd.MultiIndex.from_arrays([entry, bg, cells["prior_periods"].to_numpy(), year_index])
    gid = pd.factorize(group)[0]
    order = np.lexsort((t, gid))
    g_o, t_o = gid[order], t[order]
    s = np.asarray(survival, dtype=np.float64)[t_o]
    c = prices[:, order]
    q = c * (1.0 - s)
    total = np.cumsum(q, axis=1)
    start = np.r_[True, g_o[1:] != g_o[:-1]]
    before_group = np.maximum.accumulate(np.where(start, np.arange(t_o.size), 0))
    base = total[:, before_group] - q[:, before_group]
    prefix = total - q - base  # sum of c (1 - S) over the group's earlier durations
    term = n[order] * c * s * (c * (1.0 - s) + 2.0 * prefix)
    yi = np.asarray(year_index, dtype=np.int64)[order]
    return np.stack([np.bincount(yi, weights=row, minlength=n_years) for row in term])
