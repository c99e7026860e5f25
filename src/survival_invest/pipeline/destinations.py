"""The months by destination of a case with ``destinations = true``, as rows of the long results table.

One row per destination (:data:`survival_invest.io.classification.DESTINATIONS`:
job, education, flex job, other), ``measure = "months_in_<destination>"``
(``months_in_job``, ``months_in_education``, ``months_in_flex_job``,
``months_in_other``), ``kind = "realised"``, ``year`` = the cut-off's year (the
figure is to date, over the whole cohort), ``unit = "months"``, ``basis =
"curves"`` and ``horizon`` = the months of duration counted: the difference in
cause-specific restricted mean time lost by ``tau`` (intervention minus
comparison: the extra months per participant spent in that destination; they
sum to the months of support saved per participant,
:func:`survival_invest.report.destinations.saved_months_by_destination`),
with its 95 % interval. Below ``min_persons`` persons in either group the
values are missing (suppressed). The figures need each person's destination:
the in-memory engine (:mod:`survival_invest.engines.select`).
"""

from __future__ import annotations

from survival_invest.cohort.build import Cohort
from survival_invest.config import CaseConfig, ConfigError, Portfolio
from survival_invest.economics.horizon import case_horizon
from survival_invest.report.destinations import saved_months_by_destination
from survival_invest.stats import CaseStatistics, as_statistics

__all__ = ["destination_rows"]


def destination_rows(
    case: CaseConfig, config: Portfolio, statistics: CaseStatistics | Cohort | None, cutoff: int
) -> list[dict[str, object]]:
    """The case's months by destination as results rows (module docstring); ``[]`` unless ``destinations = true``.

    Parameters
    ----------
    case : CaseConfig
    config : Portfolio
        ``[run] min_persons``.
    statistics : CaseStatistics, Cohort or None
        The case's cohort (count tables have no destinations).
    cutoff : int
        The data cut-off (month number): the rows' year.

    Returns
    -------
    list of dict
        Rows with the results table's columns.

    Raises
    ------
    ConfigError
        ``destinations = true`` without the cohort (an SQL engine ran the case).
    """
    if not case.destinations or case.method != "survival":
        return []
    if not isinstance(statistics, Cohort):
        raise ConfigError(
            f"{config.source}: case {case.id!r} has destinations = true, which needs each person's destination: "
            'run it with engine = "memory" (or "auto").'
        )
    tau = case_horizon(as_statistics(statistics), case).tau
    rows = saved_months_by_destination(statistics.persons, case.id, tau, config.run.min_persons)
    rows = rows.assign(year=cutoff // 12, unit="months", basis="curves", horizon=float(tau), extrapolated=0.0)
    out: list[dict[str, object]] = [{str(k): v for k, v in r.items()} for r in rows.to_dict("records")]
    return out
