"""The geometric two-group generator: seeded, and its truth is the truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import trapezoid

import survival_invest as si
from survival_invest.synthetic import geometric_two_groups, true_rmst_geometric, write_demo_data


def test_same_seed_same_data_other_seed_other_data(tmp_path: Path) -> None:
    a, _ = geometric_two_groups(50, 20, seed=3)
    b, _ = geometric_two_groups(50, 20, seed=3)
    c, _ = geometric_two_groups(50, 20, seed=4)
    assert a.equals(b) and not a.equals(c)
    write_demo_data(tmp_path / "x", seed=1)
    assert (tmp_path / "x" / "two_groups.csv").stat().st_size > 1000


@pytest.mark.parametrize("tau", [1, 12, 36, 36.5])
def test_true_rmst_is_the_integral_of_the_true_curve(tau: float) -> None:
    u = np.linspace(0, tau, 200001)
    _, truth = geometric_two_groups(1, 1, p_comparison=0.04, p_intervention=0.07)
    numeric = trapezoid(truth.survival("comparison", u), u)
    assert true_rmst_geometric(0.04, tau) == pytest.approx(numeric, rel=1e-4)


def test_large_sample_recovers_true_curve_within_its_band() -> None:
    frame, truth = geometric_two_groups(20000, 20000, seed=11)
    t = np.arange(0, 40)
    for group in ("comparison", "intervention"):
        rows = frame[frame.group == group]
        km = si.kaplan_meier(rows["duration"], rows["event"])
        lo, up = km.confidence_at(t)
        true_s = truth.survival(group, t)
        inside = (lo <= true_s) & (true_s <= up)
        assert inside.mean() >= 0.85  # pointwise 95 % bands: most points cover
        assert np.max(np.abs(km.survival_at(t) - true_s)) < 0.02
