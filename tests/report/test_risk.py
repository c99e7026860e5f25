"""The KMunicate risk table: counts that add up, and no shown cell or difference resting on fewer than min_persons."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import survival_invest as si
from survival_invest.report.risk import risk_counts, risk_times, suppress_risk_counts


def test_at_risk_events_and_censored_add_up_to_the_group() -> None:
    rng = np.random.default_rng(3)
    d = rng.integers(0, 30, 80)
    e = rng.random(80) < 0.7
    counts = risk_counts(si.kaplan_meier(d, e), risk_times(24))
    assert list(counts.columns) == [0, 6, 12, 18, 24]
    np.testing.assert_array_equal(counts.sum(axis=0).to_numpy(), 80)
    assert counts.loc["events", 0.0] == 0 and counts.loc["at_risk", 0.0] == 80
    assert counts.loc["events", 12.0] == int(e[d < 12].sum())  # exits before month 12


def test_small_cells_and_small_differences_are_hidden_with_a_partner() -> None:
    c = pd.DataFrame(
        [[60, 40, 30, 20], [0, 19, 29, 38], [0, 1, 1, 2]],
        index=["at_risk", "events", "censored"],
        columns=[0, 6, 12, 18],
    )
    shown = suppress_risk_counts(c, 5)
    assert shown.loc["censored"].tolist() == [0, "<5", "<5", "<5"]  # 1 and 2 are small
    assert shown.loc["events"].tolist() == [0, "<5", "<5", "<5"]  # partners: else censored = n - at risk - events
    assert shown.loc["at_risk"].tolist() == [60, 40, 30, 20]  # at risk shows only the sum of the two


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=3, max_size=3), st.integers(2, 8), st.integers(0, 10_000))
def test_no_shown_difference_between_neighbours_is_small(steps: list[int], min_persons: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(20, 200))
    ev = np.concatenate([[0], np.cumsum(rng.integers(0, 12, 5))])
    ce = np.concatenate([[0], np.cumsum(rng.integers(0, 6, 5))])
    ev, ce = np.minimum(ev, n // 2), np.minimum(ce, n // 2)
    c = pd.DataFrame([n - ev - ce, ev, ce], index=["at_risk", "events", "censored"])
    shown = suppress_risk_counts(c, min_persons)
    hidden = shown.map(lambda v: isinstance(v, str)).to_numpy()
    vals = c.to_numpy()
    for i in range(3):
        keep = vals[i][~hidden[i]]
        assert not ((keep > 0) & (keep < min_persons)).any()
        gaps = np.abs(np.diff(keep))
        assert not ((gaps > 0) & (gaps < min_persons)).any()
    assert not (hidden.sum(axis=0) == 1).any()  # never a single hidden cell in a column
