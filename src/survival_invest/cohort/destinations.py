"""Where each person went at exit: the destination of the first period of the exit.

The rules (the classification's destinations:
:mod:`survival_invest.io.classification`, "Destinations"):

* Only exits have a destination; a censored person's is missing.
* A **durable exit takes the destination of its first period** (the period
  ``entry + duration``, where the exit is dated): the destination of that
  period's ``self_support`` code (SU -> ``education``, fleksjob -> ``flex_job``,
  a benefit outside the follow-up -> ``other``), or ``job``
  (:data:`~survival_invest.io.classification.BLANK_DESTINATION`) when the
  period has no row at all (a blank period: the usual sign of ordinary work).
* A month rolled up from weeks carries its first support week's code, else its
  first week's (:func:`survival_invest.cohort.status.spell_status`): a month
  the month rule counts as off although it has a support week (``majority`` /
  ``all``) therefore shows a support code, and takes the blank destination
  (its other weeks were blank or self-support; which of them is not kept).

The look-up is a vectorised binary search over each person's rows of the
status (sorted by person and period), so it allocates nothing of the size of
the extract and has no Python loop over persons.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from survival_invest.cohort.follow import person_positions
from survival_invest.cohort.status import Status
from survival_invest.io.classification import BLANK_DESTINATION, DESTINATIONS, classification_from_frame

__all__ = ["DESTINATIONS", "code_destinations", "exit_destinations", "find_rows"]


def code_destinations(st: Status, classification: pd.DataFrame) -> np.ndarray:
    """The destination of each of ``st.codes`` (object array; the blank destination for codes without one).

    A classification without a ``destination`` column (a frame passed by hand)
    is given the defaults of
    :func:`~survival_invest.io.classification.classification_from_frame`.
    """
    if "destination" not in classification.columns:
        classification = classification_from_frame(
            classification, source=classification.attrs.get("source", "<DataFrame>")
        )
    table = classification.set_index("code")["destination"]
    mapped = pd.Index(st.codes).map(table)
    return np.asarray(pd.Series(mapped, dtype="string").fillna(BLANK_DESTINATION).astype(object))


def find_rows(person: np.ndarray, period: np.ndarray, who: np.ndarray, when: np.ndarray) -> np.ndarray:
    """Row of (``who``, ``when``) in rows sorted by (person, period), -1 where there is none.

    Parameters
    ----------
    person, period : ndarray of int
        The rows' person positions and periods, sorted by (person, period).
    who : ndarray of int
        Person position per query (-1: none, never found).
    when : ndarray of int
        Period per query.

    Returns
    -------
    ndarray of int64
        The first matching row per query, or -1.
    """
    who_ = who.astype(person.dtype)  # searchsorted casts the rows to the queries' type: 10^8 rows, twice
    lo = np.searchsorted(person, who_, side="left").astype(np.int64)
    hi = np.searchsorted(person, who_, side="right").astype(np.int64)
    stop = hi.copy()
    while True:  # vectorised binary search within each person's rows: log2(rows per person) passes
        open_ = lo < hi
        if not open_.any():
            break
        mid = (lo + hi) // 2
        below = open_ & (period[np.minimum(mid, period.shape[0] - 1)] < when)
        lo = np.where(below, mid + 1, lo)
        hi = np.where(open_ & ~below, mid, hi)
    found = (lo < stop) & (who >= 0)
    found[found] = period[lo[found]] == when[found]
    return np.where(found, lo, -1)


def exit_destinations(st: Status, classification: pd.DataFrame, persons: pd.DataFrame) -> pd.Series:
    """Each person's destination at exit (missing when censored), by the rules of the module docstring.

    Parameters
    ----------
    st : Status
        The classified extract the cohort was followed on.
    classification : DataFrame
        The code classification (its ``destination`` column).
    persons : DataFrame
        ``person_id, entry, duration, event`` per person (``Cohort.persons``).

    Returns
    -------
    Series of string
        One of :data:`DESTINATIONS` for exits, ``<NA>`` for censored persons;
        aligned with ``persons``.
    """
    event = persons["event"].to_numpy().astype(bool)
    out = np.full(len(persons), pd.NA, dtype=object)
    if event.any():
        who = person_positions(st, persons["person_id"][event])
        when = persons["entry"].to_numpy()[event] + persons["duration"].to_numpy()[event]
        row = find_rows(st.person, st.period, who, when)
        dest = np.full(row.shape[0], BLANK_DESTINATION, dtype=object)
        has = row >= 0
        dest[has] = code_destinations(st, classification)[st.code[row[has]]]
        out[event] = dest
    return pd.Series(out, index=persons.index, dtype="string")
