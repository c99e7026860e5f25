"""Person ids: the CPR-likeness sample reads only as much of a column as it needs, in order of appearance."""

from __future__ import annotations

import numpy as np
import pandas as pd

from survival_invest.io.privacy import first_distinct, looks_like_cpr


def test_first_distinct_is_the_first_n_distinct_values_of_the_whole_column() -> None:
    rng = np.random.default_rng(3)
    for size, pool in ((10, 4), (70_000, 900), (300_000, 50_000), (300_000, 3)):  # within and past the first prefix
        values = pd.Series(rng.integers(0, pool, size)).astype(object)
        values[rng.random(size) < 0.1] = None
        expected = pd.unique(values.dropna().to_numpy())[:2000]
        np.testing.assert_array_equal(first_distinct(values, 2000), expected)


def test_cpr_like_ids_are_recognised_from_the_sample() -> None:
    cpr = pd.Series([f"{d:02d}0190{i:04d}" for i in range(3000) for d in (1, 15)])
    assert looks_like_cpr(cpr)
    assert not looks_like_cpr(pd.Series(np.arange(100_000)))
