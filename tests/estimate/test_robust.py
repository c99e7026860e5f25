"""Robust (infinitesimal-jackknife) variance: R agreement, shared clusters, and brute-force checks.

The reference figures come from ``reference/make_robust_reference.R`` (R survival
3.5.3, ``survfit(..., weights, robust = TRUE, cluster)``; RMST SEs from R's
``residuals(fit, type = "rmst", weighted = TRUE)`` summed per cluster). R's
robust ``std.err`` is the SE of S itself (``fit$logse`` is FALSE). The
tolerance 1e-8 (relative) is what the issue asks; the agreement is ~1e-13.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import survival_invest as si
from survival_invest.errors import InputError

REF = Path(__file__).parent / "reference"
RTOL = 1e-8


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name, dtype={"group": str}).fillna({"group": ""})


INPUTS, CURVES, RMEAN, AREA = (_read(f"robust_{n}.csv") for n in ("inputs", "reference", "rmean", "area"))


def _fit(dataset: str) -> si.SurvivalCurves:
    d = INPUTS[INPUTS["dataset"] == dataset]
    entry = d["entry"].to_numpy() if (d["entry"] > 0).any() else None
    cluster = None if dataset in ("lung_w", "lung_all", "lung_unit") else d["cluster"].to_numpy()
    weights = None if dataset == "lung_unit" else d["weight"].to_numpy()
    robust = True if dataset == "lung_unit" else None  # None: non-integer weights or a cluster -> robust (R's rule)
    return si.kaplan_meier_by(
        d["time"].to_numpy(), d["event"].to_numpy(), d["group"].to_numpy(),
        entry=entry, weights=weights, robust=robust, cluster=cluster,
    )  # fmt: skip


@pytest.mark.parametrize("dataset", sorted(INPUTS["dataset"].unique()))
def test_curves_and_rmst_agree_with_r(dataset: str) -> None:
    fit = _fit(dataset)
    assert fit.variance == "robust"
    for g in fit.labels:
        c = fit[g]
        r = CURVES[(CURVES["dataset"] == dataset) & (CURVES["group"] == g)]
        t = r["time"].to_numpy()
        ok = r["surv"].to_numpy() > 0
        np.testing.assert_allclose(c.survival_at(t), r["surv"], rtol=1e-12)
        var = c.table.set_index("time").loc[t, "variance"].to_numpy()
        np.testing.assert_allclose(np.sqrt(var[ok]), r["std_err"].to_numpy()[ok], rtol=RTOL)
        lo, up = c.confidence_at(t)
        np.testing.assert_allclose(lo[ok], r["lower"].to_numpy()[ok], rtol=RTOL)
        np.testing.assert_allclose(up[ok], r["upper"].to_numpy()[ok], rtol=RTOL)
        rr = RMEAN[(RMEAN["dataset"] == dataset) & (RMEAN["group"] == g)]
        for tau, value, se in zip(rr["tau"], rr["rmean"], rr["se_ij"], strict=True):
            est = c.rmst(float(tau))
            assert est.value == pytest.approx(value, rel=1e-12)
            assert est.se == pytest.approx(se, rel=RTOL)
        by = fit.rmst(rr["tau"].to_numpy())
        np.testing.assert_allclose(by[by["group"] == g]["se"], rr["se_ij"], rtol=RTOL)


def test_matched_sets_shared_across_groups_add_their_covariance() -> None:
    fit = _fit("veteran_set")
    got = fit.area_between("1", "2", AREA["tau"].to_numpy())
    np.testing.assert_allclose(got["value"], AREA["value"], rtol=1e-12)
    np.testing.assert_allclose(got["se"], AREA["se_shared"], rtol=RTOL)
    # two separate fits with the same set ids: the free function finds the shared sets too
    d = INPUTS[INPUTS["dataset"] == "veteran_set"]
    one = [
        si.kaplan_meier(x["time"], x["event"], weights=x["weight"], cluster=x["cluster"].to_numpy())
        for _, x in d.groupby("group")
    ]
    for tau, se, se_ind in zip(AREA["tau"], AREA["se_shared"], AREA["se_independent"], strict=True):
        assert si.area_between(one[0], one[1], float(tau)).se == pytest.approx(se, rel=RTOL)
        # sets not shared (ids made distinct per arm): the arms' IJ variances add
        apart = [
            si.kaplan_meier(x["time"], x["event"], weights=x["weight"], cluster=g + ":" + x["cluster"].astype(str))
            for g, x in d.groupby("group")
        ]
        assert si.area_between(apart[0], apart[1], float(tau)).se == pytest.approx(se_ind, rel=RTOL)


def test_robust_none_keeps_greenwood_for_integer_weights_and_refuses_cluster_without_robust() -> None:
    d = INPUTS[INPUTS["dataset"] == "lung_w"]
    w = np.ceil(d["weight"].to_numpy())
    a = si.kaplan_meier(d["time"], d["event"], weights=w)
    b = si.kaplan_meier(d["time"], d["event"], weights=w, robust=False)
    assert a.variance == "greenwood"
    pd.testing.assert_frame_equal(a.table, b.table)
    assert a.rmst(365.0) == b.rmst(365.0)
    with pytest.raises(InputError, match="cluster"):
        si.kaplan_meier(d["time"], d["event"], cluster=d["cluster"], robust=False)


def _brute_ij(t: np.ndarray, e: np.ndarray, a: np.ndarray | None, grid: np.ndarray, tau: float) -> np.ndarray:
    """IJ by brute force: central differences of S(grid) and RMST(tau) in each weight, summed squares."""
    n, h = t.shape[0], 1e-6
    rows = []
    for i in range(n):  # test oracle: a loop over subjects is the point
        out = []
        for sign in (1.0, -1.0):
            w = np.ones(n)
            w[i] += sign * h
            c = si.kaplan_meier(t, e, entry=a, weights=w, robust=False)
            out.append(np.append(c.survival_at(grid), c.rmst(tau).value))
        rows.append((out[0] - out[1]) / (2 * h))
    return (np.array(rows) ** 2).sum(axis=0)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(4, 25), st.booleans())
def test_unit_weights_robust_equals_brute_force_ij(seed: int, n: int, delayed: bool) -> None:
    rng = np.random.default_rng(seed)
    t = rng.integers(1, 8, n)
    e = rng.integers(0, 2, n)
    a = np.where(rng.random(n) < 0.4, rng.integers(0, 3, n), 0).clip(max=t - 1) if delayed else None
    grid = np.arange(0, 9, dtype=float)
    c = si.kaplan_meier(t, e, entry=a, robust=True)
    s = c.survival_at(grid)
    var_s = (
        s
        * s
        * c.table.set_index("time").reindex(grid, method="ffill")["variance"].fillna(0).to_numpy()
        / np.where(s > 0, s * s, 1.0)
    )
    brute = _brute_ij(t, e, a, grid, 6.0)
    live = s > 0
    np.testing.assert_allclose(var_s[live], brute[:-1][live], rtol=1e-5, atol=1e-10)
    assert c.rmst(6.0).se ** 2 == pytest.approx(brute[-1], rel=1e-5, abs=1e-10)
    if not delayed:  # unit weights, no entry, no cluster: IJ = Greenwood exactly
        g = si.kaplan_meier(t, e)
        assert c.rmst(6.0).se == pytest.approx(g.rmst(6.0).se, rel=1e-10, abs=1e-14)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(2, 30))
def test_integer_weights_greenwood_equals_duplicated_rows(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 10, n)
    e = rng.integers(0, 2, n)
    w = rng.integers(0, 4, n)
    if w.sum() == 0:
        w[0] = 1
    a = si.kaplan_meier(t, e, weights=w.astype(float), robust=False)
    b = si.kaplan_meier(np.repeat(t, w), np.repeat(e, w))
    grid = np.arange(11)
    np.testing.assert_allclose(a.survival_at(grid), b.survival_at(grid), rtol=1e-12)
    np.testing.assert_allclose(a.confidence_at(grid), b.confidence_at(grid), rtol=1e-10)
    assert a.rmst(8.0).se == pytest.approx(b.rmst(8.0).se, rel=1e-10, abs=1e-14)
