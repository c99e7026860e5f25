"""The ragged member/spell join equals a brute-force selection of rows, member by member."""

from __future__ import annotations

import numpy as np

from survival_invest.cohort.ragged import bisect_within, ragged_join


def test_ragged_join_selects_each_members_person_rows_in_its_window() -> None:
    rng = np.random.default_rng(11)
    for _ in range(300):  # small random extracts, with repeated periods and members without rows
        n_p, n = int(rng.integers(1, 8)), int(rng.integers(0, 40))
        person = rng.integers(0, n_p, n).astype(np.int32)
        period = rng.integers(-5, 30, n).astype(np.int32)
        order = np.lexsort((period, person))
        person, period = person[order], period[order]
        m_person = rng.integers(-1, n_p + 1, int(rng.integers(0, 10)))
        lo = rng.integers(-10, 35, m_person.shape[0]).astype(np.int32)
        hi = lo + rng.integers(-3, 30, m_person.shape[0])
        member, row = ragged_join(person, period, m_person, lo, hi)
        expected = [
            (i, r) for i in range(m_person.shape[0]) for r in range(n)  # brute force: every pair
            if person[r] == m_person[i] and lo[i] <= period[r] <= hi[i]
        ]  # fmt: skip
        assert list(zip(member.tolist(), row.tolist(), strict=True)) == expected
        assert member.dtype == np.int32 and row.dtype == np.int32


def test_bisect_within_is_searchsorted_of_each_range() -> None:
    values = np.array([1, 3, 3, 7, 0, 2, 2, 9])
    lo, hi = np.array([0, 0, 4, 4, 2]), np.array([4, 4, 8, 8, 2])
    target = np.array([3, 3, 2, 10, 5])
    left = bisect_within(values, lo, hi, target, right=False)
    right = bisect_within(values, lo, hi, target, right=True)
    assert left.tolist() == [1, 1, 5, 8, 2] and right.tolist() == [3, 3, 7, 8, 2]
