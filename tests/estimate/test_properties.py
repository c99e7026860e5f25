"""Properties of the Kaplan-Meier kernel that hold for any data (hypothesis, seeded)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import survival_invest as si
from survival_invest.estimate import kernel

SETTINGS = settings(derandomize=True, max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def samples(draw, *, floats: bool = False, max_n: int = 40):
    n = draw(st.integers(1, max_n))
    if floats:
        d = np.array(draw(st.lists(st.floats(0, 50, allow_nan=False, width=32), min_size=n, max_size=n)), dtype=float)
    else:
        d = np.array(draw(st.lists(st.integers(0, 12), min_size=n, max_size=n)), dtype=np.int64)
    e = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)), dtype=np.int64)
    return d, e


@SETTINGS
@given(samples())
def test_survival_is_a_non_increasing_probability(data) -> None:
    d, e = data
    t = si.kaplan_meier(d, e).table
    s = t["survival"].to_numpy()
    assert np.all((s >= 0) & (s <= 1))
    assert np.all(np.diff(s) <= 1e-15)


@SETTINGS
@given(samples(), st.sampled_from(["log-log", "log", "plain"]))
def test_interval_brackets_the_estimate(data, ci) -> None:
    d, e = data
    t = si.kaplan_meier(d, e, ci=ci).table
    assert np.all(t["lower"] <= t["survival"] + 1e-12)
    assert np.all(t["survival"] <= t["upper"] + 1e-12)
    assert np.all((t["lower"] >= 0) & (t["upper"] <= 1))


@SETTINGS
@given(samples(), st.randoms(use_true_random=False))
def test_row_order_does_not_matter(data, rnd) -> None:
    d, e = data
    perm = np.array(rnd.sample(range(len(d)), len(d)))
    a = si.kaplan_meier(d, e).table
    b = si.kaplan_meier(d[perm], e[perm]).table
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-13)


@SETTINGS
@given(samples(max_n=25), st.lists(st.integers(0, 4), min_size=25, max_size=25))
def test_integer_weights_equal_duplicated_rows(data, w) -> None:
    d, e = data
    w = np.array(w[: len(d)])
    if w.sum() == 0:
        w[0] = 1
    weighted = si.kaplan_meier(d, e, weights=w)
    dup = si.kaplan_meier(np.repeat(d, w), np.repeat(e, w))
    a = weighted.table
    a = a[(a["events"] + a["censored"]) > 0].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, dup.table, check_exact=False, rtol=1e-12, atol=1e-14)
    assert weighted.rmst(10).se == pytest.approx(dup.rmst(10).se, rel=1e-12, abs=1e-14)


@SETTINGS
@given(st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=30))
def test_all_censored_gives_survival_one(d) -> None:
    km = si.kaplan_meier(np.array(d), np.zeros(len(d)))
    assert np.all(km.table["survival"] == 1.0)
    assert km.median().value == np.inf
    assert km.rmst(7.5).value == pytest.approx(7.5)
    assert km.rmst(7.5).se == 0.0


@SETTINGS
@given(samples(floats=True))
def test_no_censoring_gives_one_minus_ecdf(data) -> None:
    d, _ = data
    km = si.kaplan_meier(d, np.ones(len(d)))
    grid = np.unique(np.concatenate([d, d + 0.25, [0.0]]))
    ecdf = (d[None, :] <= grid[:, None]).mean(axis=1)
    np.testing.assert_allclose(km.survival_at(grid), 1.0 - ecdf, atol=1e-12)


@SETTINGS
@given(samples(floats=True), st.floats(0, 60))
def test_rmst_variance_equals_the_direct_sum(data, tau) -> None:
    """The prefix-sum expansion in rmst_grid equals sum_j A_j^2 d_j / (n_j (n_j - d_j)) computed directly."""
    d, e = data
    km = si.kaplan_meier(d, e)
    t = km.table
    times = t["time"].to_numpy()
    s = t["survival"].to_numpy()
    n = t["at_risk"].to_numpy()
    dd = t["events"].to_numpy()
    knots = np.concatenate([[0.0], times[times <= tau], [tau]])
    steps = np.concatenate([[1.0], s[times <= tau]])
    area = np.diff(knots) * steps  # interval areas from 0 to tau
    rmst = area.sum()
    var = 0.0
    for j in np.flatnonzero(times <= tau):  # reference implementation: a plain loop is fine here
        a_j = area[j + 1 :].sum()  # integral from t_j to tau
        if dd[j] > 0 and n[j] > dd[j]:
            var += a_j**2 * dd[j] / (n[j] * (n[j] - dd[j]))
    est = km.rmst(tau)
    assert est.value == pytest.approx(rmst, rel=1e-12, abs=1e-12)
    assert est.se**2 == pytest.approx(var, rel=1e-10, abs=1e-14)


@SETTINGS
@given(samples(floats=True), st.lists(st.floats(-5, 60), min_size=1, max_size=10))
def test_survival_at_is_right_continuous_step(data, queries) -> None:
    d, e = data
    km = si.kaplan_meier(d, e)
    t = km.table
    q = np.array(queries)
    got = km.survival_at(q)
    for qi, gi in zip(q, got, strict=True):
        before = t[t["time"] <= qi]
        want = before["survival"].iloc[-1] if len(before) else 1.0
        assert gi == want


@SETTINGS
@given(samples(max_n=60), st.lists(st.sampled_from(["a", "b", "c"]), min_size=60, max_size=60))
def test_by_group_equals_separate_fits(data, g) -> None:
    d, e = data
    groups = np.array(g[: len(d)], dtype=object)
    curves = si.kaplan_meier_by(d, e, groups)
    for label in curves.labels:
        m = groups == label
        alone = si.kaplan_meier(d[m], e[m])
        pd.testing.assert_frame_equal(curves[label].table, alone.table, check_exact=False, rtol=1e-13)
        assert curves[label].rmst(8).se == pytest.approx(alone.rmst(8).se, rel=1e-13, abs=1e-15)
        assert curves[label].median() == alone.median()


@SETTINGS
@given(
    samples(floats=True, max_n=50),
    st.lists(st.integers(0, 3), min_size=50, max_size=50),
    st.lists(st.floats(0, 1), min_size=50, max_size=50),
)
def test_padded_layout_equals_shared_layout(data, g, frac) -> None:
    """The padded per-group grid (used when groups x times is large) gives the same numbers."""
    d, e = data
    groups = np.array(g[: len(d)])
    f = np.array(frac[: len(d)])
    # delayed entry; an event needs entry < duration, a censoring allows entry == duration
    entry = np.where((e == 1) & (d == 0), -1.0, d * f * np.where(e == 1, 0.99, 1.0))
    shared = si.kaplan_meier_by(d, e, groups, entry=entry)
    orig = kernel.use_dense
    try:
        kernel.use_dense = lambda cells, n: False  # type: ignore[assignment]  # forces the sparse path
        padded = si.kaplan_meier_by(d, e, groups, entry=entry)
    finally:
        kernel.use_dense = orig  # type: ignore[assignment]  # restores the function
    pd.testing.assert_frame_equal(shared.table, padded.table, check_exact=False, rtol=1e-13)
    pd.testing.assert_frame_equal(shared.rmst([3.5, 20]), padded.rmst([3.5, 20]), check_exact=False, rtol=1e-13)
    pd.testing.assert_frame_equal(shared.median(), padded.median())
    np.testing.assert_array_equal(shared.survival_at([0, 1.5, 7, 100]), padded.survival_at([0, 1.5, 7, 100]))


@SETTINGS
@given(samples())
def test_integer_and_float_durations_agree(data) -> None:
    d, e = data
    a = si.kaplan_meier(d, e)
    b = si.kaplan_meier(d.astype(float), e)
    pd.testing.assert_frame_equal(a.table, b.table, check_exact=False, rtol=1e-14)
    assert a.rmst(6).value == pytest.approx(b.rmst(6).value, rel=1e-14)


def test_area_between_identical_curves_is_zero_and_swaps_sign() -> None:
    d = np.array([1, 2, 3, 3, 5, 8])
    e = np.array([1, 1, 0, 1, 1, 0])
    km = si.kaplan_meier(d, e)
    a = si.area_between(km, km, 6)
    assert a.value == 0.0 and a.p_value == 1.0
    km2 = si.kaplan_meier(d + 1, e)
    ab = si.area_between(km2, km, 6)
    ba = si.area_between(km, km2, 6)
    assert ab.value == pytest.approx(-ba.value) and ab.value > 0
    assert ab.se == pytest.approx(ba.se)


def test_area_on_integer_grid_is_sum_of_curve_differences() -> None:
    """On whole periods, Delta RMST(tau) = sum_{t=0}^{tau-1} [S_c(t) - S_i(t)] (DOMAIN.md)."""
    rng = np.random.default_rng(5)
    dc, di = rng.integers(1, 30, 200), rng.integers(1, 20, 150)
    ec, ei = rng.integers(0, 2, 200), rng.integers(0, 2, 150)
    c, i = si.kaplan_meier(dc, ec), si.kaplan_meier(di, ei)
    t = np.arange(24)
    assert si.area_between(c, i, 24).value == pytest.approx((c.survival_at(t) - i.survival_at(t)).sum(), rel=1e-13)


def test_ratio_and_p_value_of_area() -> None:
    rng = np.random.default_rng(9)
    c = si.kaplan_meier(rng.geometric(0.05, 400), np.ones(400))
    i = si.kaplan_meier(rng.geometric(0.10, 400), np.ones(400))
    a = si.area_between(c, i, 36)
    assert a.ratio is not None and a.ratio.value == pytest.approx(a.intervention.value / a.comparison.value)
    assert a.ratio.lower < a.ratio.value < a.ratio.upper
    assert a.p_value < 1e-6
    assert a.lower < a.value < a.upper


def test_by_group_integer_labels_with_gaps_and_zero_weight_groups() -> None:
    d = np.array([1, 2, 3, 4, 5, 6])
    e = np.array([1, 0, 1, 1, 0, 1])
    g = np.array([7, 2, 7, 2, 7, 2])
    curves = si.kaplan_meier_by(d, e, g)
    assert curves.labels.tolist() == [2, 7]
    pd.testing.assert_frame_equal(curves[7].table, si.kaplan_meier(d[g == 7], e[g == 7]).table)
    w = np.array([0.0, 1, 0, 1, 0, 1])  # group 7 exists but has only zero weights
    weighted = si.kaplan_meier_by(d, e, g, weights=w)
    assert weighted.labels.tolist() == [2, 7]
    assert weighted[7].table.empty
    b = si.kaplan_meier_by(d, e, g == 7)
    assert b.labels.tolist() == [False, True]
    assert b[True].rmst(4).value == pytest.approx(curves[7].rmst(4).value)
