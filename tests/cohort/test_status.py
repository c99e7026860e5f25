"""spell_status: classification of codes, the week -> month rules, censor codes (survival_invest.cohort.status)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import survival_invest as si
from survival_invest import CohortError, ExtractError
from survival_invest.cohort import spell_status
from survival_invest.cohort.status import WEEKS_PER_MONTH, unknown_codes_error
from survival_invest.io.periods import parse_as_of
from survival_invest.io.readers import default_classification, spells_from_frame

CLASSES = default_classification()
FEB = parse_as_of("2020-02", "month")


def weekly(rows: list[tuple[str, str, str]]) -> si.Spells:
    return spells_from_frame(pd.DataFrame(rows, columns=["person_id", "period", "benefit"]))


def month_of(st: si.Status, person: str, month: int) -> int:
    pos = st.persons.get_loc(person)
    hit = np.flatnonzero((st.person == pos) & (st.period == month))
    assert hit.size == 1
    return int(hit[0])


def test_feb_2020_has_four_weeks_by_thursday() -> None:
    # ISO weeks 6-9 of 2020 have their Thursday in February; week 5 (Thursday 30 January) is January's
    st = spell_status(weekly([("p", f"2020-W{w:02d}", "130") for w in range(5, 10)]), CLASSES, "month")
    assert st.period.tolist() == [FEB - 1, FEB]
    assert st.share is not None and st.share.tolist() == [pytest.approx(1 / 5), 1.0]


@pytest.mark.parametrize(
    ("weeks_on", "expected"),
    [
        (1, {"any": True, "majority": False, "all": False}),
        (2, {"any": True, "majority": True, "all": False}),  # majority: share >= 0.5
        (4, {"any": True, "majority": True, "all": True}),
    ],
)
def test_week_to_month_rules(weeks_on: int, expected: dict[str, bool]) -> None:
    codes = ["130"] * weeks_on + ["651"] * (4 - weeks_on)  # the rest of February self-supporting
    sp = weekly([("p", f"2020-W{w:02d}", c) for w, c in zip(range(6, 10), codes, strict=True)])
    for rule, on in expected.items():
        st = spell_status(sp, CLASSES, "month", rule)  # type: ignore[arg-type]  # rule is a parametrised str
        i = month_of(st, "p", FEB)
        assert bool(st.on[i]) is on, rule
        assert st.share_at(np.array([i]))[0] == pytest.approx(weeks_on / 4)
        assert st.weeks_at(np.array([i]))[0] == weeks_on


def test_month_code_is_the_first_support_week_code() -> None:
    sp = weekly([("p", "2020-W06", "651"), ("p", "2020-W07", "131"), ("p", "2020-W08", "130")])
    st = spell_status(sp, CLASSES, "month")
    assert st.codes[st.code[month_of(st, "p", FEB)]] == "131"
    off = spell_status(weekly([("q", "2020-W06", "652"), ("q", "2020-W07", "651")]), CLASSES, "month")
    assert off.codes[off.code[0]] == "652" and not off.on[0]  # no support week: the first week's code


def test_a_censor_week_makes_a_censor_month() -> None:
    sp = weekly([("p", "2020-W06", "130"), ("p", "2020-W07", "999"), ("p", "2020-W10", "130")])
    st = spell_status(sp, CLASSES, "month")
    assert st.censor.tolist() == [True, False]  # February (death in week 7), March
    weekly_st = spell_status(sp, CLASSES, "week")
    assert weekly_st.censor.tolist() == [False, True, False]
    assert weekly_st.share is None and weekly_st.support_weeks is None


def test_unknown_codes_are_an_error_naming_codes_and_row_counts() -> None:
    rows = [
        ("p", f"2020-W{w:02d}", c) for w, c in zip(range(1, 7), ["130", "X1", "X1", "X1", "X2", "130"], strict=True)
    ]
    with pytest.raises(ExtractError, match=r"column 'benefit': 2 codes not in .*: 'X1' \(3 rows\), 'X2' \(1 rows\);"):
        spell_status(weekly(rows), CLASSES, "week")
    with pytest.raises(ExtractError, match=r"1 code not in .*'X2' \(1 rows\); add them to the classification"):
        spell_status(weekly([("p", "2020-W01", "X2")]), CLASSES, "week")


def test_unknown_codes_error_lists_ten_and_counts_the_rest() -> None:
    bad = [(f"C{i}", i + 1) for i in range(12)]
    err = unknown_codes_error("spells.csv", CLASSES, bad)
    assert isinstance(err, ExtractError)
    text = str(err)
    assert text.startswith("spells.csv: column 'benefit': 12 codes not in survival_invest/data/dream_codes.csv")
    assert "'C11' (12 rows), 'C10' (11 rows)" in text  # most rows first
    assert "and 2 more codes" in text and "'C1' (" not in text


def test_codes_the_extract_does_not_use_are_not_an_error() -> None:
    frame = pd.DataFrame({"person_id": ["p"], "period": ["2020-W01"], "benefit": ["130"]})
    frame["benefit"] = pd.Categorical(frame["benefit"], categories=["130", "UNUSED"])
    st = spell_status(spells_from_frame(frame), CLASSES, "week")
    assert st.on.tolist() == [True]


def test_monthly_data_count_52_12_weeks_and_cannot_be_analysed_by_week() -> None:
    sp = spells_from_frame(
        pd.DataFrame({"person_id": "p", "period": ["2020-01", "2020-02"], "benefit": ["130", "651"]})
    )
    st = spell_status(sp, CLASSES, "month")
    assert st.weeks_at(np.array([0, 1])).tolist() == [WEEKS_PER_MONTH, 0.0]
    with pytest.raises(CohortError, match="memberships are weekly but the spells extract is monthly"):
        spell_status(sp, CLASSES, "week")


def test_unknown_month_rule_is_refused() -> None:
    with pytest.raises(CohortError, match=r"month_rule must be one of \['any', 'majority', 'all'\]; got 'most'"):
        spell_status(weekly([("p", "2020-W01", "130")]), CLASSES, "month", "most")  # type: ignore[arg-type]  # an unknown rule on purpose


def test_rows_are_sorted_by_person_and_period() -> None:
    sp = weekly(
        [("b", "2020-W03", "130"), ("a", "2020-W02", "130"), ("b", "2020-W01", "651"), ("a", "2020-W01", "130")]
    )
    st = spell_status(sp, CLASSES, "week")
    pairs = list(zip(st.persons[st.person].tolist(), st.period.tolist(), strict=True))
    assert pairs == sorted(pairs, key=lambda x: (st.persons.get_loc(x[0]), x[1]))
    assert len(set(st.persons)) == 2 and st.on.sum() == 3
