"""Bootstrap over persons with replicate weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import survival_invest as si
from survival_invest.estimate.bootstrap import bootstrap, crossed_counts, replicate_counts
from survival_invest.synthetic import geometric_two_groups


def _data(seed: int = 3):
    frame, truth = geometric_two_groups(400, 300, seed=seed)
    return frame, truth


def test_each_replicate_equals_a_fit_on_the_resampled_rows() -> None:
    frame, _ = _data()
    codes = (frame["group"] == "intervention").to_numpy().astype(np.int64)
    counts = replicate_counts(codes, 2, 5, np.random.default_rng(9))
    # group sizes are kept in every replicate
    assert (counts[:, codes == 0].sum(axis=1) == 400).all() and (counts[:, codes == 1].sum(axis=1) == 300).all()
    res = bootstrap(frame["duration"], frame["event"], frame["group"], tau=[12, 36], n_boot=5, seed=9)
    d, e = frame["duration"].to_numpy(), frame["event"].to_numpy()
    for b in range(5):
        for g in range(len(res.labels)):
            m = codes == g
            km = si.kaplan_meier(np.repeat(d[m], counts[b, m]), np.repeat(e[m], counts[b, m]))
            assert res.replicates[b, g, 1] == pytest.approx(km.rmst(36).value, rel=1e-12)


def test_seeded_and_reproducible() -> None:
    frame, _ = _data()
    a = bootstrap(frame["duration"], frame["event"], frame["group"], tau=36, n_boot=50, seed=1)
    b = bootstrap(frame["duration"], frame["event"], frame["group"], tau=36, n_boot=50, seed=1)
    c = bootstrap(frame["duration"], frame["event"], frame["group"], tau=36, n_boot=50, seed=2)
    np.testing.assert_array_equal(a.replicates, b.replicates)
    assert not np.array_equal(a.replicates, c.replicates)


def test_bootstrap_agrees_with_the_analytic_interval_and_covers_truth() -> None:
    frame, truth = _data(seed=21)
    res = bootstrap(frame["duration"], frame["event"], frame["group"], tau=36, n_boot=800, seed=5)
    area = res.area("comparison", "intervention").iloc[0]
    curves = si.kaplan_meier_by(frame["duration"], frame["event"], frame["group"])
    analytic = curves.area_between("comparison", "intervention", 36).iloc[0]
    assert area["value"] == pytest.approx(analytic["value"], rel=1e-12)
    assert area["se"] == pytest.approx(analytic["se"], rel=0.15)
    assert area["lower"] <= truth.area(36) <= area["upper"]
    r = res.rmst()
    assert (r["lower"] < r["value"]).all() and (r["value"] < r["upper"]).all()


#: Four sets of a participant and two controls; person 11 is a control in sets 0, 1 and 3, person 14 in 1 and 2.
SETS = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3])
WHO = np.array([1, 10, 11, 2, 11, 14, 3, 14, 15, 4, 11, 16])


def test_crossed_counts_draw_the_sets_and_the_reused_persons() -> None:
    """A row's count is its set's draw times, for a person in two or more sets, the person's draw."""
    counts = crossed_counts(SETS, WHO, 400, np.random.default_rng(4))
    rng = np.random.default_rng(4)
    per_set = replicate_counts(np.zeros(4, dtype=np.int64), 1, 400, rng)
    per_person = replicate_counts(np.zeros(2, dtype=np.int64), 1, 400, rng)  # persons 11 and 14, in order
    person = np.select([WHO == 11, WHO == 14], [per_person[:, [0]], per_person[:, [1]]], 1)
    np.testing.assert_array_equal(counts, per_set[:, SETS] * person)
    assert (per_set.sum(axis=1) == 4).all() and (per_person.sum(axis=1) == 2).all()
    nested = ~np.isin(WHO, [11, 14])
    for s in range(4):  # the nested rows of a set share its count
        rows = counts[:, nested & (s == SETS)]
        assert (rows == rows[:, :1]).all()
    # the reused persons are drawn: their rows differ from their set's count in some replicates
    assert (counts[:, 2] != counts[:, 0]).any() and (counts[:, 5] != counts[:, 3]).any()
    np.testing.assert_array_equal(counts, crossed_counts(SETS, WHO, 400, np.random.default_rng(4)))
    assert not np.array_equal(counts, crossed_counts(SETS, WHO, 400, np.random.default_rng(5)))


def test_without_reused_persons_crossed_counts_are_the_set_bootstrap() -> None:
    """Every person in one set (a person may have two rows of the same set): the same draws as the sets alone."""
    sets = np.array([0, 0, 1, 1, 1, 2, 2])
    who = np.array([7, 8, 9, 5, 5, 6, 4])
    counts = crossed_counts(sets, who, 50, np.random.default_rng(3))
    per_set = replicate_counts(np.zeros(3, dtype=np.int64), 1, 50, np.random.default_rng(3))
    np.testing.assert_array_equal(counts, per_set[:, sets])


def test_crossed_counts_variance_is_the_two_way_one_plus_twice_the_reused_rows() -> None:
    """First order: Var(sum (w - 1) L) = V_set + V_person - V_row + 2 sum_{reused rows} L^2 (the docstring's claim).

    With finite numbers of sets and reused persons the draws have variance
    ``1 - 1/S`` and ``1 - 1/P``, which the expectation below carries exactly.
    """
    influence = np.random.default_rng(0).normal(size=SETS.size)
    counts = crossed_counts(SETS, WHO, 200_000, np.random.default_rng(1)).astype(np.float64)
    got = ((counts - 1.0) @ influence).var()
    vm, vn = 1 - 1 / 4, 1 - 1 / 2  # variance of a multinomial draw of 4 sets, of 2 reused persons
    cm, cn = -1 / 4, -1 / 2  # covariance of two different sets' (persons') draws
    m = np.where(SETS[:, None] == SETS[None, :], vm, cm) + 1.0  # E[M_s M_s']
    reused = np.isin(WHO, [11, 14])
    same = WHO[:, None] == WHO[None, :]
    n = np.where(reused[:, None] & reused[None, :], np.where(same, vn, cn) + 1.0, 1.0)  # E[N_p N_p']
    want = influence @ (m * n - 1.0) @ influence
    assert got == pytest.approx(want, rel=0.02)
    # in the limit of many sets and persons (draws of variance 1, uncorrelated) that is the docstring's formula
    limit_m = (SETS[:, None] == SETS[None, :]) + 1.0
    limit_n = np.where(reused[:, None] & reused[None, :] & same, 2.0, 1.0)
    by = {}
    for name, codes in (("set", SETS), ("person", WHO), ("row", np.arange(SETS.size))):
        by[name] = float((np.bincount(pd.factorize(codes)[0], weights=influence) ** 2).sum())
    two_way = by["set"] + by["person"] - by["row"]
    excess = 2 * float((influence[reused] ** 2).sum())
    assert influence @ (limit_m * limit_n - 1.0) @ influence == pytest.approx(two_way + excess, rel=1e-12)


def test_crossed_counts_bad_input() -> None:
    with pytest.raises(si.InputError, match="one label per row"):
        crossed_counts([0, 0, 1], [1, 2], 5, np.random.default_rng(0))


def test_bad_arguments() -> None:
    with pytest.raises(si.InputError, match="n_boot"):
        bootstrap([1, 2], [1, 1], [0, 1], tau=1, n_boot=1)
    with pytest.raises(si.InputError, match="alpha"):
        bootstrap([1, 2], [1, 1], [0, 1], tau=1, alpha=2.0)


def test_renders_in_jupyter() -> None:
    frame, _ = _data()
    res = bootstrap(frame["duration"], frame["event"], frame["group"], tau=36, n_boot=20, seed=1)
    html = res._repr_html_()
    assert "20 replicates" in html and "<table" in html and "comparison" in html
