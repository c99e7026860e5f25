"""The counting kernel: subjects -> per (group, time) counts -> Kaplan-Meier arrays.

Everything here works on a *grid*: a 2-D array with one row per group and one
column per time point, each row sorted by time. All later arithmetic (at-risk
counts, the product-limit estimate, Greenwood sums, restricted means) is a
cumulative sum or product **along the rows**, so every group is computed
exactly as if it were alone (no cross-group cancellation) and no Python loop
over groups or subjects is needed.

Three layouts, chosen by size:

* *integer grid*: integer durations with a modest range. The grid is
  ``0 .. max(duration)`` for every row and a subject's column is its duration
  itself; counting is a single ``np.bincount`` of ``(group * L + duration) * 2
  + event``. This is the common case (months or weeks since entry) and the
  fast one.
* *shared grid*: float durations (or a huge integer range). The columns are
  the distinct durations of all groups (``np.unique``), shared by every row.
* *padded grid*: when groups x distinct times would be too large, each row
  holds only its own distinct times, padded at the end by repeating the row's
  last time with zero counts (such padding changes no estimate).
* *sorted padded grid*: float durations of several groups without weights or
  delayed entry. The same padded rows, counted by two plain sorts of one
  64-bit key per subject, ``group * span + (bits(duration) - bits(min))`` (the
  bit pattern of a non-negative double orders as the double itself, so the key
  orders by group, then time, exactly): no index sort, no ``np.unique``, no
  group x all-times grid. Used when the key fits in 64 bits (always for a
  few groups of durations above 0, or of at most 3 groups); else the shared or
  padded grid above.

The tie rule is the usual one (R, lifelines, scikit-survival): at a tied time
events happen before censorings, i.e. a subject censored at ``t`` is still at
risk at ``t``. With delayed entry a subject entering at ``a`` is at risk at
times strictly after ``a``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from survival_invest.errors import InputError
from survival_invest.estimate.timekeys import group_time_keys, key_times

__all__ = ["DENSE_CELL_BUDGET", "Counts", "count_on_grid", "km_arrays"]

#: Largest number of (group, time) cells laid out densely (or 4 cells per
#: subject, whichever is larger); above it the padded per-group layout is used.
DENSE_CELL_BUDGET = 1 << 24


def use_dense(cells: int, n_subjects: int) -> bool:
    """Whether a dense grid of ``cells`` (group, time) cells is affordable for ``n_subjects``."""
    return cells <= max(DENSE_CELL_BUDGET, 4 * n_subjects)


@dataclass(frozen=True)
class Counts:
    """Per (group, time) sufficient statistics of a Kaplan-Meier fit.

    Attributes
    ----------
    time : ndarray, shape (G, L)
        Grid times, non-decreasing along each row.
    at_risk, events, censored : ndarray of float64, shape (G, L)
        (Weighted) number at risk just before each time, events and
        censorings at it.
    last_time : ndarray, shape (G,)
        Largest observed duration of each group (event or censored).
    weighted : bool
        Whether the counts are sums of case weights.
    shared_grid : bool
        Whether every row has the same grid times (integer and shared layouts).
    """

    time: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    censored: np.ndarray
    last_time: np.ndarray
    weighted: bool
    shared_grid: bool

    @property
    def n_groups(self) -> int:
        """Number of groups (rows of the grid)."""
        return self.time.shape[0]

    def take(self, rows: np.ndarray) -> Counts:
        """The counts of the given group rows only."""
        shared = self.shared_grid or rows.shape[0] == 1
        return Counts(
            self.time[rows],
            self.at_risk[rows],
            self.events[rows],
            self.censored[rows],
            self.last_time[rows],
            self.weighted,
            shared,
        )


def _reverse_cumsum(x: np.ndarray) -> np.ndarray:
    """Row-wise sum from each column to the end of the row."""
    return np.cumsum(x[:, ::-1], axis=1)[:, ::-1]


def _bincount2d(flat: np.ndarray, n_groups: int, length: int, weights: np.ndarray | None) -> np.ndarray:
    out = np.bincount(flat, weights=weights, minlength=n_groups * length)
    return out.reshape(n_groups, length)


def count_on_grid(
    durations: np.ndarray,
    events: np.ndarray,
    codes: np.ndarray | None,
    n_groups: int,
    *,
    entry: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    max_duration: float | None = None,
) -> Counts:
    """Count events, censorings and persons at risk per group and time.

    Parameters
    ----------
    durations : ndarray, shape (n,)
        Validated non-negative durations (``int64`` or ``float64``).
    events : ndarray, shape (n,)
        0/1 event indicator (bool or integer).
    codes : ndarray of int, shape (n,), or None
        Group code ``0 .. n_groups - 1`` of each subject; None for one group.
    n_groups : int
    entry : ndarray, shape (n,), optional
        Delayed-entry times; subject *i* is at risk at ``t`` iff
        ``entry[i] < t <= durations[i]``.
    weights : ndarray, shape (n,), optional
        Non-negative case weights.
    max_duration : number, optional
        ``durations.max()`` if already known (saves a pass).

    Returns
    -------
    Counts

    Notes
    -----
    At-risk counts come from two reverse cumulative sums per row::

        n(t_j) = #{duration >= t_j} - #{entry >= t_j}

    which equals ``#{entry < t_j <= duration}`` because ``entry <= duration``.
    """
    n = durations.shape[0]
    if max_duration is None:
        max_duration = durations.max().item()
    if durations.dtype.kind in "iu" and use_dense(n_groups * (int(max_duration) + 1), n):
        # integer grid: the column of a subject is its duration
        length = int(max_duration) + 1
        time_row = np.arange(length, dtype=np.float64)
        pair = _count_pairs(durations, durations, events, codes, n_groups, length, weights)
    elif codes is None and weights is None and durations.dtype.kind == "f":
        # one unweighted group of float durations: two plain sorts, no index sort
        time_row, pair = _count_sorted(durations, events)
        length = time_row.shape[0]
    elif (durations.dtype.kind == "f" and codes is not None and weights is None and entry is None) and (
        sorted_counts := _count_sorted_groups(durations, events, codes, n_groups)
    ) is not None:
        return sorted_counts
    else:
        uniq, col = np.unique(durations, return_inverse=True)
        if uniq[0] < 0:
            _raise_negative(durations)
        length = uniq.shape[0]
        time_row = uniq.astype(np.float64)
        if n_groups > 1 and not use_dense(n_groups * length, n):
            return _count_padded(time_row, col, events, codes, n_groups, entry, weights)
        pair = _count_pairs(col, durations, events, codes, n_groups, length, weights)

    censored = pair[:, :, 0].astype(np.float64)
    events_c = pair[:, :, 1].astype(np.float64)
    removed = events_c + censored
    at_risk = _reverse_cumsum(removed)
    if entry is not None:
        pos = np.searchsorted(time_row, entry, side="right") - 1  # last grid time <= entry
        keep = pos >= 0
        eflat = pos if codes is None else codes * length + pos
        entered_at = _bincount2d(eflat[keep], n_groups, length, None if weights is None else weights[keep]).astype(
            np.float64
        )
        at_risk = at_risk - _reverse_cumsum(entered_at)
    time = np.broadcast_to(time_row, (n_groups, length))
    return Counts(time, at_risk, events_c, censored, _last_time(time, removed), weights is not None, True)


def _raise_negative(durations: np.ndarray) -> None:
    pos = int(np.argmax(durations < 0))
    raise InputError(f"durations must be non-negative; position {pos} holds {durations[pos].item()!r}.")


def _count_pairs(
    col: np.ndarray,
    durations: np.ndarray,
    events: np.ndarray,
    codes: np.ndarray | None,
    n_groups: int,
    length: int,
    weights: np.ndarray | None,
) -> np.ndarray:
    """Events and censorings per (group, column) with one ``bincount``; shape (G, L, 2).

    The key is time-major, ``col * 2G + (2 * group + event)``, with the small
    part built in the narrowest unsigned type, so only two 8-byte passes touch
    the subjects. Integer durations are checked for negatives here: ``bincount``
    rejects a negative key, and only then is the first offender searched for.
    """
    try:
        if codes is None:
            key = col * 2  # a new array: the caller's durations are never modified
            key += events
            return np.bincount(key, weights=weights, minlength=2 * length).reshape(1, length, 2)
        small = codes.astype(np.min_scalar_type(2 * n_groups))
        small *= 2
        np.add(small, events, out=small, casting="unsafe")  # events are 0/1: no overflow
        key = col * (2 * n_groups)
        key += small
        del small
        out = np.bincount(key, weights=weights, minlength=2 * n_groups * length)
        return out.reshape(length, n_groups, 2).transpose(1, 0, 2)
    except ValueError:
        if durations.dtype.kind in "iu" and durations.min() < 0:
            _raise_negative(durations)
        raise


def _count_sorted(durations: np.ndarray, events: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct times and (censored, events) counts of one unweighted group by sorting.

    ``np.sort`` of the durations gives the distinct times and removals by run
    length; the sorted event times land on their distinct time with one
    ``searchsorted``. About twice as fast as ``np.unique(..., return_inverse=True)``,
    which sorts indices.
    """
    s = np.sort(durations)
    new = np.empty(s.shape[0], dtype=bool)
    new[0] = True
    np.not_equal(s[1:], s[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    uniq = s[starts]
    removed = np.diff(np.append(starts, s.shape[0]))
    del s, new
    ev = np.sort(durations[events.astype(bool, copy=False)])
    n_events = np.bincount(np.searchsorted(uniq, ev), minlength=uniq.shape[0])
    pair = np.empty((1, uniq.shape[0], 2), dtype=np.int64)
    pair[0, :, 1] = n_events
    pair[0, :, 0] = removed - n_events
    return uniq.astype(np.float64, copy=False), pair


def _count_sorted_groups(durations: np.ndarray, events: np.ndarray, codes: np.ndarray, n_groups: int) -> Counts | None:
    """Padded per-group counts of unweighted float durations by two plain sorts of 64-bit keys (None: key too wide).

    The distinct (group, time) cells are the runs of the sorted keys, removals
    their lengths; the sorted keys of the events land on their cell with one
    ``searchsorted`` (as :func:`_count_sorted` does for one group).
    """
    keyed = group_time_keys(durations, codes, n_groups)
    if keyed is None:
        return None
    key, span, low = keyed
    ev = key[events.astype(bool, copy=False)]
    key.sort()
    new = np.empty(key.shape[0], dtype=bool)
    new[0] = True
    np.not_equal(key[1:], key[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    del new
    cell, n_all = key[starts], key.shape[0]
    del key  # the arrays below are per cell, freed as soon as they are used (peak memory)
    removed = np.diff(starts, append=n_all)
    del starts
    ev.sort()
    n_events = np.bincount(np.searchsorted(cell, ev), minlength=cell.shape[0])
    del ev
    # the cells are sorted by group: each group's cells are one slice, laid out at the start of its row
    row_start = np.searchsorted(cell, np.arange(n_groups + 1, dtype=np.uint64) * np.uint64(span))
    sizes = np.diff(row_start)
    length = int(sizes.max())
    cflat = np.repeat(np.arange(n_groups, dtype=np.int64) * length - row_start[:-1], sizes)
    cflat += np.arange(cell.shape[0])
    ctime = key_times(cell, span, low)
    del cell
    time = np.empty((n_groups, length))
    time[:] = ctime[np.maximum(row_start[1:] - 1, 0)][:, None]  # pad each row with its own last time
    time.reshape(-1)[cflat] = ctime
    del ctime
    events_c, censored = np.zeros((n_groups, length)), np.zeros((n_groups, length))
    events_c.reshape(-1)[cflat], censored.reshape(-1)[cflat] = n_events, removed - n_events
    del removed, n_events, cflat
    at_risk = events_c + censored
    np.cumsum(at_risk[:, ::-1], axis=1, out=at_risk[:, ::-1])  # the reverse cumulative sum, in place
    last = np.where(sizes > 0, time[np.arange(n_groups), np.maximum(sizes - 1, 0)], np.nan)  # each cell has removals
    return Counts(time, at_risk, events_c, censored, last, False, False)


def _last_time(time: np.ndarray, removed: np.ndarray) -> np.ndarray:
    """Time of the last column with any removal, per row (NaN for an empty row)."""
    has = removed > 0
    last = has.shape[1] - 1 - np.argmax(has[:, ::-1], axis=1)
    out = time[np.arange(time.shape[0]), last].astype(np.float64)
    out[~has.any(axis=1)] = np.nan
    return out


def _count_padded(
    uniq: np.ndarray,
    col: np.ndarray,
    events: np.ndarray,
    codes: np.ndarray | None,
    n_groups: int,
    entry: np.ndarray | None,
    weights: np.ndarray | None,
) -> Counts:
    """Padded per-group layout: each row holds only its own distinct times."""
    t_len = uniq.shape[0]
    cell = col if codes is None else codes.astype(np.int64) * t_len + col
    ucell, cinv = np.unique(cell, return_inverse=True)
    cgroup = ucell // t_len
    ctime = uniq[ucell % t_len]
    starts = np.searchsorted(cgroup, np.arange(n_groups + 1))
    sizes = np.diff(starts)
    length = int(sizes.max())
    pos_in_row = np.arange(ucell.shape[0]) - starts[cgroup]
    cflat = cgroup * length + pos_in_row
    # grid times: pad each row with its own last time
    time = np.empty((n_groups, length))
    last_idx = np.maximum(starts[1:] - 1, 0)
    time[:] = ctime[last_idx][:, None]
    time.reshape(-1)[cflat] = ctime
    flat = cflat[cinv]
    pair = _bincount2d(flat * 2 + events, n_groups, 2 * length, weights).reshape(n_groups, length, 2)
    censored = pair[:, :, 0].astype(np.float64)
    events_c = pair[:, :, 1].astype(np.float64)
    removed = events_c + censored
    at_risk = _reverse_cumsum(removed)
    if entry is not None:
        # last grid time <= entry within the subject's own row: a row-wise
        # searchsorted done as one global searchsorted on (row, time rank) keys
        g = np.zeros(entry.shape[0], dtype=np.int64) if codes is None else codes.astype(np.int64)
        rank_grid = np.searchsorted(uniq, time, side="left")  # exact: grid times are in uniq
        rank_entry = np.searchsorted(uniq, entry, side="right")  # #uniq <= entry
        big = t_len + 1
        row_keys = (np.arange(n_groups)[:, None] * big + rank_grid).reshape(-1)
        # count grid cells of the row with rank < rank_entry  <=> time <= entry
        cnt = np.searchsorted(row_keys, g * big + rank_entry, side="left") - g * length
        pos = np.minimum(cnt, sizes[g]) - 1
        keep = pos >= 0
        entered_at = _bincount2d(
            (g * length + pos)[keep], n_groups, length, None if weights is None else weights[keep]
        ).astype(np.float64)
        at_risk = at_risk - _reverse_cumsum(entered_at)
    return Counts(time, at_risk, events_c, censored, _last_time(time, removed), weights is not None, False)


@dataclass(frozen=True)
class KMArrays:
    """Product-limit estimate and Greenwood sums on a grid (shape (G, L))."""

    survival: np.ndarray
    greenwood: np.ndarray  # cumulative sum of d / (n (n - d))
    greenwood_term: np.ndarray  # the increments themselves


def km_arrays(counts: Counts) -> KMArrays:
    """Kaplan-Meier estimate and Greenwood sum along each row.

    Formulas
    --------
    ``S(t) = prod_{t_j <= t} (1 - d_j / n_j)`` and
    ``V(t) = sum_{t_j <= t} d_j / (n_j (n_j - d_j))``; ``Var S(t) = S(t)^2 V(t)``.
    A Greenwood term with ``n_j = d_j`` (the curve drops to 0) is taken as 0,
    as are terms with no events or nobody at risk.
    """
    n = counts.at_risk
    d = counts.events
    # in place where possible: a float-duration grid has a cell per subject, and each temporary is one more
    survival = np.divide(d, n, out=np.zeros_like(d), where=n > 0)  # the hazard
    np.subtract(1.0, survival, out=survival)
    np.cumprod(survival, axis=1, out=survival)
    survival[survival < 0] = 0.0  # guard rounding when d == n with weights
    denom = n - d  # those left after the events
    ok = (d > 0) & (denom > 0)
    denom *= n
    ok &= denom > 0
    term = np.divide(d, denom, out=np.zeros_like(d), where=ok)
    del denom, ok
    return KMArrays(survival, np.cumsum(term, axis=1), term)
