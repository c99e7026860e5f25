"""Bootstrap over persons with replicate weights."""

from __future__ import annotations

import numpy as np
import pytest

import survival_invest as si
from survival_invest.estimate.bootstrap import bootstrap, replicate_counts
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
