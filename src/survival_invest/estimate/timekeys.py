"""Exact 64-bit sort keys of (group, float duration): the sorted padded layout of :mod:`survival_invest.estimate.kernel`.

A non-negative double's IEEE bit pattern, read as an integer, orders as the
double itself; shifted by the group times the patterns' range, one plain sort
of ``uint64`` keys orders subjects by group, then duration, with no index sort.
"""

from __future__ import annotations

import numpy as np

__all__ = ["group_time_keys", "key_times"]


def group_time_keys(durations: np.ndarray, codes: np.ndarray, n_groups: int) -> tuple[np.ndarray, int, int] | None:
    """One ``uint64`` key per subject ordering by (group, duration) exactly, its span and offset; None if too wide.

    ``key = group * span + (bits(d) - low)`` with ``bits`` the IEEE pattern of
    the non-negative double ``d``, ``low`` the smallest pattern and ``span`` the
    range of patterns: distinct durations get distinct keys and the keys order
    as (group, duration). A zero (also ``-0.0``) takes the pattern just below
    the smallest positive duration's, so zeros do not widen the span to all
    the tiny doubles (:func:`key_times` maps it back to 0).

    Parameters
    ----------
    durations : ndarray of float64, shape (n,)
        Validated non-negative durations.
    codes : ndarray of int, shape (n,)
        Group codes ``0 .. n_groups - 1``.
    n_groups : int

    Returns
    -------
    (key, span, low) or None
        None when ``n_groups * span`` does not fit in 64 bits (or nothing to key).
    """
    d = durations + 0.0  # a new array; -0.0 becomes 0.0
    if d.shape[0] == 0 or d.min() < 0:
        return None  # the shared-grid path reports a negative duration
    bits = d.view(np.int64)
    zero = bits == 0
    positive = bits[~zero]
    low = int(positive.min()) - 1 if positive.size else 0
    del positive
    bits[zero] = low
    span = int(bits.max()) - low + 1
    if n_groups * span > (1 << 64) - 1:
        return None
    key = bits.view(np.uint64)
    key -= np.uint64(low)
    key += codes.astype(np.uint64) * np.uint64(span)
    return key, span, low


def key_times(cell: np.ndarray, span: int, low: int) -> np.ndarray:
    """The durations of keys from :func:`group_time_keys` (the zero's stand-in pattern back to 0.0).

    Parameters
    ----------
    cell : ndarray of uint64
        Keys.
    span, low : int
        As returned with the keys.

    Returns
    -------
    ndarray of float64
    """
    rem = cell % np.uint64(span)
    out = (rem + np.uint64(low)).view(np.float64)
    out[rem == 0] = 0.0  # the smallest pattern is a zero's stand-in, or the zero itself
    return out
