"""Realised kroner from payments against the truth of the simulation, and the estimator on a hand-made case."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import survival_invest as si
from survival_invest.config import CaseConfig
from survival_invest.economics.payments import member_months, payment_savings
from survival_invest.io.memberships import memberships_from_frame
from survival_invest.io.payments import monthly_net, payments_from_frame
from survival_invest.io.spells import spells_from_frame
from survival_invest.synthetic.cases import CaseSpec
from survival_invest.synthetic.extracts import simulate_portfolio
from survival_invest.synthetic.payments import (
    BENEFIT_RATES,
    P_CHILDREN,
    SYNTHETIC_PRICE_INDEX,
    expected_net_share,
    payment_file,
)

CASE = CaseConfig(
    id="1", name="x", method="survival", years=(2020, 2021, 2022), budget_investment=(0, 0, 0),
    budget_savings=(0, 0, 0), horizon=36,
)  # fmt: skip


def _truth(cohort: si.Cohort, spec: CaseSpec, horizon: int) -> pd.Series:
    """sum over the participants' counted months of E[B] g(t) (S_c(t) - S_i(t)), per year (module docstring)."""
    p = cohort.persons[cohort.persons["group"] == "intervention"]
    length = np.minimum(p["followed"].to_numpy(), horizon)
    owner = np.repeat(np.arange(len(p)), length)
    t = np.arange(owner.size) - np.repeat(np.cumsum(length) - length, length)
    year = (p["entry"].to_numpy()[owner] + t) // 12
    mean_b = (1 - P_CHILDREN) * BENEFIT_RATES[0] + P_CHILDREN * BENEFIT_RATES[1]
    delta = spec.survival("comparison", horizon) - spec.survival("intervention", horizon)
    saved = mean_b * expected_net_share(np.arange(horizon))[t] * delta[t]
    return pd.Series(saved).groupby(year).sum()


@pytest.mark.parametrize("seed", [11, 12])
def test_realised_kroner_from_payments_recover_the_simulation_truth(seed: int) -> None:
    spec = CaseSpec("1", 3000, 900)
    spells, members, _ = simulate_portfolio((spec,), as_of="2022-07", seed=seed, p_return=0.0, p_censor=0.0)
    frame = payment_file(spells, seed=seed)
    net = monthly_net(payments_from_frame(frame, source="payments.csv"))
    cohort = si.build_cohort(
        spells_from_frame(spells), memberships_from_frame(members), case_id="1", as_of="2022-07", data_lag=2
    )
    est = payment_savings(cohort, net, CASE, price_index=SYNTHETIC_PRICE_INDEX, price_level=2020).set_index("year")
    truth = _truth(cohort, spec, 36)
    assert list(est.index) == [2020, 2021, 2022]
    for y in est.index:
        err = est.loc[y, "savings_kr"] - truth[y]
        # within 3.5 standard errors, and the SE is a sensible size (not a huge interval that covers anything)
        assert abs(err) < 3.5 * est.loc[y, "savings_kr_se"], (y, err, est.loc[y, "savings_kr_se"])
        assert est.loc[y, "savings_kr_se"] < 0.25 * abs(truth[y])
    assert (est["savings_kr"] > 0).all()


def _hand_cohort() -> si.Cohort:
    """Two comparison and two participants entering 2021-01, followed 3 months (cut-off 2021-03)."""
    rows = []
    for pid, months in (("c1", 3), ("c2", 1), ("i1", 1), ("i2", 3)):
        rows += [(pid, f"2021-0{m + 1}", "130") for m in range(months)]
    spells = spells_from_frame(pd.DataFrame(rows, columns=["person_id", "period", "benefit"]))
    members = memberships_from_frame(
        pd.DataFrame(
            {
                "person_id": ["c1", "c2", "i1", "i2", "i1", "i2"],
                "case_id": "1",
                "group": ["target"] * 4 + ["intervention"] * 2,
                "entry_period": "2021-01",
            }
        )
    )
    return si.build_cohort(spells, members, case_id="1", as_of="2021-05", data_lag=2)


def test_estimator_by_hand() -> None:
    cohort = _hand_cohort()
    net = pd.DataFrame(
        {
            "person_id": ["c1", "c1", "c1", "c2", "i1", "i2", "i2", "i2", "zz"],
            "month": np.array([0, 1, 2, 0, 0, 0, 1, 2, 0]) + 2021 * 12,
            "net": [100.0, 100.0, 100.0, 60.0, 50.0, 80.0, 80.0, 80.0, 1e9],  # zz: not in the case
        }
    )
    index = {2021: 102.3, 2020: 100.0}
    est = payment_savings(cohort, net, CASE, price_index=index, price_level=2020).set_index("year")
    f = 100.0 / 102.3
    # comparison means at t = 0, 1, 2: (100 + 60) / 2, (100 + 0) / 2, (100 + 0) / 2 (c2 is off support, still followed)
    expected = 2 * (80 + 50 + 50) * f
    observed = (50 + 80 * 3) * f
    assert est.loc[2021, "expected_kr"] == pytest.approx(expected)
    assert est.loc[2021, "observed_kr"] == pytest.approx(observed)
    assert est.loc[2021, "savings_kr"] == pytest.approx(expected - observed)
    assert est.loc[2021, "months"] == 6
    mm = member_months(cohort, net, 36, price_index=index, price_level=2020)
    assert mm["x"].sum() == pytest.approx((300 + 60 + 50 + 240) * f)  # zz's payment is not a member's
    # cluster-robust: comparison influences sum_t w(t) (x - mu_c(t)) / n_c(t) with w = n_c = 2: c1 +120, c2 -120;
    # participants sum_t (x - mu_i(t)) with mu_i = 65, 40, 40: i1 -95, i2 +95
    assert est.loc[2021, "savings_kr_se"] == pytest.approx(np.sqrt(2 * 120**2 + 2 * 95**2) * f)
