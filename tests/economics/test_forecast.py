"""The forecast (economics.forecast, .horizon, .entrants): the capped horizon, tails, prices by cell, count cases."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survival_invest.config import InflowStep, load_config
from survival_invest.economics import (
    case_forecast,
    case_forecast_weights,
    case_horizon,
    count_forecast,
    curves_on_grid,
    forecast_savings,
    month_prices,
)
from survival_invest.economics.entrants import entrant_price_mass, entrant_prices
from survival_invest.economics.horizon import case_area, forecast_curves, horizon_warnings
from survival_invest.engines import portfolio_statistics
from survival_invest.errors import InputError
from survival_invest.estimate import area_between
from survival_invest.io.periods import RunClock, parse_as_of

ROOT = Path(__file__).parents[2]
CONFIG = load_config(ROOT / "examples" / "norddjurs.toml")
CLOCK = RunClock.parse("2022-06", CONFIG.run.data_lag, "month")


@pytest.fixture(scope="module")
def stats():  # type: ignore[no-untyped-def]
    return portfolio_statistics(CONFIG, CLOCK, "memory").statistics


def _largest_observed(s: pd.DataFrame, group: str) -> int:
    g = s[(s["group"] == group) & ((s["events"] + s["censored"]) > 0)]
    return int(g["t"].max())


@pytest.mark.parametrize("case_id", ["1", "2", "3", "4"])
def test_tau_is_capped_at_the_smaller_largest_observed_duration(stats, case_id: str) -> None:
    st, case = stats[case_id], CONFIG.case(case_id)
    want = min(_largest_observed(st.survival, "comparison"), _largest_observed(st.survival, "intervention"))
    hz = case_horizon(st, case)
    assert case.tail == "none" and hz.last_observed == want and hz.tau == want < case.horizon
    assert hz.capped and hz.extrapolated == 0
    (note,) = horizon_warnings(case, hz)
    assert f"stop at {want} months" in note and "counts nothing beyond" in note
    tailed = case_horizon(st, replace(case, tail="exponential"))
    assert tailed.tau == case.horizon and not tailed.capped and tailed.extrapolated == case.horizon - want
    assert "declared tail ('exponential')" in horizon_warnings(case, tailed)[0]
    assert horizon_warnings(case, case_horizon(st, replace(case, horizon=want))) == []


def test_without_a_tail_nothing_beyond_the_cap_is_counted(stats) -> None:
    st, case = stats["1"], CONFIG.case("1")
    tau = case_horizon(st, case).tau
    w = case_forecast_weights(st, case, CONFIG, cutoff=CLOCK.cutoff)
    assert w.shape == (3, len(case.years), case.horizon)
    assert np.all(w[:, :, tau:] == 0) and np.all(w[0, -1, :tau].sum() > 0)
    capped = case_forecast(st, case, CONFIG, cutoff=CLOCK.cutoff).frame
    # the same as carrying the curves flat on a horizon that ends at the cap
    short = case_forecast(st, replace(case, horizon=tau, tail="flat"), CONFIG, cutoff=CLOCK.cutoff).frame
    cols = ["saved_fte", "saved_fte_se", "savings_kr", "savings_kr_se"]
    np.testing.assert_allclose(capped[cols].to_numpy(), short[cols].to_numpy(), rtol=1e-12)
    assert (capped["savings_kr_extrapolated"] == 0).all()
    # and less than the old rule (flat to 36 months) in the years that reach beyond the cap
    flat = case_forecast(st, replace(case, tail="flat"), CONFIG, cutoff=CLOCK.cutoff).frame
    assert (flat["saved_fte"] >= capped["saved_fte"] - 1e-12).all() and flat["saved_fte"].iloc[-1] > capped[
        "saved_fte"
    ].iloc[-1]


def _end_of_follow_up_greenwood(s: pd.DataFrame, group: str, v: np.ndarray, months: int) -> np.ndarray:
    """Greenwood's sum with the terms of the last ``months`` observed durations at their pooled hazard D / N."""
    g = s[s["group"] == group]
    size = v.shape[0]
    d = np.bincount(g["t"], weights=g["events"], minlength=size)[:size]
    n = np.cumsum(np.bincount(g["t"], weights=g["events"] + g["censored"], minlength=size)[::-1])[::-1][:size]
    last = _largest_observed(s, group)
    end = (np.arange(size) > last - months) & (np.arange(size) <= last) & (n > 0)
    h = d[end].sum() / n[end].sum()
    terms = np.diff(v, prepend=0.0)
    terms[end] = h / (n[end] * (1.0 - h))
    return np.cumsum(terms)


def test_the_flat_tail_is_the_old_forecast_of_saved_months(stats) -> None:
    """The months (not priced) of tail = "flat" are the pre-tail rule: curves carried flat to the horizon.

    The variance is the old rule's with Greenwood's terms of the last
    ``tail_months`` observed durations taken at their pooled hazard (the
    end-of-follow-up rule of ``estimate.tails``, which every declared tail uses).
    """
    st, case = stats["3"], replace(CONFIG.case("3"), tail="flat")
    sc, vc, s_i, vi, _ = curves_on_grid(st, case)
    cost, prior = entrant_prices(st, case, CONFIG.run.price_index, CONFIG.run.price_level)
    flow = case_forecast_weights(st, case, CONFIG, cutoff=CLOCK.cutoff)  # months: the inflow convolved
    args = (_inflow(st, case), case.years)
    prices = {"monthly_cost": cost, "prior_weeks": prior, "refusion": CONFIG.refusion}
    old = forecast_savings(sc, vc, s_i, vi, *args, **prices).frame
    new = case_forecast(st, case, CONFIG, cutoff=CLOCK.cutoff).frame
    np.testing.assert_allclose(new["saved_fte"], old["saved_fte"], rtol=1e-12)
    np.testing.assert_allclose(flow[0] @ (sc - s_i) / 12, new["saved_fte"], rtol=1e-12)
    vc_end, vi_end = (
        _end_of_follow_up_greenwood(st.survival, g, v, case.tail_months)
        for g, v in (("comparison", vc), ("intervention", vi))
    )
    ended = forecast_savings(sc, vc_end, s_i, vi_end, *args, **prices).frame
    np.testing.assert_allclose(new["saved_fte_se"], ended["saved_fte_se"], rtol=1e-12)
    # the entry year's durations lie before the last tail_months observed: Greenwood's variance as before
    np.testing.assert_allclose(new["saved_fte_se"].iloc[0], old["saved_fte_se"].iloc[0], rtol=1e-12)
    assert new["saved_fte_se"].iloc[-1] > old["saved_fte_se"].iloc[-1]


def _inflow(st, case) -> pd.Series:  # type: ignore[no-untyped-def]
    from survival_invest.economics import inflow

    return inflow(st, case, CLOCK.cutoff)


@pytest.mark.parametrize("tail", ["exponential", "weibull", "loglogistic"])
def test_a_declared_tail_extrapolates_and_widens_the_interval(stats, tail: str) -> None:
    st, case = stats["1"], replace(CONFIG.case("1"), tail=tail)
    f = case_forecast(st, case, CONFIG, cutoff=CLOCK.cutoff).frame.set_index("year")
    # 2020 entrants reach at most 23 months in 2021: no tail months before 2022
    assert f.loc[2020, "saved_fte_extrapolated"] == 0 and f.loc[2021, "saved_fte_tail_var"] == 0
    assert f.loc[2023, "saved_fte_extrapolated"] != 0 and f.loc[2023, "saved_fte_tail_var"] > 0
    assert abs(f.loc[2023, "saved_fte_extrapolated"]) < abs(f.loc[2023, "saved_fte"]) + 1e-12
    curves = forecast_curves(st, case)
    for c in (curves.comparison, curves.intervention):
        assert c.fit is not None and c.extrapolated[c.fit.last_observed + 1 :].all()


def test_case_area_is_area_between_where_nothing_is_extrapolated(stats) -> None:
    st, case = stats["2"], CONFIG.case("2")
    area, curves = case_area(st, case)
    km = st.curves()
    want = area_between(km.curve("comparison"), km.curve("intervention"), curves.horizon.tau)
    assert area.tau == curves.horizon.tau < case.horizon
    np.testing.assert_allclose([area.value, area.se], [want.value, want.se], rtol=1e-10)
    tailed, _ = case_area(st, replace(case, tail="exponential"))
    assert tailed.tau == case.horizon and tailed.se > 0


def test_occupancy_takes_no_fitted_tail(stats) -> None:
    case = replace(CONFIG.case("1"), curve="occupancy", tail="weibull")
    with pytest.raises(InputError, match="occupancy curve takes tail = 'none' or 'flat'"):
        case_forecast(stats["1"], case, CONFIG, cutoff=CLOCK.cutoff)
    capped = case_horizon(stats["1"], replace(case, tail="none"))
    assert capped.tau <= case.horizon


def test_entrants_are_priced_at_their_own_cells(stats) -> None:
    """The kroner mass of every entry month is the sum over its cells of n x price(cell, t), by brute force."""
    st, case = stats["1"], CONFIG.case("1")
    h = 12
    ent = st.entrants
    months = np.arange(int(ent["entry"].min()), CLOCK.cutoff + 3)
    mass = entrant_price_mass(st, case, CONFIG, cutoff=CLOCK.cutoff, months=months, horizon=h)
    want = np.zeros((2, months.shape[0], h))
    for row in ent.itertuples():  # a few dozen cells
        cells = pd.DataFrame(
            {"benefit_group": row.benefit_group, "prior_periods": row.prior_periods, "t": np.arange(h)}
        )
        kr, ref = month_prices(
            cells,
            case,
            week_factor=st.week_factor,
            price_index=CONFIG.run.price_index,
            price_level=CONFIG.run.price_level,
            refusion=CONFIG.refusion,
        )
        want[0, row.entry - months[0]] += row.n * kr
        want[1, row.entry - months[0]] += row.n * ref
    realised = months <= CLOCK.cutoff
    np.testing.assert_allclose(mass[1:, realised], want[:, realised], rtol=1e-12)
    # the prior weeks differ between entrants, so pricing at their mean would give another figure
    assert ent["prior_periods"].nunique() > 1
    cost, prior = entrant_prices(st, case, CONFIG.run.price_index, CONFIG.run.price_level)
    at_mean = forecast_savings(
        np.ones(h), np.zeros(h), np.zeros(h), np.zeros(h), _inflow(st, case), case.years,
        monthly_cost=cost, prior_weeks=prior, refusion=CONFIG.refusion,
    ).frame  # fmt: skip
    w = case_forecast_weights(st, replace(case, horizon=h), CONFIG, cutoff=CLOCK.cutoff, tau=h)
    assert abs(w[1, 0].sum() / at_mean["savings_kr"].iloc[0] - 1) > 1e-3


def test_planned_entrants_take_the_average_price_per_duration(stats) -> None:
    """A planned entrant costs the realised entrants' mean price at each duration (not the price at mean weeks)."""
    st = stats["1"]
    case = replace(CONFIG.case("1"), planned_inflow=(InflowStep("2020-01", "2022-08", 4.0),))
    h = 6
    months = np.arange(int(st.entrants["entry"].min()), CLOCK.cutoff + 5)
    mass = entrant_price_mass(st, case, CONFIG, cutoff=CLOCK.cutoff, months=months, horizon=h)
    realised, planned = months <= CLOCK.cutoff, months > CLOCK.cutoff
    np.testing.assert_allclose(mass[0, planned], 4.0)  # plans count only after the cut-off
    np.testing.assert_allclose(mass[0, realised, 0].sum(), st.entrants["n"].sum())
    mean_kr = mass[1, realised].sum(axis=0) / mass[0, realised, 0].sum()
    np.testing.assert_allclose(mass[1, planned], 4.0 * np.broadcast_to(mean_kr, (planned.sum(), h)), rtol=1e-12)
    # no realised entrants: the unknown benefit group's cost at 0 prior weeks
    empty = replace(st, entrants=st.entrants.iloc[:0])
    alone = entrant_price_mass(empty, case, CONFIG, cutoff=CLOCK.cutoff, months=months, horizon=h)
    assert alone[0, realised].sum() == 0
    np.testing.assert_allclose(alone[1, planned][0, 0] / 4.0, case.cost_for(None) / 12 * (1 - 0.8), rtol=1e-12)


def test_count_case_forecast_uses_the_realised_placements() -> None:
    case = replace(CONFIG.case("5"), placements=(12.0, 7.7, 3.8, 3.8), realised_placements=(10.0, 5.0))
    cutoff = parse_as_of("2021-04", "month")  # 2020 observed, 2021 to April (4 months)
    got = count_forecast(case, cutoff)
    assert got == pytest.approx((10.0, 5.0 + 7.7 * 8 / 12, 3.8, 3.8))
    assert count_forecast(replace(case, realised_placements=()), cutoff) == pytest.approx(case.placements)
    assert count_forecast(case, parse_as_of("2019-12", "month")) == pytest.approx(case.placements)


@pytest.mark.parametrize("tail", ["none", "exponential", "weibull"])
def test_the_bootstrap_refits_the_tail_and_a_unit_replicate_is_the_published_forecast(tail: str) -> None:
    from survival_invest.economics import savings_replicates
    from survival_invest.estimate.bootstrap import replicate_counts

    ran = portfolio_statistics(CONFIG, CLOCK, "memory")
    cohort, case = ran.cohorts["1"], replace(CONFIG.case("1"), tail=tail)
    ones = np.ones((1, len(cohort.persons)))
    reps = savings_replicates(cohort, case, CONFIG, ones)
    got = reps[reps["kind"] == "forecast"].set_index("year")
    want = case_forecast(ran.statistics["1"], case, CONFIG, cutoff=CLOCK.cutoff).frame.set_index("year")
    for col in ("saved_fte", "savings_kr", "refusion_part_kr"):
        np.testing.assert_allclose(got[col], want.loc[got.index, col], rtol=1e-9)
    # resampled replicates spread beyond the cap only when a tail extrapolates
    codes = (cohort.persons["group"] == "intervention").to_numpy().astype(np.int64)
    counts = replicate_counts(codes, 2, 40, np.random.default_rng(4))
    spread = savings_replicates(cohort, case, CONFIG, counts)
    last = spread[(spread["kind"] == "forecast") & (spread["year"] == 2023)]["saved_fte"]
    assert last.std() > 0


def test_a_tail_without_a_finite_fit_names_the_case_and_group(stats) -> None:
    st = stats["1"]
    sv = st.survival.copy()
    last = int(sv.loc[sv["group"] == "intervention", "t"].max())
    # every participant at risk in the last month exits: the exponential hazard would be 1
    late = (sv["group"] == "intervention") & (sv["t"] > last - 3)
    sv.loc[late, "events"] += sv.loc[late, "censored"]
    sv.loc[late, "censored"] = 0
    broken = replace(st, survival=sv)
    case = replace(CONFIG.case("1"), tail="exponential", tail_months=1)
    with pytest.raises(InputError, match=r"case '1', intervention group: tail 'exponential': the fitting window"):
        forecast_curves(broken, case)
