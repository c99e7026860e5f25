"""The horizon of a run's curve-based rows: the ``horizon`` and ``extrapolated`` columns and the warnings.

``horizon`` (forecast rows of survival cases) is the months of duration the
curve-based figure counts: the case's horizon, or the last duration observed
in both groups when no tail is declared and the cap binds
(:func:`~survival_invest.economics.case_horizon`). ``extrapolated`` is the part
of ``value`` (same unit and sign) that comes from months beyond a group's last
observed duration, i.e. from the declared tail model: 0 when nothing is
extrapolated, NaN on rows that are not curve-based. A binding cap or an
extrapolated horizon is also a warning (:func:`horizon_notes`), shown with the
report's data-quality lines.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import pandas as pd

from survival_invest.config import Portfolio
from survival_invest.economics.forecast import case_horizon, horizon_warnings
from survival_invest.stats import CaseStatistics

__all__ = ["flag_rows", "horizon_notes"]

log = logging.getLogger(__name__)

#: measure of the results table -> (column of the forecast's figures, factor to the table's unit and sign)
_PARTS = {
    "saved_fte": ("saved_fte_extrapolated", 1.0),
    "savings": ("savings_kr_extrapolated", -1e-6),
    "refusion_part": ("refusion_part_kr_extrapolated", -1e-6),
}


def flag_rows(rows: list[dict[str, object]], figures: pd.DataFrame, horizon: int) -> list[dict[str, object]]:
    """``rows`` (one case's forecast rows) with ``horizon`` and ``extrapolated`` set from the forecast's ``figures``.

    Parameters
    ----------
    rows : list of dict
        Results rows with ``year`` and ``measure``; changed in place and returned.
    figures : DataFrame
        The forecast's frame (:func:`~survival_invest.economics.case_forecast`), by year.
    horizon : int
        The months of duration counted.

    Returns
    -------
    list of dict
    """
    for r in rows:  # a dozen rows per case
        col, scale = _PARTS[str(r["measure"])]
        part = dict(zip(figures["year"], figures[col], strict=True)) if col in figures.columns else {}
        r["horizon"] = float(horizon)
        r["extrapolated"] = float(part.get(r["year"], 0.0)) * scale + 0.0
    return rows


def horizon_notes(config: Portfolio, statistics: Mapping[str, CaseStatistics]) -> tuple[str, ...]:
    """The run's warnings about horizons (each also logged): every survival case whose cap binds or tail extrapolates."""
    notes = tuple(
        note
        for case in config.cases
        if case.method == "survival" and case.id in statistics
        for note in horizon_warnings(case, case_horizon(statistics[case.id], case))
    )
    for note in notes:
        log.warning("%s", note)
    return notes
