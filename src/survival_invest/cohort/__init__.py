"""The cohort rules: memberships + spells -> each person's entry, duration, exit and censoring.

Stage two of the flow (``docs/architecture.md``). :func:`build_cohort`
(:mod:`survival_invest.cohort.build`) is the entry point. The rules are stated
where they are applied: comparison groups, the prior-duration clock and the
cut-off refusals in :mod:`survival_invest.cohort.rules`, the duration clock in
:mod:`survival_invest.cohort.follow`, the week-to-month rule in
:mod:`survival_invest.cohort.status`, sequential matching in
:mod:`survival_invest.cohort.matching` and :mod:`survival_invest.cohort.matched`,
the summary counts in :mod:`survival_invest.cohort.summary`, and baseline
covariates in :mod:`survival_invest.cohort.persons`.
"""

from survival_invest.choices import COMPARISONS, CURVES, MONTH_RULES
from survival_invest.cohort.build import Cohort, build_cohort
from survival_invest.cohort.matching import Matching
from survival_invest.cohort.persons import AGE_BANDS, AGE_LABELS, attach_persons, entry_dates
from survival_invest.cohort.ragged import NEVER
from survival_invest.cohort.rules import (
    case_members,
    comparison_rows,
    lookback_reset,
    refuse_late_entries,
    refuse_short_extract,
)
from survival_invest.cohort.status import Status, spell_status

__all__ = [
    "AGE_BANDS",
    "AGE_LABELS",
    "COMPARISONS",
    "CURVES",
    "MONTH_RULES",
    "NEVER",
    "Cohort",
    "Matching",
    "Status",
    "attach_persons",
    "build_cohort",
    "case_members",
    "comparison_rows",
    "entry_dates",
    "lookback_reset",
    "refuse_late_entries",
    "refuse_short_extract",
    "spell_status",
]
