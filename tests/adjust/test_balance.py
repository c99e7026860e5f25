"""Balance table: standardised mean differences before and after weighting."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from survival_invest import InputError
from survival_invest.adjust.balance import balance_table, baseline_covariates


def test_smd_of_a_known_difference_and_categorical_levels() -> None:
    rng = np.random.default_rng(1)
    n = 20000
    treated = rng.random(n) < 0.3
    x = rng.normal(np.where(treated, 1.0, 0.0), 2.0)  # means differ by 1, sd 2 -> SMD 0.5
    benefit = np.where(rng.random(n) < np.where(treated, 0.8, 0.5), "kontanthjaelp", "uddannelseshjaelp")
    p = pd.DataFrame(
        {"group": np.where(treated, "intervention", "comparison"), "prior_weeks": x, "benefit_group": benefit}
    )
    t = balance_table(p, ["prior_weeks", "benefit_group"])
    assert t.loc["prior_weeks", "smd"] == pytest.approx(0.5, abs=0.03)
    share_t, share_c = 0.8, 0.5
    want = (share_t - share_c) / np.sqrt((share_t * (1 - share_t) + share_c * (1 - share_c)) / 2)
    assert t.loc["benefit_group=kontanthjaelp", "smd"] == pytest.approx(want, abs=0.03)
    assert set(t.index) == {"prior_weeks", "benefit_group=kontanthjaelp", "benefit_group=uddannelseshjaelp"}


def test_weights_that_balance_give_zero_smd() -> None:
    p = pd.DataFrame({"group": ["intervention"] * 2 + ["comparison"] * 3, "x": [1.0, 3.0, 1.0, 3.0, 3.0]})
    w = np.array([1.0, 1.0, 2.0, 1.0, 1.0])  # comparison weighted mean (2+3+3)/4 = 2 = treated mean
    t = balance_table(p, ["x"], weights=w)
    assert t.loc["x", "smd"] != 0 and t.loc["x", "smd_weighted"] == pytest.approx(0.0, abs=1e-12)


def test_errors() -> None:
    p = pd.DataFrame({"group": ["intervention", "comparison"], "x": [1.0, np.nan]})
    with pytest.raises(InputError, match="column 'x' has missing values at rows \\[1\\]"):
        balance_table(p, ["x"])
    with pytest.raises(InputError, match="columns \\['age'\\] are not in the persons table"):
        balance_table(p, ["age"])
    with pytest.raises(InputError, match="both groups need persons"):
        balance_table(p.assign(group="intervention"), ["x"])


def test_before_ipw_and_matching_side_by_side() -> None:
    before = pd.DataFrame(
        {
            "group": ["intervention"] * 2 + ["comparison"] * 4,
            "x": [1.0, 3.0, 5.0, 5.0, 3.0, 1.0],
            "b": ["k", "k", "u", "u", "k", "k"],
        }
    )
    matched = pd.DataFrame(
        {"group": ["intervention"] * 2 + ["comparison"] * 2, "x": [1.0, 3.0, 1.0, 3.0], "b": ["k"] * 4}
    )
    t = balance_table(before, ["x", "b"], matched=matched, matched_weights=np.array([1.0, 1.0, 1.0, 1.0]))
    assert list(t.columns) == [
        "mean_treated",
        "mean_comparison",
        "smd",
        "mean_treated_matched",
        "mean_comparison_matched",
        "smd_matched",
        "mean_treated_matched_weighted",
        "mean_comparison_matched_weighted",
        "smd_matched_weighted",
    ]
    assert t.loc["x", "smd"] < -0.5 and t.loc["x", "smd_matched"] == 0.0
    assert (
        t.loc["b=u", "mean_comparison"] == 0.5 and t.loc["b=u", "mean_comparison_matched"] == 0.0
    )  # level absent after matching
    with pytest.raises(InputError, match="3 weights for 4 rows of the matched persons"):
        balance_table(before, ["x"], matched=matched, matched_weights=np.ones(3))
    with pytest.raises(InputError, match="matched_weights needs matched"):
        balance_table(before, ["x"], matched_weights=np.ones(3))
    with pytest.raises(InputError, match=r"columns \['b'\] are not in the matched persons"):
        balance_table(before, ["x", "b"], matched=matched.drop(columns="b"))


def test_baseline_covariates_use_what_is_there() -> None:
    p = pd.DataFrame({"group": ["intervention", "comparison"], "prior_weeks": [1.0, 2.0], "benefit_group": ["k", "u"]})
    assert baseline_covariates(p) == ["prior_weeks", "benefit_group"]
    full = p.assign(age=[30.0, 40.0], age_band=["25-34", "35-44"], sex=["male", "female"])
    assert baseline_covariates(full) == ["age", "sex", "prior_weeks", "benefit_group"]
    unknown = full.assign(age=[30.0, np.nan], age_band=["25-34", "unknown"], sex=["male", "unknown"])
    assert baseline_covariates(unknown) == ["age_band", "sex", "prior_weeks", "benefit_group"]  # nobody dropped
    t = balance_table(unknown)
    assert "age_band=unknown" in t.index and "sex=unknown" in t.index
