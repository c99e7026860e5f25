"""The wide weekly DREAM form of simulated monthly spells, with partly supported months.

:func:`dream_wide` writes every ISO week with the code of the month holding its
Thursday, and (``partial > 0``) makes some spell starts and ends fall mid-month
and some spells hold a week off support, so that the month rules differ on the
bundled weekly file while ``any`` still rolls up to the monthly extract.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from survival_invest.io.periods import parse_periods, week_label, week_to_month
from survival_invest.synthetic.cases import SELF_SUPPORT_CODES, SUPPORT_CODES

__all__ = ["dream_wide"]


def dream_wide(spells: pd.DataFrame, *, partial: float = 0.0, seed: int = 0) -> pd.DataFrame:
    """Turn monthly long spells into a wide weekly DREAM frame (``person_id, y_YYWW...``).

    Every ISO week whose Thursday lies in a month carries that month's code;
    weeks without a code are blank. With ``partial > 0`` some months on support
    are only *partly* supported, as real DREAM weeks are (a spell starts or ends
    mid-month, a week of work inside a spell), so the month rules can differ:

    * a support month after a month without support (a spell start) has,
      with probability ``partial``, its first ``j`` weeks off support;
    * otherwise a support month before a month without support (a spell end)
      has, with probability ``partial``, its last ``j`` weeks off support;
    * otherwise (inside a spell), with probability ``partial / 4``, one week off
      support;

    with ``j`` uniform on ``1 .. weeks in the month - 1``, so at least one
    support week stays. An off week takes the neighbouring month's code when
    that is a self-support code (SU, fleksjob), else it is blank; a censor
    code never moves. Months at the ends of the extract are left whole. So
    under ``month_rule = "any"`` the weeks still roll up to the monthly extract
    exactly (same months on support, same codes), while ``majority`` and
    ``all``, the occupancy shares and the prior weeks see the partial months.
    The draws come from ``default_rng([seed, 2])``, apart from the simulation.
    Vectorised: a (person x week) array filled by fancy indexing.

    Parameters
    ----------
    spells : DataFrame
        Monthly long spells (``person_id, period, benefit``).
    partial : float
        Probability that a spell start or end falls mid-month (0: every week
        carries its month's code).
    seed : int
        Seed of the partial months' draws.

    Returns
    -------
    DataFrame
        ``person_id`` and one ``y_YYWW`` column per ISO week, blank = no code.
    """
    months, _, _ = parse_periods(spells["period"], "month")
    first_m, last_m = int(months.min()), int(months.max())
    # ISO weeks whose Thursday falls in [first_m, last_m]
    lo = (np.datetime64(f"{first_m // 12}-{first_m % 12 + 1:02d}-01") - np.datetime64("1970-01-05")).astype(
        int
    ) // 7 - 1
    hi = (np.datetime64(f"{last_m // 12}-{last_m % 12 + 1:02d}-28") - np.datetime64("1970-01-05")).astype(int) // 7 + 2
    weeks = np.arange(lo, hi + 1)
    wm = week_to_month(weeks)
    weeks = weeks[(wm >= first_m) & (wm <= last_m)]
    wm = week_to_month(weeks)
    persons, p_idx = np.unique(spells["person_id"].to_numpy(), return_inverse=True)
    grid = np.full((persons.shape[0], last_m - first_m + 1), "", dtype=object)
    grid[p_idx, months - first_m] = spells["benefit"].to_numpy()
    wide = grid[:, wm - first_m]
    if partial > 0:
        wide = _partial_months(grid, wide, wm - first_m, partial, np.random.default_rng([seed, 2]))
    labels = week_label(weeks)
    cols = ["y_" + lab[2:4] + lab[-2:] for lab in labels]
    out = pd.DataFrame(wide, columns=cols)
    out.insert(0, "person_id", persons)
    return out


def _partial_months(
    grid: np.ndarray, wide: np.ndarray, w_month: np.ndarray, partial: float, rng: np.random.Generator
) -> np.ndarray:
    """The weekly codes ``wide`` with partly supported months (rules in :func:`dream_wide`).

    ``grid`` holds the monthly codes (persons x months), ``w_month`` the month
    column of each week.
    """
    sup = np.isin(grid, SUPPORT_CODES)
    selfc = np.isin(grid, SELF_SUPPORT_CODES)
    n_p, n_m = grid.shape
    inner = np.zeros((n_p, n_m), dtype=bool)
    inner[:, 1:-1] = True  # months at the ends of the extract stay whole
    prev_off = np.zeros_like(sup)
    prev_off[:, 1:] = ~sup[:, :-1]
    next_off = np.zeros_like(sup)
    next_off[:, :-1] = ~sup[:, 1:]
    u = rng.random((n_p, n_m))
    start = sup & inner & prev_off & (u < partial)
    end = sup & inner & next_off & ~prev_off & (u < partial)
    hole = sup & inner & ~prev_off & ~next_off & (u < partial / 4)
    wim = np.bincount(w_month, minlength=n_m)  # weeks per month column
    j = 1 + np.floor(rng.random((n_p, n_m)) * (wim - 1)).astype(np.int64)  # 1 .. wim - 1 weeks off
    first_week = np.searchsorted(w_month, np.arange(n_m))
    pos = np.arange(w_month.shape[0]) - first_week[w_month]  # 0-based week within its month
    j_w, wim_w = j[:, w_month], wim[w_month]
    off_start = start[:, w_month] & (pos < j_w)
    off_end = end[:, w_month] & (pos >= wim_w - j_w)
    off_hole = hole[:, w_month] & (pos == np.minimum(j_w, wim_w - 2))
    out = wide.copy()
    before = np.where(selfc, grid, "")[:, np.maximum(w_month - 1, 0)]
    after = np.where(selfc, grid, "")[:, np.minimum(w_month + 1, n_m - 1)]
    out[off_start] = before[off_start]
    out[off_end] = after[off_end]
    out[off_hole] = ""
    return out
