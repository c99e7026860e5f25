"""Seeded synthetic data with known truth: simple two-group cohorts, full register extracts, and an extract with selection."""

from survival_invest.synthetic.cases import NORDDJURS_CASES, CaseSpec, PortfolioTruth
from survival_invest.synthetic.confounded import ConfoundedTruth, simulate_confounded
from survival_invest.synthetic.extracts import dream_wide, simulate_portfolio
from survival_invest.synthetic.simple import (
    GeometricTruth,
    geometric_two_groups,
    true_rmst_geometric,
    write_demo_data,
)

__all__ = [
    "NORDDJURS_CASES",
    "CaseSpec",
    "ConfoundedTruth",
    "GeometricTruth",
    "PortfolioTruth",
    "dream_wide",
    "geometric_two_groups",
    "simulate_confounded",
    "simulate_portfolio",
    "true_rmst_geometric",
    "write_demo_data",
]
