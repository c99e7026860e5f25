"""The only place that sequences I/O: run a portfolio, run the monthly job, write curves, validate inputs."""

from survival_invest.pipeline.curves import CurvesOutcome, write_curves
from survival_invest.pipeline.monthly import RunOutcome, publish, run_monthly
from survival_invest.pipeline.portfolio import (
    RESULT_COLUMNS,
    PortfolioRun,
    budget_results,
    case_results,
    run_portfolio,
    run_portfolio_full,
)
from survival_invest.pipeline.validate import validate

__all__ = [
    "RESULT_COLUMNS",
    "CurvesOutcome",
    "PortfolioRun",
    "RunOutcome",
    "budget_results",
    "case_results",
    "publish",
    "run_monthly",
    "run_portfolio",
    "run_portfolio_full",
    "validate",
    "write_curves",
]
