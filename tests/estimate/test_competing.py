"""Aalen-Johansen cumulative incidence: R's multi-state ``survfit`` to 1e-8, lifelines to 1e-10, properties.

What this anchors
-----------------
``reference/competing_reference.csv`` and ``reference/competing_rmean.csv`` were
made once by ``reference/make_competing_reference.R`` (R 4.2.2, survival 3.5.3)
from the inputs it wrote beside them (``competing_inputs_*.csv``):

* ``mgus2`` (R survival's data: plasma-cell malignancy vs death, by sex; many tied times);
* ``small`` (60 subjects, integer times with ties across causes, delayed entry, two groups);
* ``smallw`` (the same with non-integer weights: R's robust / IJ variance).

At every R time of every group: number at risk, exits per cause, censorings
(exactly), ``P(state)`` = ``F_k(t)`` and R's standard error of each to 1e-8
relative, the 95 % ``"log"`` limits of cause 1; per group, cause and horizon
the restricted mean time in state (= RMTL by cause) and its IJ standard error
(R ``residuals(type = "sojourn")``). R is not needed to run these tests.

lifelines' ``AalenJohansenFitter`` (point estimates, 1e-10) is compared on
hypothesis-generated data without ties between exits of *different* causes
(lifelines jitters those; ties within a cause and with censorings are kept),
with integer weights, and with delayed entry only at times that are not
durations: lifelines divides by its ``event_table`` at-risk count, which
includes subjects entering at that very time (its own Kaplan-Meier does not),
a fault of lifelines that R does not share (the ``small`` set above has entries
at durations and agrees with R).
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st
from lifelines import AalenJohansenFitter
from lifelines.exceptions import StatError

import survival_invest as si
from survival_invest.errors import InputError

REFERENCE = Path(__file__).parent / "reference"
RTOL_R = 1e-8
TOL_LIFELINES = 1e-10


def _inputs(name: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE / f"competing_inputs_{name}.csv", keep_default_na=False)


def _fit(dataset: str) -> si.CumulativeIncidence:
    if dataset == "mgus2":
        d = _inputs("mgus2")
        return si.cumulative_incidence(d["time"], d["event"], d["group"].to_numpy())
    d = _inputs("small")
    w = d["weight"] if dataset == "smallw" else None
    return si.cumulative_incidence(d["exit"], d["event"], d["group"].to_numpy(), entry=d["entry"], weights=w)


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "competing_reference.csv", keep_default_na=False, na_values=["NA"])


@pytest.mark.parametrize("dataset", ["mgus2", "small", "smallw"])
def test_incidence_and_standard_errors_equal_r(reference: pd.DataFrame, dataset: str) -> None:
    fit = _fit(dataset)
    table = fit.table
    ref = reference[reference["dataset"] == dataset]
    assert sorted(ref["group"].unique()) == list(fit.labels)
    for g, rg in ref.groupby("group"):
        times = rg["time"].to_numpy(dtype=float)
        at = fit.incidence_at(times)
        for k in (1, 2):
            got = at[(at["group"] == g) & (at["cause"] == k)]
            np.testing.assert_allclose(got["incidence"], rg[f"p{k}"], rtol=RTOL_R, atol=1e-15)
            np.testing.assert_allclose(got["se"], rg[f"se{k}"], rtol=RTOL_R, atol=1e-15)
            rows = table[(table["group"] == g) & (table["cause"] == k)]
            np.testing.assert_array_equal(rows["time"], times)  # the same times as R's curve
            if dataset == "smallw":  # R counts subjects; ours are sums of weights (labelled weighted)
                d = _inputs("small")
                d = d[d["group"] == g]
                inside = (d["entry"].to_numpy()[:, None] < times) & (times <= d["exit"].to_numpy()[:, None])
                np.testing.assert_array_equal(inside.sum(axis=0), rg["n_risk"])
                w = d["weight"].to_numpy()
                mine = (d["exit"].to_numpy()[:, None] == times) & (d["event"].to_numpy()[:, None] == k)
                np.testing.assert_allclose(rows["at_risk"], w @ inside, rtol=1e-12)
                np.testing.assert_allclose(rows["events"], w @ mine, rtol=1e-12)
                np.testing.assert_array_equal(mine.sum(axis=0), rg[f"n_event_{k}"])
            else:
                np.testing.assert_allclose(rows["at_risk"], rg["n_risk"], rtol=1e-12)
                np.testing.assert_allclose(rows["events"], rg[f"n_event_{k}"], rtol=1e-12)
        # the all-cause curve is R's probability of still being in the initial state
        np.testing.assert_allclose(
            fit.survival_at(times)[fit.labels.tolist().index(g)], rg["p0"], rtol=RTOL_R, atol=1e-15
        )  # R: -1e-16 for 0
        got1 = at[(at["group"] == g) & (at["cause"] == 1)]
        has = rg["lower1"].notna().to_numpy()
        np.testing.assert_allclose(got1["lower"].to_numpy()[has], rg["lower1"].to_numpy()[has], rtol=RTOL_R)
        np.testing.assert_allclose(got1["upper"].to_numpy()[has], rg["upper1"].to_numpy()[has], rtol=RTOL_R)
        assert (got1["lower"].to_numpy()[~has] == 0).all()  # R's NA where F = 0


@pytest.mark.parametrize("dataset", ["mgus2", "small", "smallw"])
def test_rmtl_by_cause_equals_r_restricted_mean_time_in_state(dataset: str) -> None:
    ref = pd.read_csv(REFERENCE / "competing_rmean.csv", keep_default_na=False)
    ref = ref[(ref["dataset"] == dataset) & (ref["state"] > 0)]
    got = _fit(dataset).rmtl(sorted(ref["tau"].unique()))
    merged = ref.merge(got, left_on=["group", "state", "tau"], right_on=["group", "cause", "tau"], validate="1:1")
    assert len(merged) == len(ref) > 0
    np.testing.assert_allclose(merged["value"], merged["rmean"], rtol=RTOL_R)
    np.testing.assert_allclose(merged["se_x"], merged["se_y"], rtol=RTOL_R)


def test_rmtl_difference_between_groups_from_r() -> None:
    ref = pd.read_csv(REFERENCE / "competing_rmean.csv", keep_default_na=False)
    ref = ref[(ref["dataset"] == "mgus2") & (ref["state"] > 0) & (ref["tau"] == 240)]
    diff = _fit("mgus2").rmtl_difference("F", "M", 240)
    f, m = ref[ref["group"] == "F"].set_index("state"), ref[ref["group"] == "M"].set_index("state")
    np.testing.assert_allclose(diff["value"], (m["rmean"] - f["rmean"]).to_numpy(), rtol=RTOL_R)
    np.testing.assert_allclose(diff["se"], np.hypot(m["se"], f["se"]).to_numpy(), rtol=RTOL_R)
    z = diff["value"] / diff["se"]
    np.testing.assert_allclose(diff["upper"] - diff["lower"], 2 * 1.959963984540054 * diff["se"], rtol=1e-12)
    assert ((diff["p_value"] < 0.05) == (np.abs(z) > 1.959963984540054)).all()


@contextlib.contextmanager
def lifelines_quarantine() -> Iterator[None]:
    """lifelines sets numpy's global error state; restore it and the warning filters afterwards."""
    state = np.geterr()
    try:
        with warnings.catch_warnings():
            yield
    finally:
        np.seterr(**state)


@st.composite
def untied_competing(draw: st.DrawFn) -> dict[str, np.ndarray]:
    """Integer durations; a cause determined by the duration's parity (no tie across causes)."""
    n = draw(st.integers(1, 60))
    t = np.array(draw(st.lists(st.integers(1, 25), min_size=n, max_size=n)), dtype=float)
    observed = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    cause = np.where(observed, np.where(t % 2 == 0, 1, 2), 0)
    out = {"t": t, "e": cause}
    if draw(st.booleans()):
        out["w"] = np.array(draw(st.lists(st.integers(1, 4), min_size=n, max_size=n)), dtype=float)
    if draw(st.booleans()):  # entries at half-integers: never at a duration (see the module docstring)
        lag = np.array(draw(st.lists(st.integers(0, 5), min_size=n, max_size=n)))
        out["entry"] = np.maximum(t - lag, 1.0) - 0.5
    return out


@settings(max_examples=80, deadline=None, derandomize=True)
@given(untied_competing())
def test_point_estimates_equal_lifelines(data: dict[str, np.ndarray]) -> None:
    t, e = data["t"], data["e"]
    ours = si.cumulative_incidence(t, e, entry=data.get("entry"), weights=data.get("w"), causes=[1, 2])
    for k in (1, 2):
        try:
            with lifelines_quarantine():
                aj = AalenJohansenFitter(calculate_variance=False).fit(
                    t, e, event_of_interest=k, entry=data.get("entry"), weights=data.get("w")
                )
        except StatError:  # lifelines refuses some delayed-entry data (as in test_lifelines_agreement.py)
            reject()
        cd = aj.cumulative_density_
        got = ours.incidence_at(cd.index.to_numpy()).query("cause == @k")
        assert len(got) == len(cd) > 0
        np.testing.assert_allclose(got["incidence"], cd.iloc[:, 0].to_numpy(), rtol=0, atol=TOL_LIFELINES)


def test_mgus2_without_cross_cause_ties_equals_lifelines() -> None:
    d = _inputs("mgus2")
    t = d["time"].to_numpy(dtype=float) + np.where(d["event"] == 1, 0.25, 0.0)  # pcm a quarter month later
    ours = si.cumulative_incidence(t, d["event"], d["group"].to_numpy())
    for g in ("F", "M"):
        rows = (d["group"] == g).to_numpy()
        for k in (1, 2):
            with lifelines_quarantine():
                aj = AalenJohansenFitter(calculate_variance=False).fit(t[rows], d["event"][rows], event_of_interest=k)
            cd = aj.cumulative_density_
            got = ours.incidence_at(cd.index.to_numpy()).query("group == @g and cause == @k")
            assert len(got) == len(cd) > 100
            np.testing.assert_allclose(got["incidence"], cd.iloc[:, 0].to_numpy(), rtol=0, atol=TOL_LIFELINES)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(untied_competing(), st.integers(0, 2**31 - 1))
def test_sums_equal_kaplan_meier_and_rmst(data: dict[str, np.ndarray], seed: int) -> None:
    t, e = data["t"], data["e"]
    groups = np.random.default_rng(seed).integers(0, 2, t.shape[0])
    cif = si.cumulative_incidence(t, e, groups, entry=data.get("entry"), weights=data.get("w"), causes=[1, 2])
    km = si.kaplan_meier_by(t, e > 0, groups, entry=data.get("entry"), weights=data.get("w"))
    grid = np.arange(0.0, 27.0, 0.5)
    at = cif.incidence_at(grid)
    total = at.groupby(["group", "time"])["incidence"].sum().unstack("time").to_numpy()
    np.testing.assert_allclose(1.0 - total, km.survival_at(grid), atol=1e-12)
    np.testing.assert_allclose(cif.survival_at(grid), km.survival_at(grid), atol=1e-12)
    lost = cif.rmtl([5.0, 20.0]).groupby(["group", "tau"])["value"].sum().to_numpy()
    rmst = km.rmst([5.0, 20.0])
    np.testing.assert_allclose(lost, rmst["tau"] - rmst["value"], atol=1e-10)
    f = at["incidence"].to_numpy()
    assert (f >= 0).all() and (f <= 1 + 1e-12).all()
    assert ((at["lower"] <= at["incidence"] + 1e-12) & (at["incidence"] <= at["upper"] + 1e-12)).all()


def test_saved_months_by_destination_sum_to_the_area_between() -> None:
    d = _inputs("mgus2")
    cif = si.cumulative_incidence(d["time"], d["event"], d["group"].to_numpy())
    km = si.kaplan_meier_by(d["time"], d["event"] > 0, d["group"].to_numpy())
    diff = cif.rmtl_difference("F", "M", [60, 240])
    area = km.area_between("F", "M", [60, 240])
    np.testing.assert_allclose(diff.groupby("tau")["value"].sum().to_numpy(), area["value"], rtol=1e-10)


def test_frequency_variance_equals_duplicated_rows_and_order_does_not_matter() -> None:
    d = _inputs("small")
    reps = np.arange(1, 4)[np.arange(len(d)) % 3]
    one = si.cumulative_incidence(d["exit"], d["event"], entry=d["entry"], weights=reps, variance="frequency")
    dup = d.loc[d.index.repeat(reps)]
    two = si.cumulative_incidence(dup["exit"], dup["event"], entry=dup["entry"])
    pd.testing.assert_frame_equal(one.table, two.table, rtol=1e-10)
    perm = np.random.default_rng(7).permutation(len(d))
    three = si.cumulative_incidence(
        d["exit"].to_numpy()[perm], d["event"].to_numpy()[perm], entry=d["entry"].to_numpy()[perm], weights=reps[perm]
    )
    robust = si.cumulative_incidence(d["exit"], d["event"], entry=d["entry"], weights=reps)
    pd.testing.assert_frame_equal(robust.table, three.table, rtol=1e-12)
    assert not np.allclose(robust.table["se"], one.table["se"])  # the two variances differ with weights


def test_table_columns_repr_and_declared_causes() -> None:
    cif = si.cumulative_incidence([1, 2, 2, 3], [1, 2, 0, 1], causes=[1, 2, 3])
    assert list(cif.table.columns) == si.estimate.competing.INCIDENCE_COLUMNS
    assert cif.causes.tolist() == [1, 2, 3]
    assert (cif.table.query("cause == 3")["incidence"] == 0).all()
    assert cif.incidence_at([0.5])["incidence"].tolist() == [0.0, 0.0, 0.0]
    assert "Cumulative incidence" in cif._repr_html_() and "causes=[1, 2, 3]" in repr(cif)
    with pytest.raises(KeyError, match="no group"):
        cif.rmtl_difference("x", "", 3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"destinations": [1, -1, 0]}, "position 1 holds -1"),
        ({"destinations": [1, 0.5, 0]}, "whole numbers"),
        ({"destinations": [1, 0]}, "length 2"),
        ({"destinations": [1, 2, 0], "causes": [1]}, "not among causes"),
        ({"destinations": [1, 2, 0], "variance": "greenwood"}, "'variance'"),
        ({"destinations": [1, 2, 0], "ci": "arcsine"}, "'ci'"),
    ],
)
def test_bad_input_names_the_problem(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        si.cumulative_incidence([1, 2, 3], **kwargs)  # type: ignore[arg-type]  # kwargs hold deliberate errors
