"""Spells -> per person-period support status at the analysis frequency (numpy arrays).

This is the step between reading an extract and following a cohort: each spell
row is classified by its benefit code (``support``, ``self_support``,
``censor``) and, for weekly data analysed by month, weeks are rolled up to the
month of their Thursday. Everything is array arithmetic on integer codes
(person codes from run boundaries, benefit codes from a ``Categorical``), with
no Python loop over rows or persons, so it scales to 10^8 rows.

What the month rule decides (weekly data analysed by month)
-----------------------------------------------------------
``month_rule`` (``any`` / ``majority`` / ``all``) decides one thing only:
whether a month counts as *on support for the exit clock* (``Status.on``):
the first exit, a durable exit, the duration, and a matched control's being
on support in its match month. It is a rule about when a spell ends, so it
stops there. Everything that measures *how much* support there was is read
from the weeks themselves, the same under every rule:

* the **occupancy share** of a month is weeks on support / weeks in the month
  (``Status.share``; full-time persons as jobindsats.dk counts them), also in a
  month the rule counts as off;
* the **prior support** of the refusion staircase is counted in weeks on the
  weekly rows (``Status.source_rows``): weeks with a support code in the 156
  weeks before the first week of the entry month, restarting after 52 whole
  weeks without a support code, as the law's staircase counts weeks;
* the **benefit at entry** is the code of the latest month up to entry with at
  least one support week (``Status.supported``), its first support week's code.

Monthly data and data at the analysis frequency have no partial periods: there
``on``, ``supported`` and a share of 0/1 coincide under every rule.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from survival_invest.choices import MONTH_RULES, MonthRule
from survival_invest.errors import CohortError, ExtractError
from survival_invest.io.periods import Frequency, week_to_month, weeks_in_month
from survival_invest.io.readers import Spells

__all__ = [
    "MONTH_RULES",
    "WEEKS_PER_MONTH",
    "SourceRows",
    "Status",
    "first_week_of_month",
    "spell_status",
    "unknown_codes_error",
]

#: Weeks counted for a month on support when only monthly data exist.
WEEKS_PER_MONTH = 52.0 / 12.0


def first_week_of_month(month: np.ndarray) -> np.ndarray:
    """The first ISO week (week number) whose Thursday lies in each month (the month's first week by Thursday).

    Weeks ``first_week_of_month(m) .. first_week_of_month(m + 1) - 1`` are the
    ``weeks_in_month(m)`` weeks of month ``m``
    (:func:`survival_invest.io.periods.week_to_month`).
    """
    m = np.asarray(month, dtype=np.int64) - 1970 * 12
    first_day = m.astype("datetime64[M]").astype("datetime64[D]")
    k = (first_day - np.datetime64("1970-01-05", "D")).astype(np.int64)  # days since the epoch Monday
    return -((3 - k) // 7)  # the smallest w with 7 w + 3 >= k: ceil((k - 3) / 7)


@dataclass(frozen=True)
class SourceRows:
    """The extract's rows at its own frequency (weeks for DREAM), for the prior-support count.

    Attributes
    ----------
    person, period : ndarray of int
        Person position (in ``Status.persons``) and source period, sorted by (person, period).
    on : ndarray of bool
        A ``support``-class code in the period.
    """

    person: np.ndarray
    period: np.ndarray
    on: np.ndarray


@dataclass(frozen=True)
class Status:
    """Per person-period status, sorted by (person, period).

    Attributes
    ----------
    persons : Index
        Person ids; ``person`` holds positions in it.
    person : ndarray of int32
        (32-bit: half the memory traffic of int64 at 10^8 rows)
    period : ndarray of int32
    on : ndarray of bool
        On support for the exit clock (by ``month_rule`` for months rolled up
        from weeks).
    censor : ndarray of bool
        A censor code in the period.
    code : ndarray of int
        Position in ``codes`` of the period's code (first support code of a
        month rolled up from weeks, else its first code).
    share : ndarray of float64 or None
        Share of the period on support (weeks on support / weeks in the month,
        whatever ``month_rule``); None means ``on`` as 0/1 (monthly or weekly
        data at their own frequency).
    support_weeks : ndarray of float64 or None
        Weeks on support in the period; None means 1 per on-support week, or
        52/12 per on-support month for monthly data.
    codes, code_group, code_label : arrays
        Code table: code strings, benefit group and label per code.
    frequency : {"month", "week"}
        The analysis frequency.
    source_frequency : {"month", "week"}
        The extract's declared frequency (:attr:`survival_invest.io.spells.Spells.frequency`):
        what the weeks per source period of the refusion staircase rest on.
    month_rule : {"any", "majority", "all"}
        The rule ``on`` was made with (it matters only for rolled-up months).
    censor_code : ndarray of int or None
        Position in ``codes`` of the period's first censor code (a rolled-up
        month whose code is a support week's); None means ``code``.
    source : SourceRows or None
        The weekly rows of a rolled-up extract; None means the rows above are
        at the source frequency.
    """

    persons: pd.Index
    person: np.ndarray
    period: np.ndarray
    on: np.ndarray
    censor: np.ndarray
    code: np.ndarray
    share: np.ndarray | None
    support_weeks: np.ndarray | None
    codes: np.ndarray
    code_group: np.ndarray
    code_label: np.ndarray
    frequency: Frequency
    source_frequency: Frequency
    month_rule: MonthRule = "any"
    censor_code: np.ndarray | None = None
    source: SourceRows | None = None

    @property
    def rolled_up(self) -> bool:
        """Whether weekly rows were rolled up to months."""
        return self.source is not None

    @property
    def supported(self) -> np.ndarray:
        """At least one support week in the period (``share > 0``); ``on`` when there are no partial periods."""
        return self.on if self.share is None else self.share > 0

    def source_rows(self) -> SourceRows:
        """The rows at the extract's own frequency (the weeks of a rolled-up extract, else the rows themselves)."""
        return SourceRows(self.person, self.period, self.on) if self.source is None else self.source

    def censor_code_at(self, idx: np.ndarray) -> np.ndarray:
        """Position in ``codes`` of the censor code of rows ``idx`` (their first censor week's code)."""
        return self.code[idx] if self.censor_code is None else self.censor_code[idx]

    def share_at(self, idx: np.ndarray) -> np.ndarray:
        """On-support share of rows ``idx``."""
        return self.on[idx].astype(np.float64) if self.share is None else self.share[idx]

    def weeks_at(self, idx: np.ndarray) -> np.ndarray:
        """Weeks on support of rows ``idx``."""
        if self.support_weeks is not None:
            return self.support_weeks[idx]
        per = 1.0 if self.source_frequency == "week" else WEEKS_PER_MONTH
        return self.on[idx] * per


def unknown_codes_error(source: str, classification: pd.DataFrame, bad: list[tuple[str, int]]) -> ExtractError:
    """The error for extract codes missing from the classification: the codes with their row counts, most rows first.

    Parameters
    ----------
    source : str
        The extract's name.
    classification : DataFrame
        The classification (its ``source`` attribute names it).
    bad : list of (code, rows)
        The unknown codes and their row counts; the ten with most rows are listed.

    Returns
    -------
    ExtractError
        To be raised by the caller (the in-memory and SQL engines share it).
    """
    bad = sorted(bad, key=lambda x: -x[1])
    listed = ", ".join(f"'{c}' ({n} rows)" for c, n in bad[:10])
    more = f" and {len(bad) - 10} more codes" if len(bad) > 10 else ""
    src = classification.attrs.get("source", "the classification")
    return ExtractError(
        f"{source}: column 'benefit': {len(bad)} code{'s' if len(bad) > 1 else ''} not in "
        f"{src}: {listed}{more}; add them to the classification with a class of support, self_support or censor."
    )


def _person_codes(ids: pd.Series) -> tuple[pd.Index, np.ndarray, np.ndarray | None]:
    """Person codes from runs of equal ids (rows grouped by person), or a stable sort if not grouped.

    Returns (persons, codes, order) where ``order`` is None when the rows were
    already grouped, else the permutation that groups them.
    """
    values = ids.to_numpy()
    n = values.shape[0]
    if n == 0:
        return pd.Index([]), np.zeros(0, dtype=np.int32), None
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(values[1:], values[:-1], out=new[1:])
    persons = pd.Index(values[new])
    if persons.is_unique:
        codes = np.cumsum(new, dtype=np.int32)
        codes -= 1
        return persons, codes, None
    factor, uniq = pd.factorize(values)
    order = np.argsort(factor, kind="stable")
    return pd.Index(uniq), factor[order].astype(np.int32), order


def spell_status(
    spells: Spells, classification: pd.DataFrame, frequency: Frequency, month_rule: MonthRule = "any"
) -> Status:
    """Classify spell rows and bring them to the analysis ``frequency``.

    Parameters
    ----------
    spells : Spells
        From :func:`survival_invest.read_spells`.
    classification : DataFrame
        ``code, class, benefit_group, label`` (:func:`survival_invest.io.readers.read_classification`).
    frequency : {"month", "week"}
        The analysis frequency (the memberships' frequency).
    month_rule : {"any", "majority", "all"}
        When weekly data make a month "on support" (rules below).

    Returns
    -------
    Status
        Sorted by (person, period).

    Raises
    ------
    ExtractError
        Codes missing from the classification.
    CohortError
        An unknown ``month_rule``, or monthly spells for weekly memberships.

    Rules
    -----
    * Codes not in ``classification`` are an :class:`ExtractError` listing them
      with row counts.
    * Weekly data analysed by month: a week belongs to the month of its
      Thursday; ``share`` = weeks on support / weeks in the month under every
      rule (so full-time persons and the occupancy curve stay exact); the month
      is *on support for the exit clock* (``on``) when ``month_rule`` holds:
      ``any`` week on support (default; an exit then needs a whole calendar
      month without benefit, as jobindsats.dk counts spells), a ``majority``
      (share >= 0.5) or ``all`` weeks. The rule decides nothing else (module
      docstring). A month with a censor week is a censor month, with that
      week's code as its censor code (``censor_code``). The month's code is its
      first support week's code, else its first week's. The weekly rows are
      kept (``source``) for the prior-support count in weeks.
    * Monthly data cannot be analysed by week.
    """
    if month_rule not in MONTH_RULES:
        raise CohortError(f"month_rule must be one of {list(MONTH_RULES)}; got {month_rule!r}.")
    persons, person, period, code, codes = _sorted_rows(spells.frame)
    code_support, code_censor, code_group, code_label = _code_table(codes, code, classification, spells.source)
    on = code_support[code]
    censor = code_censor[code]
    table = (codes, code_group, code_label)

    if spells.frequency == frequency:
        return Status(
            persons, person, period, on, censor, code, None, None, *table, frequency, spells.frequency, month_rule
        )
    if spells.frequency == "month":
        raise CohortError(
            "memberships are weekly but the spells extract is monthly; weekly entry periods need weekly spells."
        )
    first, m_period, share, weeks_on = _weeks_to_months(person, period, on)
    m_on = _month_on(weeks_on, m_period, month_rule)
    # the month's code: its first support week's code, else its first week's; its censor code: its first censor week's
    n = person.shape[0]
    rows = np.arange(n)
    first_support = np.minimum.reduceat(np.where(on, rows, n), first) if n else np.zeros(0, np.int64)
    first_censor = np.minimum.reduceat(np.where(censor, rows, n), first) if n else np.zeros(0, np.int64)
    pick = np.where(first_support < n, first_support, first)
    cens = first_censor < n
    censor_code = code[np.where(cens, first_censor, first)]
    return Status(
        persons,
        person[first],
        m_period,
        m_on,
        cens,
        code[pick],
        share,
        weeks_on.astype(np.float64),
        *table,
        frequency,
        spells.frequency,
        month_rule,
        censor_code,
        SourceRows(person, period, on),
    )


def _sorted_rows(frame: pd.DataFrame) -> tuple[pd.Index, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(persons, person, period, code, codes) of the spell rows, sorted by (person, period)."""
    persons, person, order = _person_codes(frame["person_id"])
    period = frame["period"].to_numpy().astype(np.int32, copy=False)
    bcat = (
        frame["benefit"]
        if isinstance(frame["benefit"].dtype, pd.CategoricalDtype)
        else frame["benefit"].astype("category")
    )
    code = bcat.cat.codes.to_numpy()
    if order is not None:
        period, code = period[order], code[order]
    # rows within a person must be in period order
    if period.shape[0] > 1:
        same = person[1:] == person[:-1]
        if np.any(same & (period[1:] < period[:-1])):
            o = np.lexsort((period, person))
            person, period, code = person[o], period[o], code[o]
    codes = np.asarray(bcat.cat.categories.astype(str))
    return persons, person, period, code, codes


def _code_table(
    codes: np.ndarray, code: np.ndarray, classification: pd.DataFrame, source: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(is support, is censor, benefit group, label) per code; unknown codes used by rows are an error."""
    table = classification.set_index("code")
    cls = pd.Index(codes).map(table["class"])
    unknown_codes = np.asarray(pd.isna(cls))
    if unknown_codes.any():
        counts = np.bincount(code[code >= 0], minlength=codes.shape[0])
        bad = [(codes[i], int(counts[i])) for i in np.flatnonzero(unknown_codes) if counts[i] > 0]
        if bad:
            raise unknown_codes_error(source, classification, bad)
    cls_arr = np.asarray(cls.astype(object))
    code_group = np.asarray(pd.Index(codes).map(table["benefit_group"]).astype(object))
    code_label = np.asarray(pd.Index(codes).map(table["label"]).astype(object))
    return cls_arr == "support", cls_arr == "censor", code_group, code_label


def _weeks_to_months(
    person: np.ndarray, period: np.ndarray, on: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Weekly rows -> (first week row, month, share on support, weeks on support) per (person, month)."""
    month = week_to_month(period).astype(np.int32)  # monotone in the week, so rows stay sorted by (person, month)
    n = month.shape[0]
    start = np.empty(n, dtype=bool)
    if n:
        start[0] = True
        start[1:] = (person[1:] != person[:-1]) | (month[1:] != month[:-1])
    first = np.flatnonzero(start)
    weeks_on = np.add.reduceat(on.astype(np.int64), first) if n else np.zeros(0, np.int64)
    m_period = month[first]
    return first, m_period, weeks_on / weeks_in_month(m_period), weeks_on


def _month_on(weeks_on: np.ndarray, month: np.ndarray, month_rule: MonthRule) -> np.ndarray:
    """On support for the exit clock by ``month_rule``: any week, at least half of the weeks, or all of them."""
    if month_rule == "any":
        return weeks_on > 0
    wim = weeks_in_month(month)
    return 2 * weeks_on >= wim if month_rule == "majority" else weeks_on >= wim
