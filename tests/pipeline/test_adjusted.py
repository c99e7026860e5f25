"""An adjusted case's savings through the monthly path (pipeline.adjusted): the same economics, adjusted curves."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import survival_invest as si
from survival_invest.config import ConfigError, load_config
from survival_invest.config.model import AdjustConfig
from survival_invest.economics.forecast import case_forecast_weights
from survival_invest.pipeline.adjusted import adjusted_figures
from survival_invest.pipeline.portfolio import run_portfolio_full
from survival_invest.stats import as_statistics
from survival_invest.synthetic.adjusted_case import adjusted_case, true_difference

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "norddjurs.toml"


def _example(tmp_path: Path, lines: str = "") -> Path:
    """The example portfolio (paths made absolute) with ``lines`` added to case 3, replacing its comparison."""
    text = EXAMPLE.read_text(encoding="utf-8").replace("../data/", f"{ROOT / 'data'}/")
    text = text.replace("[data]\n", f'[data]\npersons = "{ROOT / "data" / "synthetic" / "persons.csv"}"\n', 1)
    head, sep, rest = text.partition('id = "3"')
    if "comparison" in lines:
        rest = rest.replace('comparison = "non_participants"', "", 1)
    out = tmp_path / "portfolio.toml"
    out.write_text(head + sep + "\n" + lines + rest, encoding="utf-8")
    return out


def _rows(results: pd.DataFrame, case_id: str) -> pd.DataFrame:
    r = results[(results["case_id"] == case_id) & results["measure"].isin(["saved_fte", "savings", "refusion_part"])]
    return r.set_index(["year", "measure", "kind"]).sort_index()


def test_without_covariates_the_adjusted_economics_are_the_kaplan_meier_ones(tmp_path: Path) -> None:
    """Without covariates the adjusted curves are Kaplan-Meier up to the smooth time terms of the hazard models
    (within 0.3 percentage points here): the figures must be the non-participants' figures within 3 %."""
    run = run_portfolio_full(_example(tmp_path), "2022-06", engine="memory")
    cfg = load_config(_example(tmp_path))
    case = cfg.case("3")
    adjusted = replace(case, comparison="adjusted", adjust=AdjustConfig(covariates=()))
    figures = adjusted_figures(run.cohorts["3"], adjusted, cfg, cutoff=run.cutoff)
    plain = _rows(run.results, "3")
    for kind, fig in (("realised", figures.realised), ("forecast", figures.forecast)):
        f = fig.frame.set_index("year")
        for year in f.index.intersection(plain.xs("saved_fte", level="measure").xs(kind, level="kind").index):
            assert f.loc[year, "saved_fte"] == pytest.approx(plain.loc[(year, "saved_fte", kind), "value"], rel=0.03)
            assert -f.loc[year, "savings_kr"] / 1e6 == pytest.approx(
                plain.loc[(year, "savings", kind), "value"], rel=0.03
            )
            # the influence-function SE of a KM-based figure is close to the delta method's (IJ vs Greenwood)
            half = (plain.loc[(year, "saved_fte", kind), "upper"] - plain.loc[(year, "saved_fte", kind), "lower"]) / 2
            assert f.loc[year, "saved_fte_se"] * 1.959964 == pytest.approx(half, rel=0.25)


def test_an_adjusted_case_runs_through_run_portfolio_and_leaves_the_other_cases_alone(tmp_path: Path) -> None:
    lines = 'comparison = "adjusted"\nadjust = { method = "aipw", covariates = ["age", "sex", "prior_weeks"] }'
    before = si.run_portfolio(_example(tmp_path), "2022-06")
    after = si.run_portfolio(_example(tmp_path, lines), "2022-06")
    for cid in ("1", "2", "4", "5"):
        pd.testing.assert_frame_equal(
            before[before["case_id"] == cid].reset_index(drop=True),
            after[after["case_id"] == cid].reset_index(drop=True),
        )
    r = _rows(after, "3")
    fc = r.xs("forecast", level="kind")
    assert len(fc) == 3 * 4 and fc["value"].notna().all()
    assert (fc["lower"] <= fc["value"]).all() and (fc["value"] <= fc["upper"]).all()
    assert (fc["upper"] - fc["lower"]).xs("saved_fte", level="measure").gt(0).all()
    real = r.xs("realised", level="kind")
    assert set(real.index.get_level_values("year")) == {2020, 2021, 2022}
    assert (after.loc[after["case_id"] == "3", "basis"].isin(["budget", "finance", "curves", "cost_per_fte"])).all()
    # same data, another estimator: close to the unadjusted figure here (age and sex do not select in this extract)
    plain = _rows(before, "3").xs("forecast", level="kind").xs("saved_fte", level="measure")["value"]
    assert np.allclose(fc.xs("saved_fte", level="measure")["value"], plain, atol=3.0)


def test_a_covariate_the_persons_lack_is_a_config_error_naming_the_case(tmp_path: Path) -> None:
    cfg = load_config(_example(tmp_path))
    run = run_portfolio_full(cfg, "2022-06", engine="memory")
    case = replace(cfg.case("3"), comparison="adjusted", adjust=AdjustConfig(covariates=("age",)))
    no_table = replace(cfg, data=replace(cfg.data, persons=None))
    with pytest.raises(ConfigError, match=r"case '3', key 'adjust.covariates': 'age' is not a column"):
        adjusted_figures(run.cohorts["3"], case, no_table, cutoff=run.cutoff)
    with pytest.raises(ConfigError, match=r"case '3' uses comparison 'adjusted'.*engine = \"memory\""):
        adjusted_figures(None, case, cfg, cutoff=run.cutoff)


# --- AIPW recovers the truth through the monthly path (confounding by age) ------------------------------------

TOML = """
[run]
price_level = 2020
data_lag = 2
[run.price_index]
2020 = 100.0
2021 = 100.0
2022 = 100.0
[data]
spells = "spells.csv"
memberships = "memberships.csv"
persons = "persons.csv"
[[case]]
id = "A"
comparison = "{comparison}"
{adjust}
horizon = 24
years = [2020, 2021, 2022]
budget_investment = [1.0, 1.0, 1.0]
budget_savings = [-1.0, -1.0, -1.0]
cost_per_fte = 120000
"""


def _confounded_extract(folder: Path, seed: int) -> np.ndarray:
    """The synthetic case confounded by age (synthetic.adjusted_case) as files; the participants' ages."""
    case = adjusted_case(seed=seed, case_id="A")
    case.spells.to_csv(folder / "spells.csv", index=False)
    case.memberships.to_csv(folder / "memberships.csv", index=False)
    case.persons.to_csv(folder / "persons.csv", index=False)
    return case.ages


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_aipw_recovers_the_true_saving_where_the_non_participants_are_biased(tmp_path: Path, seed: int) -> None:
    ages = _confounded_extract(tmp_path, seed)
    adjust = 'adjust = { method = "aipw", covariates = ["age"] }'
    figures = {}
    for comparison, extra in (("adjusted", adjust), ("non_participants", "")):
        p = tmp_path / f"{comparison}.toml"
        p.write_text(TOML.replace("{comparison}", comparison).replace("{adjust}", extra), encoding="utf-8")
        cfg = load_config(p)
        run = run_portfolio_full(cfg, "2022-07", engine="memory")
        r = run.results
        figures[comparison] = r[(r["measure"] == "saved_fte") & (r["kind"] == "forecast") & (r["year"] == 2021)]
    stats = as_statistics(run.cohorts["A"])
    weights = case_forecast_weights(stats, cfg.case("A"), cfg, cutoff=run.cutoff)
    truth = float(weights[0, 1] @ true_difference(ages, 24)) / 12.0
    aipw, naive = figures["adjusted"].iloc[0], figures["non_participants"].iloc[0]
    se = (aipw["upper"] - aipw["lower"]) / (2 * 1.959964)
    assert abs(aipw["value"] - truth) < 3 * se, (aipw["value"], truth, se)
    assert abs(naive["value"] - truth) > abs(aipw["value"] - truth)
