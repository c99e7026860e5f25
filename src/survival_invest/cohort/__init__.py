"""The cohort rules: memberships + spells -> each person's entry, duration, exit and censoring.

Stage two of the flow (``docs/architecture.md``). The rules (duration clock,
exit, censoring, comparison groups) are stated in :mod:`survival_invest.cohort.build`,
the week-to-month rule in :mod:`survival_invest.cohort.status`, sequential
matching in :mod:`survival_invest.cohort.matching`.
"""

from survival_invest.cohort.build import (
    COMPARISONS,
    CURVES,
    MONTH_RULES,
    Cohort,
    attach_persons,
    build_cohort,
    comparison_rows,
    entry_dates,
    refuse_late_entries,
    refuse_short_extract,
)
from survival_invest.cohort.matching import Matching
from survival_invest.cohort.status import Status, spell_status

__all__ = [
    "COMPARISONS",
    "CURVES",
    "MONTH_RULES",
    "Cohort",
    "Matching",
    "Status",
    "attach_persons",
    "build_cohort",
    "comparison_rows",
    "entry_dates",
    "refuse_late_entries",
    "refuse_short_extract",
    "spell_status",
]
