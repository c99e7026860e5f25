"""Restricted mean time lost on Kaplan-Meier curves and the RMTL ratio (survRM2's definitions).

What this anchors
-----------------
R's RMST and ``se(rmean)`` in ``/work/shared/reference/r_survival_reference.csv``
(survival 3.5.3, see ``test_r_reference.py``) on lifelines' Waltons and Rossi
data: ``RMTL = tau - RMST`` with the same standard error, and survRM2's RMTL
ratio ``RMTL_1 / RMTL_0`` with ``SE(log ratio) = sqrt(V_1 / RMTL_1^2 + V_0 / RMTL_0^2)``
evaluated on R's figures (survRM2 itself is not packaged for Debian; its
``rmst2`` code states exactly this formula).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lifelines.datasets import load_rossi, load_waltons
from scipy.stats import norm

import survival_invest as si
from survival_invest.errors import InputError

REFERENCE_CSV = Path(__file__).parents[2].parent / "shared" / "reference" / "r_survival_reference.csv"
RTOL = 1e-10
Z95 = float(norm.ppf(0.975))

CASES = {
    # name: (data, duration, event, group, comparison, intervention)
    "waltons": (load_waltons, "T", "E", "group", "control", "miR-137"),
    "rossi": (load_rossi, "week", "arrest", "fin", 0, 1),
}


def _r_rows(name: str) -> pd.DataFrame:
    ref = pd.read_csv(REFERENCE_CSV, keep_default_na=False, na_values=["NA"])
    ref = ref[(ref["dataset"] == name) & (ref["variant"] == "")]
    return ref.groupby("group", as_index=False).first()


@pytest.mark.parametrize("name", sorted(CASES))
def test_rmtl_is_tau_minus_r_rmst_with_its_se(name: str) -> None:
    load, t, e, g, comparison, intervention = CASES[name]
    data = load()
    r = _r_rows(name)
    tau = float(r["tau"].iloc[0])
    curves = si.kaplan_meier_by(data[t], data[e], data[g])
    table = curves.rmtl([tau])
    for label in (comparison, intervention):
        rr = r[r["group"].astype(str) == str(label)].iloc[0]
        row = table[table["group"] == label].iloc[0]
        np.testing.assert_allclose(row["value"], tau - rr["rmst"], rtol=RTOL)
        np.testing.assert_allclose(row["se"], rr["rmst_se"], rtol=RTOL)
        np.testing.assert_allclose(
            [row["lower"], row["upper"]], tau - rr["rmst"] + np.array([-1, 1]) * Z95 * rr["rmst_se"], rtol=RTOL
        )
        one = curves.curve(label).rmtl(tau)
        assert (one.value, one.se, one.lower, one.upper) == pytest.approx(
            (row["value"], row["se"], row["lower"], row["upper"]), rel=1e-12
        )


@pytest.mark.parametrize("name", sorted(CASES))
def test_rmtl_ratio_follows_survrm2_on_r_figures(name: str) -> None:
    load, t, e, g, comparison, intervention = CASES[name]
    data = load()
    r = _r_rows(name)
    tau = float(r["tau"].iloc[0])
    c = r[r["group"].astype(str) == str(comparison)].iloc[0]
    i = r[r["group"].astype(str) == str(intervention)].iloc[0]
    lost_c, lost_i = tau - c["rmst"], tau - i["rmst"]
    log_se = math.sqrt(c["rmst_se"] ** 2 / lost_c**2 + i["rmst_se"] ** 2 / lost_i**2)
    expected = (
        lost_i / lost_c,
        math.exp(math.log(lost_i / lost_c) - Z95 * log_se),
        math.exp(math.log(lost_i / lost_c) + Z95 * log_se),
    )
    p = 2 * norm.sf(abs(math.log(lost_i / lost_c)) / log_se)

    curves = si.kaplan_meier_by(data[t], data[e], data[g])
    row = curves.rmtl_ratio(comparison, intervention, [tau]).iloc[0]
    np.testing.assert_allclose([row["ratio"], row["lower"], row["upper"]], expected, rtol=RTOL)
    np.testing.assert_allclose([row["log_se"], row["p_value"]], [log_se, p], rtol=RTOL)
    ratio = si.rmtl_ratio(curves.curve(comparison), curves.curve(intervention), tau)
    np.testing.assert_allclose([ratio.value, ratio.lower, ratio.upper, ratio.p_value], [*expected, p], rtol=RTOL)
    assert (
        list(curves.rmtl_ratio(comparison, intervention, [tau, tau / 2]).columns) == si.estimate.timelost.RATIO_COLUMNS
    )


def test_rmtl_difference_is_minus_the_area_between() -> None:
    data = load_rossi()
    curves = si.kaplan_meier_by(data["week"], data["arrest"], data["fin"])
    lost = curves.rmtl([20.0, 52.0]).set_index(["group", "tau"])["value"]
    area = curves.area_between(0, 1, [20.0, 52.0])["value"].to_numpy()
    np.testing.assert_allclose(lost.loc[1].to_numpy() - lost.loc[0].to_numpy(), area, rtol=1e-12)


def test_ratio_without_events_is_nan_and_bad_input_is_refused() -> None:
    curves = si.kaplan_meier_by(np.array([5, 6, 7, 8]), np.array([1, 1, 1, 1]), np.array([0, 0, 1, 1]))
    row = curves.rmtl_ratio(0, 1, [2.0]).iloc[0]  # no event before 2: both RMTL are 0
    assert math.isnan(row["ratio"]) and math.isnan(row["p_value"])
    with pytest.raises(KeyError, match="no group"):
        curves.rmtl_ratio(0, 9, [2.0])
    with pytest.raises(InputError, match="SurvivalCurve"):
        si.rmtl_ratio(curves, curves.curve(0), 2.0)  # type: ignore[arg-type]  # deliberately the wrong object
