"""The synthetic investment cases: true first-exit hazards, and the truth of a simulated portfolio.

A :class:`CaseSpec` holds a case's group sizes and its piecewise-constant
first-exit hazards ``h_g(t)`` by duration band; its true curve is
``S_g(t) = prod_{u=1}^t (1 - h_g(u))`` and ``RMST_g(tau) = sum_{t=0}^{tau-1} S_g(t)``.
:class:`PortfolioTruth` collects the cases and settings of one simulation
(:func:`survival_invest.synthetic.extracts.simulate_portfolio`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "CENSOR_CODES",
    "CODE_TABLE",
    "NORDDJURS_CASES",
    "SELF_SUPPORT_CODES",
    "SUPPORT_CODES",
    "CaseSpec",
    "PortfolioTruth",
]

#: The DREAM codes the simulation draws (a subset of the shipped code list).
SUPPORT_CODES = ("130", "131", "133", "135", "137")  # kontanthjaelp (jobparat) variants
SELF_SUPPORT_CODES = ("651", "771")  # SU, fleksjob
CENSOR_CODES = ("999", "997")  # dead, not resident
CODE_TABLE = ("", *SUPPORT_CODES, *SELF_SUPPORT_CODES, *CENSOR_CODES)


@dataclass(frozen=True)
class CaseSpec:
    """One synthetic investment case.

    ``hazard_*`` are per-month first-exit probabilities on duration bands:
    ``hazard[i]`` applies to durations ``t`` with ``breaks[i] <= t < breaks[i+1]``
    (the last band is open).
    """

    case_id: str
    n_target: int
    n_intervention: int
    breaks: tuple[int, ...] = (1, 6, 18)
    hazard_comparison: tuple[float, ...] = (0.04, 0.03, 0.02)
    hazard_intervention: tuple[float, ...] = (0.08, 0.05, 0.03)
    entry_start: str = "2020-01"
    entry_months: int = 12

    def hazard(self, group: str, t: np.ndarray) -> np.ndarray:
        """First-exit hazard at durations ``t`` (0 at ``t = 0``)."""
        h = np.asarray(self.hazard_intervention if group == "intervention" else self.hazard_comparison)
        band = np.searchsorted(np.asarray(self.breaks), t, side="right") - 1
        return np.where(t >= self.breaks[0], h[np.clip(band, 0, len(h) - 1)], 0.0)

    def survival(self, group: str, t_max: int) -> np.ndarray:
        """True ``S(t)`` for ``t = 0 .. t_max``."""
        t = np.arange(t_max + 1)
        return np.cumprod(1.0 - self.hazard(group, t))

    def rmst(self, group: str, tau: int) -> float:
        """True ``RMST(tau) = sum_{t<tau} S(t)`` (integer ``tau``)."""
        return float(self.survival(group, tau)[:tau].sum())

    def area(self, tau: int) -> float:
        """True months saved per participant to ``tau``: RMST_comparison - RMST_intervention."""
        return self.rmst("comparison", tau) - self.rmst("intervention", tau)


#: The four survival cases of Norddjurs (seed 004): target / intervention sizes.
NORDDJURS_CASES = (
    CaseSpec("1", 300, 60),
    CaseSpec("2", 300, 40, hazard_intervention=(0.07, 0.045, 0.025)),
    CaseSpec("3", 534, 184, hazard_comparison=(0.05, 0.035, 0.02), hazard_intervention=(0.08, 0.05, 0.03)),
    CaseSpec("4", 534, 40, hazard_comparison=(0.05, 0.035, 0.02), hazard_intervention=(0.10, 0.06, 0.03)),
)


@dataclass(frozen=True)
class PortfolioTruth:
    """True curves and effects of a simulated portfolio."""

    cases: tuple[CaseSpec, ...]
    as_of: str
    data_lag: int
    seed: int
    params: dict[str, float] = field(default_factory=dict)

    def curves(self, t_max: int = 48) -> pd.DataFrame:
        """True S(t) per case and group: ``case_id, group, t, survival``."""
        rows = []
        for c in self.cases:
            for g in ("comparison", "intervention"):
                s = c.survival(g, t_max)
                rows.append(pd.DataFrame({"case_id": c.case_id, "group": g, "t": np.arange(t_max + 1), "survival": s}))
        return pd.concat(rows, ignore_index=True)

    def effects(self, taus: tuple[int, ...] = (12, 24, 36)) -> pd.DataFrame:
        """True RMST per group and area between curves per case and horizon."""
        rows = []
        for c in self.cases:
            for tau in taus:
                rows.append(
                    {
                        "case_id": c.case_id,
                        "tau": tau,
                        "rmst_comparison": c.rmst("comparison", tau),
                        "rmst_intervention": c.rmst("intervention", tau),
                        "area": c.area(tau),
                    }
                )
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, object]:
        """Settings, parameters and cases as plain values (the ``truth.json`` the generator writes)."""
        return {
            "as_of": self.as_of,
            "data_lag": self.data_lag,
            "seed": self.seed,
            "params": self.params,
            "cases": [asdict(c) for c in self.cases],
            "model": "first-exit hazard piecewise constant by duration band; see survival_invest.synthetic.extracts",
        }
