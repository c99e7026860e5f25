"""The in-memory engine's counting: a :class:`~survival_invest.Cohort` -> the aggregates of :mod:`survival_invest.stats`.

:func:`counted_and_spell` is the one statement of the per-participant
"counted" and "spell" lengths (the SQL engines state the same rule in SQL);
the bootstrap of :mod:`survival_invest.economics.uncertainty` uses it too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from survival_invest.cohort.build import Cohort
from survival_invest.errors import InputError
from survival_invest.io.periods import weeks_in_month
from survival_invest.stats.tables import GROUPS, SUMMARY_ITEMS, CaseStatistics, assemble, normalise_aggregates

__all__ = [
    "as_statistics",
    "case_statistics",
    "cohort_aggregates",
    "collapse_rows",
    "counted_and_spell",
    "week_factor_of",
]


def counted_and_spell(event: np.ndarray, duration: np.ndarray, followed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per participant: months *counted* by the first-exit realised savings, and of those the months *in spell*.

    The rule (one place; the SQL engines state it in SQL, :mod:`survival_invest.engines.sql`)::

        counted = followed                          if the first exit was observed (event)
                = min(duration + 1, followed)       if censored
        spell   = min(duration, counted)            if event
                = counted                           if censored

    After an observed exit every followed month counts (the participant is off
    support, the comparison curve is what was saved); when censored, months up
    to the last month known on support count, and all of them are in the first
    spell. Durations and lengths are in periods from entry.

    Parameters
    ----------
    event : ndarray of bool
        Whether the person's first exit was observed.
    duration : ndarray of int
        Periods from entry to the first exit (or to censoring).
    followed : ndarray of int
        Periods observed from entry.

    Returns
    -------
    (counted, spell) : tuple of ndarray of int
    """
    counted = np.where(event, followed, np.minimum(duration + 1, followed))
    spell = np.where(event, np.minimum(duration, counted), counted)
    return counted, spell


def cohort_aggregates(cohort: Cohort, *, source_frequency: str | None = None) -> dict[str, pd.DataFrame]:
    """The four aggregates of an in-memory :class:`~survival_invest.Cohort` (the in-memory engine).

    Parameters
    ----------
    cohort : Cohort
    source_frequency : {"month", "week"}, optional
        The frequency of the spells the cohort was built from. The cohort
        carries it (``Cohort.source_frequency``, the extract's declared
        frequency); a value given here must agree with it. It is never guessed
        from the data: weekly spells analysed by month count support in weeks
        and prior support in weeks (week factor 1) even when every month is
        fully on or off support.

    Returns
    -------
    dict of str to DataFrame
        ``survival``, ``lengths``, ``units`` and ``summary`` (module docstring), normalised.

    Raises
    ------
    InputError
        ``source_frequency`` disagrees with the cohort's.
    """
    p = cohort.persons
    case = str(cohort.case_id)
    weekly_units = _weekly_units(cohort, source_frequency)
    week_factor = week_factor_of(_source(cohort, source_frequency))
    group = p["group"].to_numpy().astype(str)
    is_int = group == "intervention"
    entry = p["entry"].to_numpy().astype(np.int64)
    duration = p["duration"].to_numpy().astype(np.int64)
    event = p["event"].to_numpy().astype(bool)
    followed = p["followed"].to_numpy().astype(np.int64)
    prior = np.rint(p["prior_weeks"].to_numpy(dtype=np.float64) / week_factor).astype(np.int64)
    bg = p["benefit_group"].astype(object).where(p["benefit_group"].notna(), "").astype(str).to_numpy()
    bg = np.where(is_int, bg, "")
    prior = np.where(is_int, prior, -1)

    # person-sized rows collapsed to their distinct keys with numpy first (normalise_aggregates then sorts and
    # groups a few thousand rows, not millions of string keys; the sums are the same integers)
    g_codes, g_labels = pd.factorize(group)
    b_codes, b_labels = pd.factorize(bg)
    survival = collapse_rows({"group": g_codes, "t": duration}, {"events": event, "censored": ~event})
    counted, spell = counted_and_spell(event, duration, followed)
    keys = {"group": g_codes, "entry": entry, "benefit_group": b_codes, "prior_periods": prior}
    parts = []
    for kind, length, rows in (("followed", followed, None), ("counted", counted, is_int), ("spell", spell, is_int)):
        sel = {k: v if rows is None else v[rows] for k, v in keys.items()}
        parts.append(collapse_rows({**sel, "length": length if rows is None else length[rows]}, {"n": None}))
        parts[-1]["kind"] = kind
    lengths = pd.concat(parts, ignore_index=True)
    for frame in (survival, lengths):
        frame["case_id"] = case
        frame["group"] = np.asarray(g_labels, dtype=object)[frame["group"].to_numpy()]
    lengths["benefit_group"] = np.asarray(b_labels, dtype=object)[lengths["benefit_group"].to_numpy()]
    units_frame = _units_table(cohort, entry, is_int, bg, prior, weekly_units)
    return normalise_aggregates(
        {"survival": survival, "lengths": lengths, "units": units_frame, "summary": _summary_table(cohort)}
    )


def collapse_rows(keys: dict[str, np.ndarray], counts: dict[str, np.ndarray | None]) -> pd.DataFrame:
    """Rows summed per distinct combination of integer ``keys``: one ``np.unique`` on a mixed-radix key.

    Parameters
    ----------
    keys : dict of str to ndarray of int
        The key columns (equal lengths).
    counts : dict of str to ndarray of bool or None
        The rows each count column counts (``None``: every row).

    Returns
    -------
    DataFrame
        The key columns (int64) and the counts (int64), one row per distinct key, sorted by the keys.
    """
    cols = [np.asarray(v, dtype=np.int64) for v in keys.values()]
    lo = [int(c.min(initial=0)) for c in cols]
    width = [int(c.max(initial=0)) - a + 1 for c, a in zip(cols, lo, strict=True)]
    if float(np.prod(np.asarray(width, dtype=np.float64))) >= 2.0**62:  # no mixed-radix key: np.unique of rows
        uniq_rows, inverse = np.unique(np.column_stack(cols), axis=0, return_inverse=True)
        out = {name: uniq_rows[:, j] for j, name in enumerate(keys)}
    else:
        combined = np.zeros(cols[0].shape[0] if cols else 0, dtype=np.int64)
        for c, a, w in zip(cols, lo, width, strict=True):  # a few columns
            combined *= w
            combined += c - a
        uniq, inverse = np.unique(combined, return_inverse=True)
        out = {}
        for name, a, w in reversed(list(zip(keys, lo, width, strict=True))):  # a few columns, decoded from the last
            out[name] = uniq % w + a
            uniq = uniq // w
        out = {name: out[name] for name in keys}
    inverse = inverse.reshape(-1)
    n = next(iter(out.values())).shape[0] if out else 0
    for name, rows in counts.items():
        out[name] = np.bincount(inverse if rows is None else inverse[rows], minlength=n).astype(np.int64)
    return pd.DataFrame(out)


def _units_table(
    cohort: Cohort, entry: np.ndarray, is_int: np.ndarray, bg: np.ndarray, prior: np.ndarray, weekly_units: bool
) -> pd.DataFrame:
    """The ``units`` aggregate: support units per (group, calendar month, t, benefit group, prior periods)."""
    case = str(cohort.case_id)
    st = cohort.status
    member = st["member"].to_numpy()
    t = st["t"].to_numpy().astype(np.int64)
    share = st["share"].to_numpy(dtype=np.float64)
    units = np.rint(share * weeks_in_month(entry[member] + t)) if weekly_units else np.rint(share)  # integral floats
    # person-period sized: one bincount on (member class, t), the labels attached to the (small) result
    bg_codes, bg_labels = pd.factorize(bg)
    cls, inverse = _member_classes(is_int, bg_codes, prior, entry)
    n_t = int(t.max(initial=-1)) + 1
    key = inverse[member] * n_t + t
    rows = np.bincount(key, minlength=cls.shape[0] * n_t)
    sums = np.bincount(key, weights=units, minlength=cls.shape[0] * n_t)
    del key, member, share, units
    cell = np.flatnonzero(rows)
    c, tt = cls[cell // n_t], cell % n_t
    return pd.DataFrame(
        {
            "case_id": case,
            "group": np.where(c[:, 0] == 1, "intervention", "comparison"),
            "month": c[:, 3] + tt,
            "t": tt,
            "benefit_group": np.asarray(bg_labels, dtype=object)[c[:, 1]],
            "prior_periods": c[:, 2],
            "units": np.rint(sums[cell]).astype(np.int64),
        }
    )


def _member_classes(
    is_int: np.ndarray, bg_codes: np.ndarray, prior: np.ndarray, entry: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (group, benefit group code, prior periods, entry) of the members, and each member's class.

    Returns ``(classes, inverse)``: an int64 array of shape (k, 4) and the
    class of every member; a few thousand classes for a national cohort, so a
    person-period key of (class, t) stays small enough for one ``bincount``.
    """
    cols = [is_int.astype(np.int64), bg_codes.astype(np.int64), prior.astype(np.int64), entry.astype(np.int64)]
    lo = [int(c.min(initial=0)) for c in cols]
    width = [int(c.max(initial=0)) - a + 1 for c, a in zip(cols, lo, strict=True)]
    combined = np.zeros(is_int.shape[0], dtype=np.int64)
    for c, a, w in zip(cols, lo, width, strict=True):  # four columns
        combined *= w
        combined += c - a
    uniq, inverse = np.unique(combined, return_inverse=True)
    classes = np.empty((uniq.shape[0], 4), dtype=np.int64)
    rest = uniq.copy()
    for j in range(3, -1, -1):  # four columns, decoded from the last
        classes[:, j] = rest % width[j] + lo[j]
        rest //= width[j]
    return classes, inverse.astype(np.int64)


def _summary_table(cohort: Cohort) -> pd.DataFrame:
    """The ``summary`` aggregate: every item of :data:`SUMMARY_ITEMS` per group."""
    case = str(cohort.case_id)
    counts = cohort.summary.loc[list(SUMMARY_ITEMS), list(GROUPS)].to_numpy()
    rows = []
    for i, item in enumerate(SUMMARY_ITEMS):
        for j, g in enumerate(GROUPS):
            rows.append({"case_id": case, "group": g, "item": item, "n": int(counts[i, j])})
    return pd.DataFrame(rows)


def week_factor_of(source_frequency: str) -> float:
    """Weeks per source period: 1 for weekly extracts, 52/12 for monthly ones (the refusion staircase's step)."""
    return 1.0 if source_frequency == "week" else 52.0 / 12.0


def _source(cohort: Cohort, source_frequency: str | None) -> str:
    """The cohort's declared source frequency; a given ``source_frequency`` must agree with it."""
    if source_frequency is not None and source_frequency != cohort.source_frequency:
        if source_frequency not in ("month", "week"):
            raise InputError(f"source_frequency must be 'month' or 'week'; got {source_frequency!r}.")
        raise InputError(
            f"source_frequency={source_frequency!r} disagrees with the cohort of case {cohort.case_id!r}, built "
            f"from {cohort.source_frequency}ly spells (Cohort.source_frequency); leave it out."
        )
    return cohort.source_frequency


def _weekly_units(cohort: Cohort, source_frequency: str | None) -> bool:
    return cohort.frequency == "month" and _source(cohort, source_frequency) == "week"


def case_statistics(cohort: Cohort, *, source_frequency: str | None = None) -> CaseStatistics:
    """The :class:`CaseStatistics` of one in-memory cohort (see :func:`cohort_aggregates`)."""
    agg = cohort_aggregates(cohort, source_frequency=source_frequency)
    src = _source(cohort, source_frequency)
    weekly = _weekly_units(cohort, source_frequency)
    return assemble(agg, weekly_units=weekly, week_factor=week_factor_of(src), normalised=True)[str(cohort.case_id)]


def as_statistics(source: CaseStatistics | Cohort) -> CaseStatistics:
    """``source`` itself when it is a :class:`CaseStatistics`, else :func:`case_statistics` of the cohort."""
    return source if isinstance(source, CaseStatistics) else case_statistics(source)
