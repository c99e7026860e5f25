"""Period labels: months, ISO weeks, and the week -> month roll-up rule."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from survival_invest.io.periods import (
    month_label,
    parse_periods,
    week_label,
    week_to_month,
    weeks_in_month,
)


def test_months_parse_and_round_trip() -> None:
    p, freq, bad = parse_periods(pd.Series(["2020-01", "2020-12", "2021-1", "2020-13", "x", None]))
    assert freq == "month"
    assert bad.tolist() == [False, False, False, True, True, True]
    assert p[1] - p[0] == 11 and p[2] - p[1] == 1
    assert month_label(p[:3]).tolist() == ["2020-01", "2020-12", "2021-01"]


@settings(derandomize=True, max_examples=200)
@given(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2040, 12, 31)))
def test_iso_weeks_match_the_standard_library(day: dt.date) -> None:
    year, week, _ = day.isocalendar()
    p, freq, bad = parse_periods(pd.Series([f"{year}-W{week:02d}"]))
    assert freq == "week" and not bad[0]
    monday = day - dt.timedelta(days=day.weekday())
    assert int(p[0]) == (monday - dt.date(1970, 1, 5)).days // 7
    assert week_label(int(p[0])) == f"{year}-W{week:02d}"
    # the week's month is the month of its Thursday
    thursday = monday + dt.timedelta(days=3)
    assert month_label(int(week_to_month(p)[0])) == f"{thursday.year}-{thursday.month:02d}"


def test_week_53_only_in_long_years() -> None:
    _, _, bad = parse_periods(pd.Series(["2020-W53", "2021-W53", "2015-W53", "2019-W53", "2020-W00"]))
    assert bad.tolist() == [False, True, False, True, True]


def test_weeks_in_month_sum_to_weeks_in_year() -> None:
    for year, weeks in ((2019, 52), (2020, 53), (2021, 52)):
        months = np.arange(year * 12, year * 12 + 12)
        w = weeks_in_month(months)
        assert set(w.tolist()) <= {4, 5} and w.sum() == weeks
