"""The sufficient-statistics seam: estimates from counts equal estimates from persons."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import survival_invest as si
from survival_invest.config import load_config
from survival_invest.economics import realised_savings, support_week
from survival_invest.estimate import kaplan_meier, kaplan_meier_by, kaplan_meier_from_counts
from survival_invest.stats import AGGREGATE_COLUMNS, case_statistics, cohort_aggregates

ROOT = Path(__file__).parents[2]
CONFIG = load_config(ROOT / "examples" / "norddjurs.toml")
SETTINGS = settings(derandomize=True, max_examples=60, deadline=None)


@SETTINGS
@given(st.integers(1, 200), st.integers(0, 2**32 - 1), st.booleans())
def test_curves_from_counts_equal_curves_from_persons(n: int, seed: int, delayed: bool) -> None:
    rng = np.random.default_rng(seed)
    d = rng.integers(0, 30, n)
    e = rng.integers(0, 2, n)
    g = rng.choice(["a", "b", "c"], n)
    entry = np.minimum(rng.integers(0, 10, n), d) if delayed else None
    if delayed:  # an event cannot fall on the entry time itself
        entry = np.where((entry == d) & (e == 1), np.maximum(d - 1, 0), entry)
        e = np.where(entry == d, 0, e)
    direct = kaplan_meier_by(d, e, g, entry=entry)
    table = pd.DataFrame({"group": g, "t": d, "events": e, "censored": 1 - e})
    if delayed:
        table = pd.concat([table, pd.DataFrame({"group": g, "t": entry, "events": 0, "censored": 0, "entered": 1})])
        table["entered"] = table["entered"].fillna(0)
    from_counts = kaplan_meier_from_counts(table)
    assert list(from_counts.labels) == list(direct.labels)
    grid = np.arange(35)
    np.testing.assert_array_equal(from_counts.survival_at(grid), direct.survival_at(grid))
    np.testing.assert_array_equal(from_counts.greenwood_at(grid), direct.greenwood_at(grid))
    np.testing.assert_array_equal(from_counts.at_risk_at(grid), direct.at_risk_at(grid))


def test_single_curve_and_bad_tables() -> None:
    km = kaplan_meier([1, 2, 2, 3], [1, 1, 0, 1])
    c = kaplan_meier_from_counts(pd.DataFrame({"t": [1, 2, 3], "events": [1, 1, 1], "censored": [0, 1, 0]}), group=None)
    assert c[""].rmst(3).value == km.rmst(3).value
    with pytest.raises(si.InputError, match="lacks the columns"):
        kaplan_meier_from_counts(pd.DataFrame({"t": [1]}))
    with pytest.raises(si.InputError, match="whole durations"):
        kaplan_meier_from_counts(pd.DataFrame({"group": ["a"], "t": [-1], "events": [1], "censored": [0]}))


@pytest.fixture(scope="module")
def cohorts() -> dict[str, si.Cohort]:
    spells = si.read_spells(CONFIG.data.spells)
    members = si.read_memberships(CONFIG.data.memberships)
    return {c: si.build_cohort(spells, members, case_id=c, as_of="2022-06", data_lag=2) for c in ("1", "3")}


def test_statistics_of_a_cohort_hold_its_persons(cohorts) -> None:
    cohort = cohorts["3"]
    stats = case_statistics(cohort, source_frequency="month")
    p = cohort.persons
    for g in ("comparison", "intervention"):
        rows = p[p["group"] == g]
        assert stats.persons(g) == len(rows)
        assert stats.summary.loc["events", g] == rows["event"].sum()
    # the curves from counts are the curves from persons
    grid = np.arange(40)
    np.testing.assert_array_equal(stats.curves().survival_at(grid), cohort.curves().survival_at(grid))
    # occupancy from the per-(month, t) table is the cohort's occupancy
    a = stats.occupancy_curve().set_index(["group", "t"]).sort_index()
    b = cohort.occupancy().set_index(["group", "t"]).sort_index()
    np.testing.assert_array_equal(a["followed"].to_numpy(), b["followed"].to_numpy())
    np.testing.assert_allclose(a["share"].to_numpy(), b["share"].to_numpy(), rtol=1e-14)
    # entrants: participants by entry month
    part = p[p["group"] == "intervention"]
    ent = stats.entrants.groupby("entry")["n"].sum()
    pd.testing.assert_series_equal(ent, part.groupby("entry").size().rename("n"), check_dtype=False)
    # the participants' person-months: followed months per calendar month
    months = stats.participants.groupby("month")["followed"].sum()
    owner = np.repeat(np.arange(len(part)), part["followed"].to_numpy())
    t = np.arange(owner.shape[0]) - np.repeat(
        np.cumsum(part["followed"].to_numpy()) - part["followed"].to_numpy(), part["followed"].to_numpy()
    )
    cal = part["entry"].to_numpy()[owner] + t
    expect = pd.Series(cal).value_counts().sort_index()
    np.testing.assert_array_equal(months.to_numpy(), expect.to_numpy())


def test_aggregates_have_the_documented_columns_and_integer_counts(cohorts) -> None:
    agg = cohort_aggregates(cohorts["1"], source_frequency="month")
    for name, cols in AGGREGATE_COLUMNS.items():
        assert list(agg[name].columns) == cols
        counts = [c for c in cols if c in ("t", "events", "censored", "n", "units", "length", "entry", "month")]
        assert all(agg[name][c].dtype == np.int64 for c in counts)


def test_realised_savings_from_statistics_equal_the_per_person_sum(cohorts) -> None:
    """Cells summed = person-months summed (same S_c, same weights), to rounding."""
    cohort = cohorts["1"]
    case = CONFIG.case("1")
    kw = dict(price_index=CONFIG.run.price_index, price_level=2020, refusion=CONFIG.refusion)
    from_stats = realised_savings(case_statistics(cohort, source_frequency="month"), case, **kw).frame
    p = cohort.persons
    part = p[p["group"] == "intervention"]
    comp = p[p["group"] == "comparison"]
    s_c = kaplan_meier(comp["duration"], comp["event"]).survival_at(np.arange(case.horizon))
    ev = part["event"].to_numpy() == 1
    f, d = part["followed"].to_numpy(), part["duration"].to_numpy()
    months = np.minimum(np.where(ev, f, np.minimum(d + 1, f)), case.horizon)
    owner = np.repeat(np.arange(len(part)), months)
    t = np.arange(owner.shape[0]) - np.repeat(np.cumsum(months) - months, months)
    observed = ((t < d[owner]) | ~ev[owner]).astype(float)
    saved = s_c[t] - observed
    prior = np.rint(part["prior_weeks"].to_numpy() / (52 / 12)).astype(np.int64)
    weeks = support_week(prior[owner], t, 52 / 12)
    from survival_invest.economics import refusion_share

    kr = saved * case.cost_for("kontanthjaelp") / 12 * (1 - refusion_share(weeks, CONFIG.refusion.bands))
    year = (part["entry"].to_numpy()[owner] + t) // 12
    by = pd.DataFrame({"year": year, "fte": saved / 12, "kr": kr}).groupby("year").sum()
    np.testing.assert_allclose(from_stats.set_index("year")["saved_fte"], by["fte"], rtol=1e-12)
    np.testing.assert_allclose(from_stats.set_index("year")["savings_kr"], by["kr"], rtol=1e-12)


def test_support_week_is_exact_on_band_boundaries() -> None:
    # six months before entry = 26 weeks: the first month is week 27 exactly, not 26.999...
    assert support_week(np.array([6]), np.array([0]), 52 / 12)[0] == 27.0
    assert support_week(np.array([0]), np.array([6]), 52 / 12)[0] == 27.0
    assert support_week(np.array([10]), np.array([0]), 1.0)[0] == 11.0


@pytest.mark.parametrize("scale", [1, 2**40])  # a mixed-radix key, and keys too wide for one: rows of np.unique
def test_collapse_rows_sums_like_a_groupby_of_the_rows(scale: int) -> None:
    from survival_invest.stats.counting import collapse_rows

    rng = np.random.default_rng(8)
    a, b, c = rng.integers(0, 3, 5000), rng.integers(-4, 40, 5000) * scale, rng.integers(0, 7, 5000) * scale
    hit = rng.random(5000) < 0.3
    got = collapse_rows({"a": a, "b": b, "c": c}, {"n": None, "hits": hit})
    frame = pd.DataFrame({"a": a, "b": b, "c": c, "n": 1, "hits": hit.astype(np.int64)})
    expected = frame.groupby(["a", "b", "c"], as_index=False)[["n", "hits"]].sum()
    pd.testing.assert_frame_equal(got, expected)
    empty = collapse_rows({"a": a[:0]}, {"n": None})
    assert list(empty.columns) == ["a", "n"] and len(empty) == 0
