"""Spells -> per person-period support status at the analysis frequency (numpy arrays).

This is the step between reading an extract and following a cohort: each spell
row is classified by its benefit code (``support``, ``self_support``,
``censor``) and, for weekly data analysed by month, weeks are rolled up to the
month of their Thursday. Everything is array arithmetic on integer codes
(person codes from run boundaries, benefit codes from a ``Categorical``), with
no Python loop over rows or persons, so it scales to 10^8 rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from survival_invest.choices import MONTH_RULES, MonthRule
from survival_invest.errors import CohortError, ExtractError
from survival_invest.io.periods import Frequency, week_to_month, weeks_in_month
from survival_invest.io.readers import Spells

__all__ = ["MONTH_RULES", "WEEKS_PER_MONTH", "Status", "spell_status", "unknown_codes_error"]

#: Weeks counted for a month on support when only monthly data exist.
WEEKS_PER_MONTH = 52.0 / 12.0


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
        On support for the exit clock.
    censor : ndarray of bool
        A censor code in the period.
    code : ndarray of int
        Position in ``codes`` of the period's code (first support code of a
        month rolled up from weeks, else its first code).
    share : ndarray of float64 or None
        Share of the period on support (weeks on support / weeks in the month);
        None means ``on`` as 0/1 (monthly or weekly data at their own frequency).
    support_weeks : ndarray of float64 or None
        Weeks on support in the period; None means 1 per on-support week, or
        52/12 per on-support month for monthly data.
    codes, code_group, code_label : arrays
        Code table: code strings, benefit group and label per code.
    frequency : {"month", "week"}
    source_frequency : {"month", "week"}
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
      Thursday; ``share`` = weeks on support / weeks in the month (so full-time
      persons stay exact); the month is *on support* for the exit clock when
      ``month_rule`` holds: ``any`` week on support (default; an exit then needs
      a whole calendar month without benefit, as jobindsats.dk counts spells),
      a ``majority`` (share >= 0.5) or ``all`` weeks. A month with a censor week
      is a censor month. The month's code is its first support week's code.
    * Monthly data cannot be analysed by week.
    """
    if month_rule not in MONTH_RULES:
        raise CohortError(f"month_rule must be one of {list(MONTH_RULES)}; got {month_rule!r}.")
    persons, person, period, code, codes = _sorted_rows(spells.frame)
    code_support, code_censor, code_group, code_label = _code_table(codes, code, classification, spells.source)
    on = code_support[code]
    censor = code_censor[code]

    if spells.frequency == frequency:
        return Status(
            persons,
            person,
            period,
            on,
            censor,
            code,
            None,
            None,
            codes,
            code_group,
            code_label,
            frequency,
            spells.frequency,
        )
    if spells.frequency == "month":
        raise CohortError(
            "memberships are weekly but the spells extract is monthly; weekly entry periods need weekly spells."
        )
    first, m_period, m_on, cens, pick, share, weeks_on = _weeks_to_months(person, period, on, censor, month_rule)
    return Status(
        persons,
        person[first],
        m_period,
        m_on,
        cens,
        code[pick],
        share,
        weeks_on.astype(np.float64),
        codes,
        code_group,
        code_label,
        frequency,
        spells.frequency,
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
    person: np.ndarray, period: np.ndarray, on: np.ndarray, censor: np.ndarray, month_rule: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Weekly rows -> (first week row, month, on, censor, code row, share, weeks on) per (person, month)."""
    month = week_to_month(period).astype(np.int32)  # monotone in the week, so rows stay sorted by (person, month)
    n = month.shape[0]
    start = np.empty(n, dtype=bool)
    if n:
        start[0] = True
        start[1:] = (person[1:] != person[:-1]) | (month[1:] != month[:-1])
    first = np.flatnonzero(start)
    weeks_on = np.add.reduceat(on.astype(np.int64), first) if n else np.zeros(0, np.int64)
    cens = np.logical_or.reduceat(censor, first) if n else np.zeros(0, bool)
    # first support week's code, else the first week's code
    pos = np.where(on, np.arange(n), n)
    first_support = np.minimum.reduceat(pos, first) if n else np.zeros(0, np.int64)
    pick = np.where(first_support < n, first_support, first)
    m_period = month[first]
    wim = weeks_in_month(m_period)
    share = weeks_on / wim
    if month_rule == "any":
        m_on = weeks_on > 0
    elif month_rule == "majority":
        m_on = share >= 0.5
    else:
        m_on = weeks_on >= wim
    return first, m_period, m_on, cens, pick, share, weeks_on
