"""Seeded synthetic data with known truth: simple two-group cohorts and full register extracts."""

from survival_invest.synthetic.extracts import (
    NORDDJURS_CASES,
    CaseSpec,
    PortfolioTruth,
    dream_wide,
    simulate_portfolio,
)
from survival_invest.synthetic.simple import (
    GeometricTruth,
    geometric_two_groups,
    true_rmst_geometric,
    write_demo_data,
)

__all__ = [
    "NORDDJURS_CASES",
    "CaseSpec",
    "GeometricTruth",
    "PortfolioTruth",
    "dream_wide",
    "geometric_two_groups",
    "simulate_portfolio",
    "true_rmst_geometric",
    "write_demo_data",
]
