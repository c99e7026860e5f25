"""The shared cohort rules: comparison rows, the prior-duration clock and the cut-off refusals."""

from __future__ import annotations

import pandas as pd
import pytest

from survival_invest import CohortError, ExtractError
from survival_invest.cohort import (
    case_members,
    comparison_rows,
    lookback_reset,
    refuse_late_entries,
    refuse_short_extract,
)
from survival_invest.io.ids import person_keys
from survival_invest.io.periods import RunClock, parse_as_of
from survival_invest.io.readers import memberships_from_frame

ROWS = [
    ("a", "1", "target", "2020-01"),
    ("b", "1", "target", "2020-02"),
    ("c", "1", "target", "2020-03"),
    ("b", "1", "intervention", "2020-04"),
    ("d", "1", "intervention", "2020-05"),
    ("e", "2", "target", "2020-01"),
]


def members_table(rows: list[tuple[str, str, str, str]] = ROWS) -> pd.DataFrame:
    return memberships_from_frame(pd.DataFrame(rows, columns=["person_id", "case_id", "group", "entry_period"]))


def test_lookback_reset_is_three_years_back_and_a_52_week_break() -> None:
    assert lookback_reset("month") == (36, 12)
    assert lookback_reset("week") == (156, 52)


@pytest.mark.parametrize(
    ("comparison", "comp", "note"),
    [
        ("non_participants", [0, 2], {"participants_left_out_of_comparison": 1}),
        ("target_all", [0, 1, 2, 4], {"participants_added_to_comparison_at_intervention_entry": 1}),
        ("matched", [0, 1, 2], {}),
    ],
)
def test_comparison_rows(comparison: str, comp: list[int], note: dict[str, int]) -> None:
    m = members_table()
    c, i, notes = comparison_rows(m, "1", comparison)
    assert c.tolist() == comp and i.tolist() == [3, 4]
    assert notes == {"target_rows_of_participants": 1, **note}
    (keys,) = person_keys(m["person_id"])  # the keys of all rows, computed once for several cases
    c2, i2, notes2 = comparison_rows(m, "1", comparison, keys)  # precomputed keys: the same rows
    assert (c2.tolist(), i2.tolist(), notes2) == (comp, [3, 4], notes)


def test_comparison_rows_refuses_unknown_rules_cases_and_empty_groups() -> None:
    m = members_table()
    with pytest.raises(
        CohortError, match=r"comparison must be one of \['non_participants', 'target_all', 'matched', 'adjusted'\]"
    ):
        comparison_rows(m, "1", "everyone")
    with pytest.raises(CohortError, match=r"case '7': no memberships in .*cases present: \['1', '2'\]"):
        comparison_rows(m, "7", "non_participants")
    with pytest.raises(CohortError, match=r"case '2': the intervention group is empty"):
        comparison_rows(m, "2", "non_participants")
    only_participants = members_table([("a", "1", "target", "2020-01"), ("a", "1", "intervention", "2020-02")])
    with pytest.raises(CohortError, match=r"the comparison group is empty \(comparison rule 'non_participants'\)"):
        comparison_rows(only_participants, "1", "non_participants")
    no_pool = members_table([("a", "1", "intervention", "2020-02")])
    with pytest.raises(CohortError, match=r"the target group \(the pool of matched controls\) is empty"):
        comparison_rows(no_pool, "1", "matched")


def test_case_members_lists_comparison_then_intervention() -> None:
    out, notes = case_members(members_table(), "1", "target_all")
    assert out.columns.tolist() == ["person_id", "group", "entry_period", "row"]
    assert out["person_id"].tolist() == ["a", "b", "c", "d", "b", "d"]
    assert out["group"].tolist() == ["comparison"] * 4 + ["intervention"] * 2
    assert out["row"].tolist() == [1, 2, 3, 5, 4, 5]
    assert notes["participants_added_to_comparison_at_intervention_entry"] == 1


def test_refuse_late_entries_names_rows_and_the_cut_off() -> None:
    m = members_table()
    out, _ = case_members(m, "1", "non_participants")
    clock = RunClock(parse_as_of("2020-05", "month"), 1, "month")  # cut-off 2020-04: d (row 5) is late
    with pytest.raises(
        ExtractError,
        match=r"column 'entry_period', row 5 \(case '1'\): entry 2020-05 is after the data cut-off "
        r"2020-04 \(as-of 2020-05 minus a lag of 1\); remove those rows",
    ):
        refuse_late_entries(out, m, "1", clock)
    refuse_late_entries(out, m, "1", RunClock(clock.as_of, 0, "month"))  # an entry at the cut-off is fine


def test_refuse_short_extract_when_the_extract_ends_before_the_cut_off() -> None:
    clock = RunClock.parse("2021-03", 2, "month")
    last = parse_as_of("2020-12", "month")
    with pytest.raises(
        ExtractError,
        match=r"^spells.csv: column 'period': the extract ends 2020-12 but the cut-off is 2021-01 "
        r"\(as-of 2021-03 minus a lag of 2\); the missing newest periods would look like exits",
    ):
        refuse_short_extract("spells.csv", last, clock)
    refuse_short_extract("spells.csv", last, RunClock.parse("2021-03", 3, "month"))
    weekly = RunClock.parse("2021-W10", 0, "week")
    with pytest.raises(ExtractError, match=r"ends 2021-W09 but the cut-off is 2021-W10"):
        refuse_short_extract("w", weekly.cutoff - 1, weekly)


def test_the_adjusted_comparison_takes_the_non_participants() -> None:
    m = members_table()
    comp, inter, _ = comparison_rows(m, "1", "adjusted")
    plain_comp, plain_inter, _ = comparison_rows(m, "1", "non_participants")
    assert comp.tolist() == plain_comp.tolist() and inter.tolist() == plain_inter.tolist()
    assert comp.size > 0
