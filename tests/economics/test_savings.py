"""Saved full-time persons and kroner: properties, and recovery of a known synthetic effect."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import survival_invest as si
from survival_invest.config import Refusion, load_config
from survival_invest.economics import (
    convert_price,
    curve_variance,
    forecast_savings,
    realised_savings,
    refusion_share,
)
from survival_invest.pipeline.portfolio import run_portfolio
from survival_invest.synthetic import NORDDJURS_CASES

ROOT = Path(__file__).parents[2]
CONFIG = load_config(ROOT / "examples" / "norddjurs.toml")
SETTINGS = settings(derandomize=True, max_examples=60, deadline=None)


def test_refusion_staircase_of_the_2016_act() -> None:
    weeks = np.array([1, 4, 5, 26, 27, 52, 53, 400])
    np.testing.assert_allclose(refusion_share(weeks, CONFIG.refusion.bands), [0.8, 0.8, 0.4, 0.4, 0.3, 0.3, 0.2, 0.2])


@SETTINGS
@given(st.floats(1, 1e6), st.sampled_from([2018, 2019, 2020, 2021]), st.sampled_from([2019, 2020, 2022]))
def test_price_conversion_round_trip_is_identity(amount: float, a: int, b: int) -> None:
    idx = {2018: 96.5, 2019: 98.2, 2020: 100.0, 2021: 102.3, 2022: 107.9}
    assert convert_price(convert_price(amount, idx, a, b), idx, b, a) == pytest.approx(amount, rel=1e-12)


def _curve(h: int, p: float) -> tuple[np.ndarray, np.ndarray]:
    s = (1 - p) ** np.arange(h)
    v = np.cumsum(np.full(h, p / (100 * (1 - p))))
    return s, v


@SETTINGS
@given(st.floats(0.01, 0.2), st.floats(0.01, 0.2), st.floats(1000, 30000), st.integers(1, 20))
def test_forecast_properties(pc: float, pi: float, cost: float, per_month: int) -> None:
    sc, vc = _curve(36, pc)
    s_i, vi = _curve(36, pi)
    inflow = pd.Series(float(per_month), index=np.arange(2020 * 12, 2020 * 12 + 12))
    kw = dict(monthly_cost=cost, prior_weeks=10.0, refusion=Refusion())
    years = (2020, 2021, 2022)
    same = forecast_savings(sc, vc, sc, vc, inflow, years, **kw).frame
    assert np.allclose(same["saved_fte"], 0) and np.allclose(same["savings_kr"], 0)
    ab = forecast_savings(sc, vc, s_i, vi, inflow, years, **kw).frame
    ba = forecast_savings(s_i, vi, sc, vc, inflow, years, **kw).frame
    np.testing.assert_allclose(ab["saved_fte"], -ba["saved_fte"], atol=1e-12)
    np.testing.assert_allclose(ab["savings_kr_se"], ba["savings_kr_se"], rtol=1e-12)
    double = forecast_savings(sc, vc, s_i, vi, inflow, years, **{**kw, "monthly_cost": 2 * cost}).frame
    np.testing.assert_allclose(double["savings_kr"], 2 * ab["savings_kr"], rtol=1e-12)
    np.testing.assert_allclose(double["saved_fte"], ab["saved_fte"], rtol=1e-12)


def test_forecast_is_the_convolution_of_inflow_and_curve_difference() -> None:
    sc, vc = _curve(36, 0.05)
    s_i, vi = _curve(36, 0.09)
    n = np.zeros(36)
    n[:12] = np.arange(1, 13)
    inflow = pd.Series(n[:12], index=np.arange(2020 * 12, 2020 * 12 + 12))
    f = forecast_savings(
        sc, vc, s_i, vi, inflow, (2020, 2021, 2022), monthly_cost=1.0, prior_weeks=0, refusion=Refusion(enabled=False)
    ).frame
    monthly = np.convolve(n, sc - s_i)[:36]
    np.testing.assert_allclose(f["saved_fte"].to_numpy() * 12, monthly.reshape(3, 12).sum(axis=1), rtol=1e-12)
    np.testing.assert_allclose(f["savings_kr"].to_numpy(), monthly.reshape(3, 12).sum(axis=1), rtol=1e-12)


def test_curve_variance_equals_the_quadratic_form() -> None:
    rng = np.random.default_rng(2)
    s = np.cumprod(1 - rng.uniform(0, 0.1, 20))
    v = np.cumsum(rng.uniform(0, 0.01, 20))
    w = rng.uniform(0, 5, (3, 20))
    cov = np.outer(s, s) * v[np.minimum.outer(np.arange(20), np.arange(20))]
    want = np.einsum("yi,ij,yj->y", w, cov, w)
    np.testing.assert_allclose(curve_variance(w, s, v), want, rtol=1e-12)


def _truth(case_id: str, persons: pd.DataFrame, case, refusion: Refusion) -> pd.DataFrame:
    """Expected saved months and kroner of the realised participant-months under the true curves."""
    spec = next(c for c in NORDDJURS_CASES if c.case_id == case_id)
    d = spec.survival("comparison", 80) - spec.survival("intervention", 80)
    part = persons[persons["group"] == "intervention"]
    known = np.where(part["event"] == 1, part["followed"], np.minimum(part["duration"] + 1, part["followed"]))
    known = np.minimum(known, case.horizon)
    owner = np.repeat(np.arange(len(part)), known)
    t = np.arange(owner.size) - np.repeat(np.cumsum(known) - known, known)
    year = (part["entry"].to_numpy()[owner] + t) // 12
    cost = case.cost_for("kontanthjaelp") / 12.0
    weeks = part["prior_weeks"].to_numpy()[owner] + 52 / 12 * t + 1
    net = 1 - refusion_share(weeks, refusion.bands) if refusion.enabled else np.ones_like(weeks)
    frame = pd.DataFrame({"year": year, "fte": d[t] / 12, "kr": d[t] * cost * net})
    return frame.groupby("year").sum()


@pytest.mark.parametrize("refusion_on", [True, False])
def test_realised_recovers_the_synthetic_truth(refusion_on: bool) -> None:
    spells = si.read_spells(CONFIG.data.spells)
    members = si.read_memberships(CONFIG.data.memberships)
    refusion = replace(CONFIG.refusion, enabled=refusion_on)
    covered = total = 0
    for case_id in ("1", "2", "3", "4"):
        case = CONFIG.case(case_id)
        cohort = si.build_cohort(spells, members, case_id=case_id, as_of="2022-06", data_lag=2)
        real = realised_savings(cohort, case, price_index=CONFIG.run.price_index, price_level=2020, refusion=refusion)
        f = real.with_limits().set_index("year")
        truth = _truth(case_id, cohort.persons, case, refusion)
        for y in f.index:
            for col, tcol in (("saved_fte", "fte"), ("savings_kr", "kr")):
                total += 1
                covered += f.loc[y, f"{col}_lower"] <= truth.loc[y, tcol] <= f.loc[y, f"{col}_upper"]
    # 4 cases x 3 years x 2 measures = 24 intervals at 95 %: at least 21 cover (P(fewer) < 1 %)
    assert covered >= 21, f"{covered} of {total}"


def test_forecast_of_an_observed_year_matches_the_realised_figure() -> None:
    results = run_portfolio(CONFIG, "2022-06")
    r = results[(results["year"] == 2021) & (results["measure"] == "saved_fte")].set_index(["case_id", "kind"])
    for case_id in ("1", "2", "3", "4"):
        real, fc = r.loc[(case_id, "realised")], r.loc[(case_id, "forecast")]
        se = (real["upper"] - real["lower"]) / (2 * 1.959964)
        assert abs(real["value"] - fc["value"]) < 2 * se, case_id
        assert fc["lower"] <= real["value"] <= fc["upper"]


def test_results_table_shape_and_units() -> None:
    results = run_portfolio(CONFIG, "2022-06")
    assert list(results.columns) == [
        "case_id",
        "year",
        "measure",
        "kind",
        "value",
        "lower",
        "upper",
        "unit",
        "basis",
        "horizon",
        "extrapolated",
    ]
    assert set(results["measure"]) == {"investment", "savings", "net", "saved_fte", "refusion_part"}
    assert set(results["kind"]) == {"budget", "realised", "forecast"}
    assert set(results.loc[results["measure"] == "saved_fte", "unit"]) == {"fte"}
    est = results[results["kind"] != "budget"]
    est = est[est["measure"].isin(["savings", "saved_fte"]) & (est["case_id"] != "5")]
    assert (est["lower"] <= est["value"]).all() and (est["value"] <= est["upper"]).all()
    # savings are negative when the intervention works (synthetic truth: it does)
    fc = results[(results["measure"] == "savings") & (results["kind"] == "forecast") & (results["case_id"] == "1")]
    assert (fc["value"] < 0).all()
    net = results[results["measure"] == "net"].set_index(["case_id", "year", "kind"])["value"]
    parts = results[results["measure"].isin(["investment", "savings"])].pivot_table(
        index=["case_id", "year", "kind"], columns="measure", values="value"
    )
    both = parts.dropna()
    np.testing.assert_allclose(net.loc[both.index], both["investment"] + both["savings"], rtol=0, atol=1e-12)


def test_finance_extract_and_count_case_realised(tmp_path: Path) -> None:
    text = (ROOT / "examples" / "norddjurs.toml").read_text(encoding="utf-8")
    text = text.replace(
        'memberships = "../data/synthetic/memberships.csv"',
        f'memberships = "{ROOT}/data/synthetic/memberships.csv"\nfinance = "finance.csv"',
    )
    text = text.replace(
        'spells = "../data/synthetic/spells_monthly.csv"', f'spells = "{ROOT}/data/synthetic/spells_monthly.csv"'
    )
    text = text.replace(
        "placements = [12, 7.7, 3.8, 3.8]", "placements = [12, 7.7, 3.8, 3.8]\nrealised_placements = [10, 6]"
    )
    (tmp_path / "p.toml").write_text(text, encoding="utf-8")
    (tmp_path / "finance.csv").write_text("case_id,year,investment_mkr\n1,2020,2.5\n1,2021,3.1\n5,2020,1.4\n")
    results = run_portfolio(load_config(tmp_path / "p.toml"), "2022-06").set_index(
        ["case_id", "year", "measure", "kind"]
    )
    assert results.loc[("1", 2020, "investment", "realised"), "value"] == 2.5
    net = results.loc[("1", 2020, "net", "realised"), "value"]
    sav = results.loc[("1", 2020, "savings", "realised"), "value"]
    assert net == pytest.approx(2.5 + sav)
    assert results.loc[("5", 2020, "savings", "realised"), "value"] == pytest.approx(-10 * 0.1773)
    assert results.loc[("5", 2021, "savings", "realised"), "value"] == pytest.approx(-6 * 0.1773)
    assert results.loc[("5", 2020, "net", "realised"), "value"] == pytest.approx(1.4 - 10 * 0.1773)
    assert ("1", 2022, "investment", "realised") not in results.index  # no finance row, no figure


def test_bad_finance_file_is_named(tmp_path: Path) -> None:
    from survival_invest.io.readers import read_finance

    (tmp_path / "f.csv").write_text("case_id,year,investment_mkr\n1,2020,x\n")
    with pytest.raises(si.ExtractError, match=r"f.csv: column 'investment_mkr', row 1: 'x' is not an amount"):
        read_finance(tmp_path / "f.csv")


def test_occupancy_curve_case() -> None:
    """On the occupancy clock (returns to support count) realised and forecast agree for an observed year."""
    case = replace(CONFIG.case("3"), curve="occupancy")
    config = replace(CONFIG, cases=(case,))
    results = run_portfolio(config, "2022-06")
    r = results[(results["measure"] == "saved_fte") & (results["year"] == 2021)].set_index("kind")
    real, fc = r.loc["realised"], r.loc["forecast"]
    assert real["lower"] < real["value"] < real["upper"] and fc["lower"] < fc["value"] < fc["upper"]
    se = (fc["upper"] - fc["lower"]) / (2 * 1.959964)
    assert abs(real["value"] - fc["value"]) < 2 * se
    first_exit = run_portfolio(replace(CONFIG, cases=(CONFIG.case("3"),)), "2022-06")
    fe = first_exit[
        (first_exit["measure"] == "saved_fte") & (first_exit["year"] == 2021) & (first_exit["kind"] == "realised")
    ]
    # returns to support after an exit eat into the saving: occupancy saves less than first exit
    assert real["value"] < fe["value"].iloc[0]


@pytest.fixture(scope="module")
def weekly_portfolios(tmp_path_factory) -> dict[str, Path]:
    """One synthetic portfolio as three extracts: monthly, weekly with only whole months, weekly with partial months.

    Every case gets a month rule of its own so that all three rules run; the
    template's costs and refusion staircase price the savings.
    """
    from importlib import resources

    from survival_invest.synthetic.extracts import dream_wide, simulate_portfolio

    tmp = tmp_path_factory.mktemp("weekly")
    spells, members, _ = simulate_portfolio(NORDDJURS_CASES, as_of="2022-07", data_lag=2, seed=9)
    spells.to_csv(tmp / "monthly.csv", index=False)
    dream_wide(spells).to_csv(tmp / "whole.csv", index=False)
    dream_wide(spells, partial=0.5, seed=9).to_csv(tmp / "partial.csv", index=False)
    members.to_csv(tmp / "memberships.csv", index=False)
    template = (resources.files("survival_invest") / "data" / "portfolio_template.toml").read_text(encoding="utf-8")
    rules = iter(["any", "majority", "all", "majority"])
    lines = [
        f'month_rule = "{next(rules)}"' if line.startswith("month_rule =") else line
        for line in template.splitlines()
        if not line.startswith(("finance =", "payments ="))  # priced by the cost per full-time person here
    ]
    out = {}
    for name, fmt in (("monthly", "long"), ("whole", "dream_wide"), ("partial", "dream_wide")):
        text = "\n".join(lines).replace('spells = "spells_monthly.csv"', f'spells = "{name}.csv"')
        (tmp / f"{name}.toml").write_text(text.replace('spells_format = "long"', f'spells_format = "{fmt}"'))
        out[name] = tmp / f"{name}.toml"
    return out


@pytest.mark.parametrize("extract", ["whole", "partial", "monthly"])
def test_cohort_path_and_run_portfolio_price_alike(weekly_portfolios: dict[str, Path], extract: str) -> None:
    """realised_savings from a Cohort (Jupyter) = run_portfolio's figures, all cases, several as-of months."""
    from survival_invest.pipeline.portfolio import run_portfolio_full

    cfg = load_config(weekly_portfolios[extract])
    kw = dict(price_index=cfg.run.price_index, price_level=cfg.run.price_level, refusion=cfg.refusion)
    cases = [c for c in cfg.cases if c.method == "survival"]
    assert {c.month_rule for c in cases} == {"any", "majority", "all"}
    for as_of in ("2021-03", "2021-10", "2022-06"):
        run = run_portfolio_full(cfg, as_of, engine="memory")
        for case in cases:
            cohort = run.cohorts[case.id]
            assert cohort.source_frequency == ("month" if extract == "monthly" else "week")
            assert cohort.month_rule == case.month_rule
            stats = run.statistics[case.id]
            # the weeks per period come from the declared frequency, not from the shares
            assert stats.week_factor == (52.0 / 12.0 if extract == "monthly" else 1.0)
            from_cohort = realised_savings(cohort, case, **kw).frame
            from_run = realised_savings(stats, case, **kw).frame
            pd.testing.assert_frame_equal(from_cohort, from_run, check_exact=True)
            published = run.results.query("case_id == @case.id and kind == 'realised'")
            for measure, column in (("savings", "savings_kr"), ("refusion_part", "refusion_part_kr")):
                pub = published[published["measure"] == measure].set_index("year")["value"]
                mine = -from_cohort.set_index("year")[column].reindex(pub.index) / 1e6
                np.testing.assert_array_equal(mine.to_numpy(), pub.to_numpy())


def test_weekly_extracts_are_priced_by_the_week(weekly_portfolios: dict[str, Path]) -> None:
    """A weekly extract with only whole months is still weekly: prior weeks counted in weeks, week factor 1.

    Its cohorts under ``any`` equal the monthly extract's but the kroner differ
    (prior support in weeks, not 52/12 per month); the partial months change the
    occupancy shares and the prior weeks, and under ``majority``/``all`` the exits.
    """
    from survival_invest.pipeline.portfolio import run_portfolio_full

    runs = {k: run_portfolio_full(load_config(p), "2022-06", engine="memory") for k, p in weekly_portfolios.items()}
    m, w, pw = runs["monthly"].cohorts["1"], runs["whole"].cohorts["1"], runs["partial"].cohorts["1"]  # rule "any"
    cols = ["person_id", "group", "entry", "duration", "event", "followed", "benefit"]
    pd.testing.assert_frame_equal(m.persons[cols], w.persons[cols])
    pd.testing.assert_frame_equal(m.persons[cols], pw.persons[cols])  # "any": partial months change no exit
    assert (w.persons["prior_weeks"] != m.persons["prior_weeks"]).any()  # weeks, not 52/12 per month
    assert (pw.persons["prior_weeks"] <= w.persons["prior_weeks"]).all()
    assert (pw.persons["prior_weeks"] < w.persons["prior_weeks"]).any()
    assert (pw.status["share"] < 1).any() and (w.status["share"] == 1).all()
    real = {k: r.results.query("kind == 'realised' and measure == 'savings'")["value"] for k, r in runs.items()}
    assert not np.array_equal(real["monthly"].to_numpy(), real["whole"].to_numpy())
    # "all" (case 3): a partly supported month ends the spell, so exits come earlier than under "any"
    d_all = runs["partial"].cohorts["3"].persons["duration"].to_numpy()
    d_whole = runs["whole"].cohorts["3"].persons["duration"].to_numpy()
    assert (d_all <= d_whole).all() and (d_all < d_whole).any()
