"""Period labels <-> integer period numbers, vectorised.

Months are numbered ``year * 12 + month - 1`` and ISO weeks by the number of
weeks since the Monday 1970-01-05, so consecutive periods differ by exactly 1 and
durations are plain integer differences.

Labels: months ``YYYY-MM``; ISO weeks ``YYYY-Www`` (ISO year and week, as
``%G-W%V``); DREAM week columns ``y_YYWW`` (two-digit ISO year, 20YY).

Rule for rolling weeks up to months: an ISO week belongs to the calendar month
of its Thursday (the day that also decides its ISO year), so every week belongs
to exactly one month and a month has 4 or 5 weeks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from survival_invest.errors import InputError

__all__ = [
    "Frequency",
    "RunClock",
    "month_label",
    "parse_as_of",
    "parse_periods",
    "period_label",
    "week_label",
    "week_to_month",
    "weeks_in_month",
]

Frequency = Literal["month", "week"]

_EPOCH_MONDAY = np.datetime64("1970-01-05", "D")  # a Monday
_MONTH_RE = r"^\s*(\d{4})-(\d{1,2})\s*$"
_WEEK_RE = r"^\s*(\d{4})-W(\d{1,2})\s*$"


def _iso_week_monday(year: np.ndarray, week: np.ndarray) -> np.ndarray:
    """Monday of ISO week (year, week) as datetime64[D]; NaT-free for valid input."""
    # ISO week 1 contains January 4th; its Monday is Jan 4 minus its weekday.
    jan4 = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]") + 3
    weekday = (jan4 - _EPOCH_MONDAY).astype(np.int64) % 7  # 0 = Monday
    return jan4 - weekday + (week - 1) * 7


def _weeks_in_iso_year(year: np.ndarray) -> np.ndarray:
    """52 or 53: a year has week 53 iff Dec 28 falls in week 53."""
    monday_next = _iso_week_monday(year + 1, np.ones_like(year))
    monday_this = _iso_week_monday(year, np.ones_like(year))
    return ((monday_next - monday_this).astype(np.int64) // 7).astype(np.int64)


def parse_periods(
    labels: pd.Series, frequency: Frequency | Literal["auto"] = "auto"
) -> tuple[np.ndarray, Frequency, np.ndarray]:
    """Parse period labels into integer period numbers.

    Parameters
    ----------
    labels : Series of str
        ``YYYY-MM`` (months) or ``YYYY-Www`` (ISO weeks).
    frequency : {"auto", "month", "week"}
        ``auto`` decides from the first non-missing label.

    Returns
    -------
    (periods, frequency, bad)
        ``periods`` int64 (undefined where ``bad``), the frequency, and a boolean
        mask of labels that could not be parsed (wrong shape, month 13, week 54,
        week 53 in a 52-week year, missing). The caller reports ``bad`` rows.
    """
    if isinstance(labels.dtype, pd.CategoricalDtype):
        return _parse_categorical(labels, frequency)
    if len(labels) > 1000:
        # parse each distinct label once: a national file repeats a few hundred labels millions of times
        codes, uniq = pd.factorize(pd.Series(labels), use_na_sentinel=True)
        if 0 < len(uniq) < len(labels) // 2:  # factorize keeps first-seen order: "auto" sees the same first label
            periods, freq, bad = parse_periods(pd.Series(np.asarray(uniq, dtype=object)), frequency)
            ok = codes >= 0
            safe = np.where(ok, codes, 0)
            return np.where(ok, periods[safe], 0).astype(np.int64), freq, ~ok | bad[safe]
    s = labels.astype("string")
    if frequency == "auto":
        first = s.dropna()
        frequency = "week" if len(first) and "W" in str(first.iloc[0]).upper() else "month"
    if frequency == "month":
        parts = s.str.extract(_MONTH_RE)
        year = pd.to_numeric(parts[0], errors="coerce").to_numpy(dtype=float)
        month = pd.to_numeric(parts[1], errors="coerce").to_numpy(dtype=float)
        bad = np.isnan(year) | np.isnan(month) | (month < 1) | (month > 12)
        periods = np.where(bad, 0, np.nan_to_num(year) * 12 + np.nan_to_num(month) - 1).astype(np.int64)
        return periods, "month", bad
    parts = s.str.upper().str.extract(_WEEK_RE)
    year = pd.to_numeric(parts[0], errors="coerce").to_numpy(dtype=float)
    week = pd.to_numeric(parts[1], errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(year) | np.isnan(week)
    y = np.where(bad, 2000, np.nan_to_num(year)).astype(np.int64)
    w = np.where(bad, 1, np.nan_to_num(week)).astype(np.int64)
    bad |= (w < 1) | (w > _weeks_in_iso_year(y))
    monday = _iso_week_monday(y, np.where(bad, 1, w))
    periods = ((monday - _EPOCH_MONDAY).astype(np.int64) // 7).astype(np.int64)
    return periods, "week", bad


def _parse_categorical(
    labels: pd.Series, frequency: Frequency | Literal["auto"]
) -> tuple[np.ndarray, Frequency, np.ndarray]:
    """:func:`parse_periods` of a categorical column: its categories parsed once, the rows by their codes."""
    codes = labels.cat.codes.to_numpy()  # the smallest integer type: rows are looked up with it as it is
    cats = pd.Series(np.asarray(labels.cat.categories, dtype=object))
    ok = codes >= 0
    if frequency == "auto":  # the first non-missing label decides, as for any other column
        first = str(cats.iloc[codes[int(np.argmax(ok))]]) if ok.any() else ""
        frequency = "week" if "W" in first.upper() else "month"
    periods, freq, bad = (
        parse_periods(cats, frequency) if len(cats) else (np.zeros(1, np.int64), frequency, np.ones(1, bool))
    )
    if ok.all():  # fancy indexing by the small codes (``take`` would first copy them to int64 at 10^8 rows)
        rows_bad = bad[codes] if bad.any() else np.zeros(codes.shape[0], dtype=bool)
        return periods.astype(np.int64, copy=False)[codes], freq, rows_bad
    safe = np.where(ok, codes, 0)
    return np.where(ok, periods[safe], 0).astype(np.int64), freq, ~ok | bad[safe]


def month_label(period: np.ndarray | int) -> np.ndarray | str:
    """``YYYY-MM`` label(s) of month number(s)."""
    p = np.asarray(period, dtype=np.int64)
    out = np.char.add(np.char.add((p // 12).astype(str), "-"), np.char.zfill((p % 12 + 1).astype(str), 2))
    return str(out) if out.ndim == 0 else out


def week_label(period: np.ndarray | int) -> np.ndarray | str:
    """``YYYY-Www`` ISO label(s) of week number(s)."""
    p = np.asarray(period, dtype=np.int64)
    monday = _EPOCH_MONDAY + p * 7
    idx = pd.DatetimeIndex(np.atleast_1d(monday).astype("datetime64[ns]"))
    iso = idx.isocalendar()
    out = (iso["year"].astype(str) + "-W" + iso["week"].astype(str).str.zfill(2)).to_numpy(dtype=str)
    return str(out[0]) if p.ndim == 0 else out


def period_label(period: np.ndarray | int, frequency: Frequency) -> np.ndarray | str:
    """Label of period number(s) at the given frequency."""
    return month_label(period) if frequency == "month" else week_label(period)


def week_to_month(week: np.ndarray) -> np.ndarray:
    """Month number of each ISO week number: the month of the week's Thursday."""
    thursday = _EPOCH_MONDAY + np.asarray(week, dtype=np.int64) * 7 + 3
    ym = thursday.astype("datetime64[M]").astype(np.int64)  # months since 1970-01
    return ym + 1970 * 12


def weeks_in_month(month: np.ndarray) -> np.ndarray:
    """Number of ISO weeks whose Thursday lies in each month (4 or 5)."""
    m = np.asarray(month, dtype=np.int64) - 1970 * 12
    first = m.astype("datetime64[M]").astype("datetime64[D]")
    nxt = (m + 1).astype("datetime64[M]").astype("datetime64[D]")

    # Thursdays in [first, nxt): count days d with (d - epoch_monday) % 7 == 3
    def thursdays_before(day: np.ndarray) -> np.ndarray:
        k = (day - _EPOCH_MONDAY).astype(np.int64)
        return (k - 3 + 6) // 7  # number of Thursdays in [epoch, day) for day after epoch; offsets cancel

    return thursdays_before(nxt) - thursdays_before(first)


def parse_as_of(value: str | int, frequency: Frequency) -> int:
    """Parse a single ``YYYY-MM`` / ``YYYY-Www`` label (or pass an int through)."""
    if isinstance(value, (int, np.integer)):
        return int(value)
    if not isinstance(value, str):
        raise InputError(f"cannot read period {value!r}: expected a label like 2022-06")
    periods, freq, bad = parse_periods(pd.Series([value]), frequency)
    if bad[0]:
        expected = (
            "YYYY-MM with a month 01 to 12, e.g. 2022-06"
            if freq == "month"
            else "YYYY-Www with an ISO week 01 to 53, e.g. 2022-W23"
        )
        raise InputError(f"cannot read period {value!r}: expected {expected}")
    return int(periods[0])


@dataclass(frozen=True)
class RunClock:
    """The run's clock: the as-of period, the data lag and the cut-off, parsed once at the edge.

    The CLI or a library entry point (``run_monthly``, ``run_portfolio``,
    ``build_cohort``, ``validate``) makes one with :meth:`parse` and passes it
    down; nothing below re-parses the as-of label or recomputes the cut-off.

    Attributes
    ----------
    as_of : int
        The run's period number (months ``year * 12 + month - 1``, or ISO weeks).
    data_lag : int
        Periods between the last complete period of the extract and ``as_of``.
    frequency : {"month", "week"}
        The frequency of ``as_of`` (and of the analysis).
    """

    as_of: int
    data_lag: int
    frequency: Frequency = "month"

    @property
    def cutoff(self) -> int:
        """The data cut-off, the last complete period: ``as_of - data_lag`` (the one place it is computed)."""
        return self.as_of - self.data_lag

    @property
    def as_of_label(self) -> str:
        """``as_of`` as a label (``YYYY-MM`` or ``YYYY-Www``)."""
        return str(period_label(self.as_of, self.frequency))

    @property
    def cutoff_label(self) -> str:
        """The cut-off as a label."""
        return str(period_label(self.cutoff, self.frequency))

    def describe(self) -> str:
        """``"2022-04 (as-of 2022-06 minus a lag of 2)"``: the cut-off and how it was made, for messages."""
        return f"{self.cutoff_label} (as-of {self.as_of_label} minus a lag of {self.data_lag})"

    @classmethod
    def parse(cls, as_of: str | int | RunClock, data_lag: int, frequency: Frequency = "month") -> RunClock:
        """Parse the as-of label once (or pass a :class:`RunClock` through after checking it).

        Parameters
        ----------
        as_of : str, int or RunClock
            ``YYYY-MM`` / ``YYYY-Www``, a period number, or a clock made earlier.
        data_lag : int
            Whole periods >= 0; for a clock passed in it must equal the clock's.
        frequency : {"month", "week"}
            The analysis frequency; for a clock passed in it must equal the clock's.

        Returns
        -------
        RunClock

        Raises
        ------
        InputError
            (a ``ValueError``) An unreadable label, a negative or fractional lag, or a clock whose
            lag or frequency disagrees with the arguments.
        """
        if isinstance(data_lag, bool) or not isinstance(data_lag, (int, np.integer)) or data_lag < 0:
            raise InputError(f"data_lag must be a whole number of periods >= 0; got {data_lag!r}")
        if isinstance(as_of, RunClock):
            if as_of.frequency != frequency or as_of.data_lag != int(data_lag):
                raise InputError(
                    f"the run clock is by {as_of.frequency} with a lag of {as_of.data_lag}, "
                    f"but {frequency} with a lag of {int(data_lag)} was asked for"
                )
            return as_of
        return cls(parse_as_of(as_of, frequency), int(data_lag), frequency)
