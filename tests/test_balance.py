"""Balance table: standardised mean differences before and after weighting."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from survival_invest import InputError
from survival_invest.balance import balance_table


def test_smd_of_a_known_difference_and_categorical_levels() -> None:
    rng = np.random.default_rng(1)
    n = 20000
    treated = rng.random(n) < 0.3
    x = rng.normal(np.where(treated, 1.0, 0.0), 2.0)  # means differ by 1, sd 2 -> SMD 0.5
    benefit = np.where(rng.random(n) < np.where(treated, 0.8, 0.5), "kontanthjaelp", "uddannelseshjaelp")
    p = pd.DataFrame({"group": np.where(treated, "intervention", "comparison"), "prior_weeks": x, "benefit_group": benefit})
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
