"""Reproduce R's ``survival`` package to the last printed digit on public data sets.

What this anchors
-----------------
``/work/shared/reference/r_survival_reference.csv`` holds Kaplan-Meier and
restricted-mean figures computed by R's survival package 3.5.3
(``survfit(..., conf.type = "log-log")``, ``summary(fit, rmean = tau)``) on
four data sets that lifelines ships (see the README next to the CSV):

==========================  ==============================  =========  =====
data set                    durations / events              groups     tau
==========================  ==============================  =========  =====
Waltons                     ``T``, ``E``                    ``group``  50
Rossi                       ``week``, ``arrest``            ``fin``    52
lung                        ``time``, ``status``            ``sex``    365
psychiatric patients        entry ``Age``, exit             ``sex``    70
                            ``Age + T``, event ``C``
==========================  ==============================  =========  =====

For every group and every R event time the tests compare the number at risk,
the number of events (exactly), S(t), Greenwood's ``Var S(t)`` and the 95 %
log-log limits; per group the median with its 95 % limits (R's ``NA`` = not
reached = ``inf`` here), the RMST to ``tau`` and R's ``se(rmean)`` (the
Greenwood-type standard error of the estimate, as survRM2; *not* lifelines'
``return_variance``). The difference of two groups' RMST (``area_between``)
must equal the difference of R's RMSTs with ``SE = sqrt(se1^2 + se0^2)``.

The psychiatric-patients data exercise delayed entry (left truncation): a
subject is at risk strictly after its entry age, and the RMST integrates S
from 0 (R's convention), not from the first entry.

Every comparison is run twice: through ``kaplan_meier_by`` on the whole data
set and through ``kaplan_meier`` on one group's rows.

Tolerance
---------
The CSV carries 15 significant digits (rounding error <= 5e-15 relative).
R's own ``var_surv`` differs from an exact rational evaluation of Greenwood's
formula by up to ~6e-13 relative (R accumulates it differently); every other
figure is within ~1e-14. A relative tolerance of 1e-10 therefore leaves a
margin of more than two orders of magnitude while any formula slip
(a missing tie, an off-by-one risk set, a different variance) shows up far
above it. Counts and event times are integers in R's output and compared
exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lifelines.datasets import (
    load_lung,
    load_psychiatric_patients,
    load_rossi,
    load_waltons,
)
from scipy.stats import norm

import survival_invest as si

REFERENCE_DIR = Path(__file__).parents[2].parent / "shared" / "reference"
REFERENCE_CSV = REFERENCE_DIR / "r_survival_reference.csv"

RTOL = 1e-10
Z95 = float(norm.ppf(0.975))


@dataclass(frozen=True)
class DataSpec:
    """How one lifelines data set was fed to R (per the reference README)."""

    name: str
    load: Callable[[], pd.DataFrame]
    tau: float
    n_subjects: int
    n_deaths: int


def _waltons() -> pd.DataFrame:
    df = load_waltons()
    return pd.DataFrame({"duration": df["T"], "event": df["E"], "group": df["group"], "entry": None})


def _rossi() -> pd.DataFrame:
    df = load_rossi()
    return pd.DataFrame({"duration": df["week"], "event": df["arrest"], "group": df["fin"], "entry": None})


def _lung() -> pd.DataFrame:
    df = load_lung()
    # R's survival::lung codes status 1 = censored, 2 = dead; lifelines ships it
    # recoded to 0 = censored, 1 = dead, so ``status`` is the event indicator as is.
    assert set(np.unique(df["status"])) == {0, 1}
    # The NaNs of lifelines' lung are in covariates only (inst, ph.ecog, meal.cal,
    # ...); R's survfit(Surv(time, status) ~ sex) uses all 228 rows.
    used = df[["time", "status", "sex"]]
    assert not used.isna().any().any()
    return pd.DataFrame({"duration": df["time"], "event": df["status"], "group": df["sex"], "entry": None})


def _psychiatric() -> pd.DataFrame:
    df = load_psychiatric_patients()
    # Surv(Age, Age + T, C) ~ sex: at risk strictly after the entry age.
    return pd.DataFrame({"duration": df["Age"] + df["T"], "event": df["C"], "group": df["sex"], "entry": df["Age"]})


SPECS = {
    "waltons": DataSpec("waltons", _waltons, 50.0, 163, 156),
    "rossi": DataSpec("rossi", _rossi, 52.0, 432, 114),
    "lung": DataSpec("lung", _lung, 365.0, 228, 165),
    "psychiatric_patients": DataSpec("psychiatric_patients", _psychiatric, 70.0, 26, 14),
}
VARIANTS = {"waltons": "", "rossi": "", "lung": "", "psychiatric_patients": "entry=Age"}


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    """R's figures; a missing file is a failure, not a skip."""
    if not REFERENCE_CSV.is_file():
        pytest.fail(f"R reference file not found at {REFERENCE_CSV}; it is part of the shared reference data.")
    ref = pd.read_csv(
        REFERENCE_CSV,
        dtype={"dataset": str, "variant": str, "group": str},
        keep_default_na=False,
        na_values=["NA"],
    )
    assert set(ref["dataset"]) == set(SPECS), "the CSV covers other data sets than the README lists"
    return ref


def _ref(reference: pd.DataFrame, name: str) -> pd.DataFrame:
    r = reference[reference["dataset"] == name]
    assert len(r) > 0
    assert set(r["variant"]) == {VARIANTS[name]}
    assert set(r["tau"]) == {SPECS[name].tau}, "tau in the CSV differs from the README"
    return r


def _data(name: str) -> pd.DataFrame:
    df = SPECS[name].load()
    assert len(df) == SPECS[name].n_subjects
    assert int(df["event"].sum()) == SPECS[name].n_deaths
    return df


def _entry(df: pd.DataFrame) -> pd.Series | None:
    return None if df["entry"].isna().all() else df["entry"]


def _curves_by_group(name: str, how: str) -> dict[str, si.SurvivalCurve]:
    """One SurvivalCurve per group, keyed by the group label as R prints it."""
    df = _data(name)
    if how == "by":
        curves = si.kaplan_meier_by(df["duration"], df["event"], df["group"], entry=_entry(df))
        return {str(label): curves[label] for label in curves.labels}
    out = {}
    for label, sub in df.groupby("group"):
        out[str(label)] = si.kaplan_meier(sub["duration"], sub["event"], entry=_entry(sub))
    return out


DATASETS = list(SPECS)
HOWS = ["by", "single"]


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("name", DATASETS)
def test_event_times_and_counts(reference, name, how):
    """Our event times are exactly R's; n_risk and n_event agree exactly."""
    ref = _ref(reference, name)
    curves = _curves_by_group(name, how)
    assert sorted(curves) == sorted(ref["group"].unique())
    for group, r in ref.groupby("group"):
        tab = curves[group].table
        ev = tab[tab["events"] > 0]
        np.testing.assert_array_equal(ev["time"].to_numpy(), r["time"].to_numpy(dtype=float))
        np.testing.assert_array_equal(ev["at_risk"].to_numpy(), r["n_risk"].to_numpy(dtype=float))
        np.testing.assert_array_equal(ev["events"].to_numpy(), r["n_event"].to_numpy(dtype=float))


def _rows_at(curve: si.SurvivalCurve, times: np.ndarray) -> pd.DataFrame:
    tab = curve.table.set_index("time")
    return tab.loc[times]


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("name", DATASETS)
def test_survival_and_greenwood_variance(reference, name, how):
    """S(t) and Greenwood Var S(t) at every R event time (table and ``survival_at``)."""
    ref = _ref(reference, name)
    curves = _curves_by_group(name, how)
    for group, r in ref.groupby("group"):
        times = r["time"].to_numpy(dtype=float)
        rows = _rows_at(curves[group], times)
        np.testing.assert_allclose(rows["survival"].to_numpy(), r["surv"].to_numpy(), rtol=RTOL, atol=0)
        np.testing.assert_allclose(curves[group].survival_at(times), r["surv"].to_numpy(), rtol=RTOL, atol=0)
        na = r["var_surv"].isna().to_numpy()
        np.testing.assert_allclose(rows["variance"].to_numpy()[~na], r["var_surv"].to_numpy()[~na], rtol=RTOL, atol=0)
        # R reports NA where the curve has dropped to 0; the documented
        # convention here is Var = 0 there (the n == d Greenwood term is 0).
        np.testing.assert_array_equal(r["surv"].to_numpy()[na], 0.0)
        np.testing.assert_array_equal(rows["variance"].to_numpy()[na], 0.0)


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("name", DATASETS)
def test_loglog_limits(reference, name, how):
    """95 % log-log pointwise limits at every R event time."""
    ref = _ref(reference, name)
    curves = _curves_by_group(name, how)
    for group, r in ref.groupby("group"):
        times = r["time"].to_numpy(dtype=float)
        rows = _rows_at(curves[group], times)
        lo_at, up_at = curves[group].confidence_at(times)
        for ours_table, ours_at, col in (
            (rows["lower"].to_numpy(), lo_at, "lower"),
            (rows["upper"].to_numpy(), up_at, "upper"),
        ):
            theirs = r[col].to_numpy()
            na = np.isnan(theirs)
            np.testing.assert_allclose(ours_table[~na], theirs[~na], rtol=RTOL, atol=0)
            np.testing.assert_allclose(ours_at[~na], theirs[~na], rtol=RTOL, atol=0)
            # R: NA where S = 0; documented convention here (as lifelines): (0, 0).
            np.testing.assert_array_equal(r["surv"].to_numpy()[na], 0.0)
            np.testing.assert_array_equal(ours_table[na], 0.0)


def _na_to_inf(x: float) -> float:
    return math.inf if math.isnan(x) else float(x)


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("name", DATASETS)
def test_median_with_limits(reference, name, how):
    """Median and its 95 % limits per group; R's NA (not reached) is ``inf``."""
    ref = _ref(reference, name)
    curves = _curves_by_group(name, how)
    for group, r in ref.groupby("group"):
        first = r.iloc[0]
        expected = [_na_to_inf(first[c]) for c in ("median", "median_lower", "median_upper")]
        med = curves[group].median()
        assert math.isnan(med.se)
        np.testing.assert_allclose([med.value, med.lower, med.upper], expected, rtol=RTOL, atol=0)


@pytest.mark.parametrize("name", DATASETS)
def test_median_table_of_kaplan_meier_by(reference, name):
    """``SurvivalCurves.median()`` (one row per group) gives R's medians too."""
    ref = _ref(reference, name)
    df = _data(name)
    curves = si.kaplan_meier_by(df["duration"], df["event"], df["group"], entry=_entry(df))
    med = curves.median()
    assert [str(g) for g in med["group"]] == sorted(ref["group"].unique())
    for i, (group, r) in enumerate(ref.groupby("group")):
        row = med.iloc[i]
        assert str(med["group"].iloc[i]) == group
        first = r.iloc[0]
        np.testing.assert_allclose(
            [row["median"], row["lower"], row["upper"]],
            [_na_to_inf(first[c]) for c in ("median", "median_lower", "median_upper")],
            rtol=RTOL,
            atol=0,
        )


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("name", DATASETS)
def test_rmst_and_se(reference, name, how):
    """RMST to tau (integrated from 0, also with delayed entry) and R's se(rmean)."""
    ref = _ref(reference, name)
    tau = SPECS[name].tau
    curves = _curves_by_group(name, how)
    for group, r in ref.groupby("group"):
        first = r.iloc[0]
        est = curves[group].rmst(tau)
        np.testing.assert_allclose(est.value, first["rmst"], rtol=RTOL, atol=0)
        np.testing.assert_allclose(est.se, first["rmst_se"], rtol=RTOL, atol=0)
        # Wald interval around it
        np.testing.assert_allclose(
            [est.lower, est.upper],
            [first["rmst"] - Z95 * first["rmst_se"], first["rmst"] + Z95 * first["rmst_se"]],
            rtol=RTOL,
            atol=0,
        )


@pytest.mark.parametrize("name", DATASETS)
def test_rmst_table_of_kaplan_meier_by(reference, name):
    """``SurvivalCurves.rmst(taus)``: R's figures at tau, and the trivial tau = 0 row."""
    ref = _ref(reference, name)
    tau = SPECS[name].tau
    df = _data(name)
    curves = si.kaplan_meier_by(df["duration"], df["event"], df["group"], entry=_entry(df))
    table = curves.rmst([0.0, tau])
    for group, r in ref.groupby("group"):
        rows = table[[str(g) == group for g in table["group"]]]
        np.testing.assert_array_equal(rows["tau"].to_numpy(), [0.0, tau])
        first = r.iloc[0]
        np.testing.assert_allclose(rows["value"].to_numpy(), [0.0, first["rmst"]], rtol=RTOL, atol=0)
        np.testing.assert_allclose(rows["se"].to_numpy(), [0.0, first["rmst_se"]], rtol=RTOL, atol=0)


@pytest.mark.parametrize("name", DATASETS)
def test_area_between_is_difference_of_r_rmst(reference, name):
    """Delta RMST of the two groups = difference of R's RMSTs, SE = sqrt(se1^2 + se0^2) (survRM2)."""
    ref = _ref(reference, name)
    tau = SPECS[name].tau
    df = _data(name)
    curves = si.kaplan_meier_by(df["duration"], df["event"], df["group"], entry=_entry(df))
    labels = list(curves.labels)
    assert len(labels) == 2
    by_label = {str(g): g for g in labels}
    r = ref.groupby("group").first()
    for comparison, intervention in ((labels[0], labels[1]), (labels[1], labels[0])):
        rc, ri = r.loc[str(comparison)], r.loc[str(intervention)]
        value = rc["rmst"] - ri["rmst"]
        se = math.sqrt(rc["rmst_se"] ** 2 + ri["rmst_se"] ** 2)
        x = abs(value) / se
        p = 2.0 * norm.sf(x)
        # d log p / d log x = -x phi(x) / Phi(-x), about -(x^2 + 1): a relative error
        # RTOL in value/SE moves p by up to RTOL (x^2 + 1) relative.
        rtol_p = RTOL * (x * x + 1.0)

        ab = si.area_between(curves[by_label[str(comparison)]], curves[by_label[str(intervention)]], tau)
        np.testing.assert_allclose(ab.value, value, rtol=RTOL, atol=0)
        np.testing.assert_allclose(ab.se, se, rtol=RTOL, atol=0)
        np.testing.assert_allclose([ab.lower, ab.upper], [value - Z95 * se, value + Z95 * se], rtol=RTOL, atol=0)
        np.testing.assert_allclose(ab.p_value, p, rtol=rtol_p, atol=0)
        assert ab.tau == tau
        np.testing.assert_allclose(ab.comparison.value, rc["rmst"], rtol=RTOL, atol=0)
        np.testing.assert_allclose(ab.intervention.value, ri["rmst"], rtol=RTOL, atol=0)

        frame = curves.area_between(comparison, intervention, tau)
        assert len(frame) == 1
        row = frame.iloc[0]
        np.testing.assert_allclose(
            [row["value"], row["se"], row["lower"], row["upper"]],
            [value, se, value - Z95 * se, value + Z95 * se],
            rtol=RTOL,
            atol=0,
        )
        np.testing.assert_allclose(row["p_value"], p, rtol=rtol_p, atol=0)
