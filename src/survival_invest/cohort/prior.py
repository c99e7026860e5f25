"""Prior support before entry: the week count of the refusion staircase (``Cohort.persons.prior_weeks``).

The rule (DOMAIN.md, the refusion reform's staircase): weeks with a support
code in the 3 years before entry, counted only since the last break of 52
whole weeks without a support code, and 0 when such a break ends just before
entry. It is counted on the extract's own rows, whatever the month rule:

* weekly data (DREAM), also when analysed by month: in weeks, a 156-week
  look-back ending with the week before the first week of the entry month
  (the month of a week is its Thursday's), reset after 52 weeks without a
  support code;
* monthly data: in months (36-month look-back, reset after 12 months off),
  each month on support counting 52/12 weeks.

A week without a support code is a self-support week for the reset whatever
it carries: blank, a ``self_support`` code (SU 651/652/661, fleksjob 771 in the
shipped list) or a ``censor`` code. A municipality that counts fleksjob as
public support classifies 771 as ``support``; its weeks then count and break
the reset.
"""

from __future__ import annotations

import numpy as np

from survival_invest.cohort.ragged import NEVER, last_per_member, previous_within, ragged_join
from survival_invest.cohort.rules import lookback_reset
from survival_invest.cohort.status import WEEKS_PER_MONTH, Status, first_week_of_month
from survival_invest.io.periods import Frequency

__all__ = ["prior_only", "prior_weeks"]


def prior_weeks(member: np.ndarray, t: np.ndarray, on: np.ndarray, n_m: int, source_frequency: Frequency) -> np.ndarray:
    """Weeks on support before entry (``t < 0``) since the last break, counted on rows at the source frequency.

    The rule (the refusion staircase's count, DOMAIN.md): source periods with a
    support code among the ``lookback`` periods before entry, after the last
    break; a break is a run of ``reset`` periods or more without a support code
    (blank, self-support such as SU or fleksjob in the shipped list, or
    censor-class periods alike) between two periods on support, or between the
    last of them and entry. ``(lookback, reset)`` are
    :func:`survival_invest.cohort.rules.lookback_reset` of the *source*
    frequency: (156, 52) weeks for weekly data, also when they are analysed
    by month; (36, 12) months for monthly data, each month on support counting
    52/12 weeks.

    Parameters
    ----------
    member, t, on : ndarray
        Rows at the source frequency sorted by member, then period: member,
        ``t`` = source period minus the member's first source period of entry
        (rows with ``-lookback <= t``), and whether the row has a support code.
    n_m : int
        Number of members.
    source_frequency : {"month", "week"}
        The extract's frequency.

    Returns
    -------
    ndarray of float64
        Prior weeks per member.
    """
    lookback, reset = lookback_reset(source_frequency)
    per = 1.0 if source_frequency == "week" else WEEKS_PER_MONTH
    pr = t < 0
    pr &= on
    p_member, p_t = member[pr], t[pr]
    del pr
    p_prev = previous_within(p_member, p_t, -lookback - 1)
    brk = (p_t - p_prev - 1) >= reset
    del p_prev
    last_break = last_per_member(p_member, brk, p_t, n_m, -NEVER)
    counted = p_t >= last_break[p_member]  # only the stretch after the last break counts
    c_member = p_member[counted]
    prior = np.bincount(c_member, weights=np.full(c_member.shape[0], per), minlength=n_m)
    last_prior = last_per_member(p_member, None, p_t, n_m, -NEVER)
    prior[(-last_prior - 1) >= reset] = 0.0  # a break just before entry resets the count
    return prior


def prior_only(st: Status, m_person: np.ndarray, entry: np.ndarray, freq: Frequency) -> np.ndarray:
    """Prior weeks of (person, entry) pairs, from the extract's rows at its own frequency (:func:`prior_weeks`).

    For weekly data analysed by month the count runs on the weeks: the
    look-back ends with the week before the first week of the entry month
    (:func:`survival_invest.cohort.status.first_week_of_month`).

    Parameters
    ----------
    st : Status
        The classified extract.
    m_person : ndarray of int
        Position of each pair's person in ``st.persons`` (-1 = no spell rows).
    entry : ndarray of int
        Entry period of each pair (analysis frequency).
    freq : {"month", "week"}
        The analysis frequency.

    Returns
    -------
    ndarray of float64
        Prior weeks per pair.
    """
    src = st.source_rows()
    start = first_week_of_month(entry) if st.rolled_up else np.asarray(entry, dtype=np.int64)
    lookback, _ = lookback_reset(st.source_frequency)
    member, ridx = ragged_join(src.person, src.period, m_person, start - lookback, start - 1)
    t = src.period[ridx] - start[member]
    return prior_weeks(member, t, src.on[ridx], m_person.shape[0], st.source_frequency)
