"""Array helpers of the follow-up: the ragged member/spell join and per-member first/last values.

Rows are "sorted by member" throughout: every helper works on runs of equal
member numbers in O(rows), with no sort and no Python loop.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "NEVER",
    "bisect_within",
    "first_per_member",
    "last_per_member",
    "previous_within",
    "ragged_join",
    "run_starts",
]

#: "No such period" for integer period arithmetic (far beyond any real duration).
NEVER = np.int64(1) << 40


def ragged_join(
    row_person: np.ndarray, row_period: np.ndarray, m_person: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each member, the spell rows of its person with ``lo <= period <= hi``.

    Each member's person rows by a ``searchsorted`` on the (sorted) person
    positions in their own dtype, its period window by a vectorised binary
    search within those rows (:func:`bisect_within`), then a ragged ``arange``
    expansion: nothing the size of the extract is built but the result.

    Parameters
    ----------
    row_person, row_period : ndarray of int
        Person position and period of each spell row, sorted by (person, period).
    m_person : ndarray of int
        Person position of each member (-1: no rows).
    lo, hi : ndarray of int
        First and last period wanted per member (inclusive).

    Returns
    -------
    (member, row)
        Pairs of member index and row index, sorted by member then period
        (int32 when they fit, else int64).
    """
    who = np.asarray(m_person).astype(row_person.dtype)  # searchsorted would cast the rows to the queries' type
    # the searches in person order: they then walk the rows forwards (members in random order: 8x slower)
    order = np.argsort(who, kind="stable")
    who = who[order]
    first = np.searchsorted(row_person, who, side="left")
    last = np.searchsorted(row_person, who, side="right")
    start, stop = np.empty_like(first), np.empty_like(first)
    start[order] = bisect_within(row_period, first, last, np.asarray(lo)[order], right=False)
    stop[order] = bisect_within(row_period, first, last, np.asarray(hi)[order], right=True)
    counts = np.maximum(stop - start, 0)
    total = int(counts.sum())
    idx_type = np.int32 if max(total, row_person.shape[0], m_person.shape[0]) < 2**31 - 1 else np.int64
    member = np.repeat(np.arange(counts.shape[0], dtype=idx_type), counts)
    row = np.repeat((start - (np.cumsum(counts) - counts)).astype(idx_type), counts)  # start - the pairs before
    row += np.arange(total, dtype=idx_type)
    return member, row


def bisect_within(values: np.ndarray, lo: np.ndarray, hi: np.ndarray, target: np.ndarray, *, right: bool) -> np.ndarray:
    """Per query, the first position in ``values[lo:hi]`` (sorted there) whose value is >= ``target`` (> with
    ``right``), or ``hi`` when there is none: ``searchsorted`` within each query's own range.

    Vectorised over the queries, log2(longest range) passes, no Python loop over queries.

    Parameters
    ----------
    values : ndarray
        Sorted within every range ``[lo, hi)``.
    lo, hi : ndarray of int
        The range of each query.
    target : ndarray
        The value searched for per query.
    right : bool
        ``side="right"`` of :func:`numpy.searchsorted` (else ``"left"``).

    Returns
    -------
    ndarray of int64
    """
    lo, hi = lo.astype(np.int64), hi.astype(np.int64)
    last = max(values.shape[0] - 1, 0)
    while True:  # log2(rows per person) passes
        open_ = lo < hi
        if not open_.any():
            return lo
        mid = (lo + hi) // 2
        v = values[np.minimum(mid, last)] if values.shape[0] else np.zeros_like(mid)
        up = (v <= target) if right else (v < target)
        up &= open_
        lo = np.where(up, mid + 1, lo)
        hi = np.where(open_ & ~up, mid, hi)


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
