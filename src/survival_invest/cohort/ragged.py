"""Array helpers of the follow-up: the ragged member/spell join and per-member first/last values.

Rows are "sorted by member" throughout: every helper works on runs of equal
member numbers in O(rows), with no sort and no Python loop.
"""

from __future__ import annotations

import numpy as np

from survival_invest._arrays import ragged_arange

__all__ = ["NEVER", "first_per_member", "last_per_member", "previous_within", "ragged_join", "run_starts"]

#: "No such period" for integer period arithmetic (far beyond any real duration).
NEVER = np.int64(1) << 40


def ragged_join(
    row_person: np.ndarray, row_period: np.ndarray, m_person: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each member, the spell rows of its person with ``lo <= period <= hi``.

    One global ``searchsorted`` on combined integer keys ``person * span +
    period``, then a ragged ``arange`` expansion.

    Parameters
    ----------
    row_person, row_period : ndarray of int
        Person position and period of each spell row, sorted by (person, period).
    m_person : ndarray of int
        Person position of each member.
    lo, hi : ndarray of int
        First and last period wanted per member (inclusive).

    Returns
    -------
    (member, row)
        Pairs of member index and row index, sorted by member then period
        (int32 when they fit, else int64).
    """
    base = int(min(row_period.min(initial=0), lo.min(initial=0))) - 1
    span = int(max(row_period.max(initial=0), hi.max(initial=0))) - base + 2
    keys = row_person.astype(np.int64)  # built in place: one allocation at 10^8 rows
    keys *= span
    keys += row_period
    keys -= base
    mkey = m_person.astype(np.int64) * span - base
    start = np.searchsorted(keys, mkey + lo, side="left")
    stop = np.searchsorted(keys, mkey + hi, side="right")
    del keys
    counts = np.maximum(stop - start, 0)
    total = int(counts.sum())
    idx_type = np.int32 if max(total, row_person.shape[0], m_person.shape[0]) < 2**31 - 1 else np.int64
    member, row = ragged_arange(counts, idx_type)
    row += start.astype(idx_type)[member]
    return member, row


def run_starts(m: np.ndarray) -> np.ndarray:
    """Positions where a sorted member array starts a new run (``m[i] != m[i - 1]``, and 0)."""
    if m.size == 0:
        return np.zeros(0, dtype=np.int64)
    start = np.empty(m.shape[0], dtype=bool)
    start[0] = True
    np.not_equal(m[1:], m[:-1], out=start[1:])
    return np.flatnonzero(start)


def first_per_member(
    member: np.ndarray, mask: np.ndarray | None, values: np.ndarray, n: int, fill: int | np.integer
) -> np.ndarray:
    """First ``values`` per member among rows where ``mask`` (rows sorted by member; O(rows), no sort).

    Parameters
    ----------
    member : ndarray of int
        Member of each row, sorted.
    mask : ndarray of bool or None
        Rows to consider (None = all).
    values : ndarray of int
        Value of each row.
    n : int
        Number of members.
    fill : int
        Value for members without a row.

    Returns
    -------
    ndarray of int64
        One value per member.
    """
    out = np.full(n, fill, dtype=np.int64)
    m = member if mask is None else member[mask]
    v = values if mask is None else values[mask]
    first = run_starts(m)
    out[m[first]] = v[first]
    return out


def last_per_member(
    member: np.ndarray, mask: np.ndarray | None, values: np.ndarray, n: int, fill: int | np.integer
) -> np.ndarray:
    """Last ``values`` per member among rows where ``mask`` (rows sorted by member).

    Parameters
    ----------
    member : ndarray of int
        Member of each row, sorted.
    mask : ndarray of bool or None
        Rows to consider (None = all).
    values : ndarray of int
        Value of each row.
    n : int
        Number of members.
    fill : int
        Value for members without a row.

    Returns
    -------
    ndarray of int64
        One value per member.
    """
    out = np.full(n, fill, dtype=np.int64)
    m = member if mask is None else member[mask]
    if m.size:
        v = values if mask is None else values[mask]
        last = np.append(run_starts(m)[1:] - 1, m.shape[0] - 1)
        out[m[last]] = v[last]
    return out


def previous_within(member: np.ndarray, t: np.ndarray, first: int | np.integer) -> np.ndarray:
    """The previous row's ``t`` within the same member, ``first`` at a member's first row.

    Parameters
    ----------
    member : ndarray of int
        Member of each row, sorted.
    t : ndarray of int
        Period (relative to entry) of each row.
    first : int
        The value at each member's first row.

    Returns
    -------
    ndarray
        Same dtype as ``t``.
    """
    prev = np.empty_like(t)
    if t.size:
        prev[1:] = t[:-1]
        prev[run_starts(member)] = first
    return prev
