"""Coverage of the Delta RMST interval against a known truth (geometric exit times).

400 seeded replicates of a comparison group (exit probability 0.04 per month)
and an intervention group (0.07 per month), each with staggered entry and
administrative censoring. The true area to tau = 36 is
``(1 - 0.96^36) / 0.04 - (1 - 0.93^36) / 0.07``. A correct 95 % interval covers
it in about 95 % of replicates; with 400 replicates the binomial standard error
is 1.1 points, so 92-98 % is a band of +/- 2.7 standard errors.

All 800 curves are fitted in one ``kaplan_meier_by`` call (groups = replicate x
arm), which also exercises the many-groups path.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import survival_invest as si
from survival_invest.synthetic import geometric_two_groups, true_rmst_geometric

REPLICATES = 400
TAU = 36


def _replicates() -> pd.DataFrame:
    frames = []
    for r in range(REPLICATES):
        frame, _ = geometric_two_groups(150, 100, p_comparison=0.04, p_intervention=0.07, seed=1000 + r)
        frame["replicate"] = r
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def test_delta_rmst_interval_covers_truth_92_to_98_percent() -> None:
    data = _replicates()
    key = data["replicate"].to_numpy() * 2 + (data["group"] == "intervention").to_numpy()
    curves = si.kaplan_meier_by(data["duration"], data["event"], key)
    r = curves.rmst(TAU)
    comp = r[r["group"] % 2 == 0].reset_index(drop=True)
    intv = r[r["group"] % 2 == 1].reset_index(drop=True)
    delta = comp["value"] - intv["value"]
    se = np.hypot(comp["se"], intv["se"])
    truth = true_rmst_geometric(0.04, TAU) - true_rmst_geometric(0.07, TAU)
    covered = (delta - 1.959964 * se <= truth) & (truth <= delta + 1.959964 * se)
    share = covered.mean()
    assert 0.92 <= share <= 0.98, f"coverage {share:.3f}"
    # the estimator is (nearly) unbiased: mean within 3 Monte Carlo SEs of the truth
    assert abs(delta.mean() - truth) < 3 * delta.std() / np.sqrt(REPLICATES)
    # the SE describes the spread across replicates (within 10 %)
    assert abs(se.mean() / delta.std() - 1) < 0.10
    # and the one-pass result equals area_between on single curves
    one = data[data["replicate"] == 7]
    c = si.kaplan_meier(one.loc[one.group == "comparison", "duration"], one.loc[one.group == "comparison", "event"])
    i = si.kaplan_meier(one.loc[one.group == "intervention", "duration"], one.loc[one.group == "intervention", "event"])
    a = si.area_between(c, i, TAU)
    assert abs(a.value - delta[7]) < 1e-12 and abs(a.se - se[7]) < 1e-12


def test_rmst_interval_covers_each_group_truth() -> None:
    data = _replicates()
    key = data["replicate"].to_numpy() * 2 + (data["group"] == "intervention").to_numpy()
    r = si.kaplan_meier_by(data["duration"], data["event"], key).rmst(TAU)
    truth = np.where(r["group"] % 2 == 0, true_rmst_geometric(0.04, TAU), true_rmst_geometric(0.07, TAU))
    share = ((r["lower"] <= truth) & (truth <= r["upper"])).mean()
    assert 0.93 <= share <= 0.97, f"coverage {share:.3f}"
