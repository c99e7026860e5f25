"""Fixtures shared by the test packages.

``result_row`` builds one row of the long results table (``case_id, year,
measure, kind, value, lower, upper, unit``), which the portfolio's and the
summary's tests (``tests/economics/test_portfolio.py``,
``tests/report/test_summary.py``) assemble into their own small results.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

ResultRow = Callable[..., dict]


def _result_row(case: str, year: int, measure: str, kind: str, value: float, half: float = np.nan) -> dict:
    """One results row: ``value`` with limits ``value -/+ half`` (NaN: no interval); unit from the measure."""
    return dict(
        case_id=case,
        year=year,
        measure=measure,
        kind=kind,
        value=value,
        lower=value - half,
        upper=value + half,
        unit="fte" if measure == "saved_fte" else "mio_kr",
    )


@pytest.fixture
def result_row() -> ResultRow:
    """The results-row builder ``result_row(case, year, measure, kind, value, half=nan)``."""
    return _result_row
