"""Seeded synthetic cohorts with a known true survival curve.

The regression base of the test suite: data whose true S(t), RMST and area
between curves are known in closed form, so estimates can be checked against
the truth rather than against stored numbers.

Model (discrete time, one period = one month)
---------------------------------------------
Each person leaves public support at the end of period ``T >= 1`` with a
constant per-period exit probability ``p`` (geometric exit time), so::

    S(t) = P(T > t) = (1 - p)^t                 for integer t >= 0
    RMST(tau) = sum_{t=0}^{tau-1} (1 - p)^t = (1 - (1 - p)^tau) / p

for integer ``tau``. Persons enter in a uniformly random month of an entry
window and are followed to a common data cut-off, which censors them
administratively after ``follow_up - entry_month`` periods (independent of T).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from survival_invest._atomic import write_text

__all__ = ["GeometricTruth", "geometric_two_groups", "true_rmst_geometric", "write_demo_data"]


def true_rmst_geometric(p: float, tau: float) -> float:
    """True RMST of a geometric exit time with per-period exit probability ``p``.

    ``RMST(tau) = int_0^tau (1-p)^floor(u) du``, which for integer ``tau`` is
    ``(1 - (1 - p)^tau) / p``; a fractional part of ``tau`` adds
    ``frac(tau) (1 - p)^floor(tau)``.
    """
    q = 1.0 - p
    whole = np.floor(tau)
    return float((1.0 - q**whole) / p + (tau - whole) * q**whole)


@dataclass(frozen=True)
class GeometricTruth:
    """True parameters of :func:`geometric_two_groups`."""

    p_comparison: float
    p_intervention: float

    def survival(self, group: str, t: np.ndarray) -> np.ndarray:
        """True S(t) of ``group`` ("comparison" or "intervention")."""
        p = self.p_comparison if group == "comparison" else self.p_intervention
        return (1.0 - p) ** np.floor(np.asarray(t, dtype=float))

    def area(self, tau: float) -> float:
        """True area between the curves to ``tau`` (RMST_comparison - RMST_intervention)."""
        return true_rmst_geometric(self.p_comparison, tau) - true_rmst_geometric(self.p_intervention, tau)


def geometric_two_groups(
    n_comparison: int,
    n_intervention: int,
    *,
    p_comparison: float = 0.04,
    p_intervention: float = 0.07,
    entry_window: int = 36,
    follow_up: int = 60,
    seed: int = 0,
) -> tuple[pd.DataFrame, GeometricTruth]:
    """Draw a comparison and an intervention group with geometric exit times.

    Parameters
    ----------
    n_comparison, n_intervention : int
        Group sizes.
    p_comparison, p_intervention : float
        Per-period exit probabilities (the intervention's is larger when it works).
    entry_window : int
        Entry months are uniform on ``0 .. entry_window - 1``.
    follow_up : int
        The cut-off is ``follow_up`` months after the window opens; a person
        entering in month ``e`` is followed for ``follow_up - e`` periods.
    seed : int
        Seed of ``numpy.random.default_rng``; equal seeds give identical data.

    Returns
    -------
    (DataFrame, GeometricTruth)
        Columns ``group`` ("comparison"/"intervention"), ``entry_month``,
        ``duration`` (int64), ``event`` (int8).
    """
    rng = np.random.default_rng(seed)
    n = n_comparison + n_intervention
    p = np.where(np.arange(n) < n_comparison, p_comparison, p_intervention)
    exit_time = rng.geometric(p)
    entry_month = rng.integers(0, entry_window, size=n)
    followed = follow_up - entry_month
    event = exit_time <= followed
    frame = pd.DataFrame(
        {
            "group": np.where(np.arange(n) < n_comparison, "comparison", "intervention"),
            "entry_month": entry_month.astype(np.int64),
            "duration": np.minimum(exit_time, followed).astype(np.int64),
            "event": event.astype(np.int8),
        }
    )
    return frame, GeometricTruth(p_comparison, p_intervention)


def write_demo_data(out: Path, seed: int = 20200101) -> list[Path]:
    """Write the bundled two-group demo cohort and its truth to ``out``.

    Files: ``two_groups.csv`` (300 comparison and 60 intervention persons, the
    sizes of Norddjurs case 1) and ``two_groups_truth.json``. Byte-identical for
    the same seed.
    """
    out.mkdir(parents=True, exist_ok=True)
    frame, truth = geometric_two_groups(300, 60, seed=seed)
    csv = out / "two_groups.csv"
    write_text(csv, frame.to_csv(index=False, lineterminator="\n"))
    meta = {
        "generator": "survival_invest.synthetic.geometric_two_groups",
        "seed": seed,
        "n_comparison": 300,
        "n_intervention": 60,
        "p_comparison": truth.p_comparison,
        "p_intervention": truth.p_intervention,
        "true_rmst_36": {
            "comparison": true_rmst_geometric(truth.p_comparison, 36),
            "intervention": true_rmst_geometric(truth.p_intervention, 36),
        },
        "true_area_36": truth.area(36),
    }
    js = out / "two_groups_truth.json"
    write_text(js, json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return [csv, js]
