"""The sorted padded layout of float durations gives the figures of the shared grid and of one fit per group."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import survival_invest as si
from survival_invest.estimate import kernel, timekeys


def _data(seed: int, n: int, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    d = np.minimum(rng.exponential(20, n), 60.0)
    d = np.where(rng.random(n) < 0.3, np.round(d), d)  # ties, whole months and exact zeros
    d[rng.random(n) < 0.02] = -0.0  # a negative zero is a zero
    e = (rng.random(n) < 0.7) & (d < 60.0)
    g = rng.choice(groups, n)
    return d, e.astype(np.int8), g


def _figures(curves: si.SurvivalCurves, times: np.ndarray, pairs: list[tuple[object, object]]) -> dict:
    out = {
        "table": curves.table.reset_index(drop=True),
        "at": curves.survival_at(times),
        "greenwood": curves.greenwood_at(times),
        "confidence": np.stack(curves.confidence_at(times)),
        "rmst": curves.rmst([12.0, 36.0]),
        "median": curves.median(),
    }
    for a, b in pairs:
        out[f"area{a}{b}"] = curves.area_between(a, b, [12.0, 36.0])
    return out


@pytest.mark.parametrize(
    ("seed", "groups"),
    [(1, np.array([0, 1])), (2, np.array([0, 1, 2])), (3, np.array([0, 2, 5])), (4, np.array(["a", "b", "c", "d"]))],
)
def test_sorted_layout_equals_the_shared_grid(monkeypatch, seed: int, groups: np.ndarray) -> None:
    d, e, g = _data(seed, 4000, groups)
    times = np.array([0.0, 0.5, 1.0, 7.25, 12.0, 30.0, 59.9, 60.0, 75.0])
    pairs = [(groups[0], groups[1]), (groups[1], groups[-1])]
    calls = []
    real = kernel._count_sorted_groups
    monkeypatch.setattr(kernel, "_count_sorted_groups", lambda *a: calls.append(1) or real(*a))
    sorted_figs = _figures(si.kaplan_meier_by(d, e, g), times, pairs)
    assert calls, "the sorted layout was not used"
    monkeypatch.setattr(kernel, "_count_sorted_groups", lambda *a: None)  # the shared grid (np.unique)
    shared_figs = _figures(si.kaplan_meier_by(d, e, g), times, pairs)
    for name, value in shared_figs.items():
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(sorted_figs[name], value, check_exact=False, rtol=1e-10, atol=1e-12)
        else:
            np.testing.assert_allclose(sorted_figs[name], value, rtol=1e-10, atol=1e-12)


def test_sorted_layout_counts_each_group_as_its_own_fit() -> None:
    d, e, g = _data(7, 3000, np.array([0, 1, 3]))
    counts = kernel.count_on_grid(d, e, g, 4)
    assert not counts.shared_grid  # the sorted padded layout
    assert np.isnan(counts.last_time[2])  # group 2 has no subject
    for code in (0, 1, 3):
        alone = kernel.count_on_grid(d[g == code] + 0.0, e[g == code], None, 1)
        m = alone.time.shape[1]
        np.testing.assert_array_equal(counts.time[code, :m], alone.time[0])
        np.testing.assert_array_equal(counts.events[code, :m], alone.events[0])
        np.testing.assert_array_equal(counts.censored[code, :m], alone.censored[0])
        np.testing.assert_array_equal(counts.at_risk[code, :m], alone.at_risk[0])
        assert (counts.events[code, m:] == 0).all() and (counts.censored[code, m:] == 0).all()
        assert (counts.time[code, m:] == alone.time[0, -1]).all()  # padded with the row's last time
        assert counts.last_time[code] == alone.last_time[0]


def test_keys_too_wide_fall_back_to_the_grid() -> None:
    # durations from 0 to 1e300 span nearly every bit pattern: 5 groups cannot share one 64-bit key
    d = np.array([0.0, 1.0, 1e300, 2.0, 3.0, 0.5, 7.0, 1e-300, 4.0, 9.0])
    g = np.arange(10) % 5
    assert timekeys.group_time_keys(d, g, 5) is None
    counts = kernel.count_on_grid(d, np.ones(10, dtype=np.int8), g, 5)
    assert counts.shared_grid  # the shared grid
    assert timekeys.group_time_keys(d, g % 2, 2) is not None
