"""A group's counts for a tail model: last observed duration, exits and persons at risk per month, end-of-follow-up terms.

The inputs of :mod:`survival_invest.estimate.tails` (the fits, the extended
curve and its variance: rules and formulas there, docs/extrapolation.md).
"""

from __future__ import annotations

import numpy as np

__all__ = ["end_of_follow_up", "last_observed", "monthly_counts"]


def last_observed(times: np.ndarray, events: np.ndarray, censored: np.ndarray) -> int:
    """The largest duration with an exit or a censoring (survRM2's largest observed time); -1 when there is none.

    Parameters
    ----------
    times : ndarray of int
        Durations of the rows.
    events, censored : ndarray
        Exits and censorings at each duration.

    Returns
    -------
    int
    """
    seen = (np.asarray(events) + np.asarray(censored)) > 0
    return int(np.asarray(times)[seen].max()) if seen.any() else -1


def monthly_counts(times: np.ndarray, events: np.ndarray, censored: np.ndarray) -> tuple[np.ndarray, ...]:
    """Exits and persons at risk at *every* duration ``0 .. T`` (no delayed entry), the input of :func:`fit_tail`.

    A Kaplan-Meier event table lists only the times with an exit or a
    censoring; a month in which everyone at risk stays on support belongs to
    the likelihood too (it is evidence of a low hazard), so the counts are
    spread onto the full monthly grid and the at-risk numbers are the reverse
    cumulative sums of exits plus censorings.

    Parameters
    ----------
    times : ndarray of int
        Durations of the rows (any order; repeated durations are added).
    events, censored : ndarray
        Exits and censorings at each row's duration.

    Returns
    -------
    (t, events, at_risk) : tuple of ndarray
        On ``t = 0 .. max(times)``.
    """
    t = np.asarray(times, dtype=np.int64)
    size = int(t.max()) + 1 if t.size else 0
    d = np.bincount(t, weights=np.asarray(events, dtype=np.float64), minlength=size)
    c = np.bincount(t, weights=np.asarray(censored, dtype=np.float64), minlength=size)
    return np.arange(size), d, np.cumsum((d + c)[::-1])[::-1]


def end_of_follow_up(
    times: np.ndarray, events: np.ndarray, at_risk: np.ndarray, *, last: int, months: int = 12
) -> tuple[np.ndarray, np.ndarray]:
    """The months at the end of follow-up and their variance at the pooled hazard (:mod:`~survival_invest.estimate.tails`).

    Parameters
    ----------
    times : ndarray of int
        Every duration at risk (:func:`monthly_counts`).
    events : ndarray
        Exits at each duration.
    at_risk : ndarray
        Persons at risk at each duration.
    last : int
        The group's last observed duration ``T``.
    months : int
        How many of the last observed durations: ``T - months + 1 .. T`` (those with persons at risk).

    Returns
    -------
    (durations, variance) : tuple of ndarray
        The durations ``j`` and ``Var l_j = h / (n_j (1 - h))`` with ``h = D / N``
        (exits over person-months at risk in those months). Both empty when the
        months hold no one at risk or everyone at risk exits (``h = 1``: there
        is no finite variance; Greenwood's own terms are kept).
    """
    t = np.asarray(times, dtype=np.float64)
    n = np.asarray(at_risk, dtype=np.float64)
    keep = (t >= max(last - int(months) + 1, 1)) & (t <= last) & (n > 0)
    total_d, total_n = float(np.asarray(events, dtype=np.float64)[keep].sum()), float(n[keep].sum())
    if total_n <= 0 or total_d >= total_n:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    h = total_d / total_n
    return t[keep].astype(np.int64), h / (n[keep] * (1.0 - h))
