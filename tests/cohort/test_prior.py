"""Weekly DREAM analysed by month (issue 19): what the month rule decides, and prior support counted in weeks.

Small hand-made weekly extracts pin each rule of :mod:`survival_invest.cohort.status`
and :mod:`survival_invest.cohort.prior`: a week spanning two months, ISO week 53,
a month with one support week, a censor week inside a support month, and
blank, SU and fleksjob weeks in the 52-week reset of the refusion count.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import survival_invest as si
from survival_invest import build_cohort
from survival_invest.cohort import spell_status
from survival_invest.cohort.status import first_week_of_month
from survival_invest.io.periods import parse_as_of, week_label, week_to_month, weeks_in_month
from survival_invest.io.readers import default_classification, memberships_from_frame, spells_from_frame

CLASSES = default_classification()
ENTRY = "2021-01"
W0 = int(first_week_of_month(np.array([parse_as_of(ENTRY, "month")]))[0])  # 2021-W01, Monday 4 January


def rows_at(person: str, offsets: range | list[int], code: str) -> list[tuple[str, str, str]]:
    """Weekly rows of ``person`` at weeks ``W0 + offset``."""
    return [(person, str(week_label(W0 + o)), code) for o in offsets]


#: The participant: on support from a year before entry to the cut-off (every case needs one).
PARTICIPANT = rows_at("i", range(-52, 30), "130")


def cohort(rows: list[tuple[str, str, str]], *, rule: str = "any", classification=None, as_of: str = "2021-06"):
    sp = spells_from_frame(pd.DataFrame(rows + PARTICIPANT, columns=["person_id", "period", "benefit"]))
    persons = sorted({r[0] for r in rows})
    ms = memberships_from_frame(
        pd.DataFrame(
            [(p, "1", "target", ENTRY) for p in persons] + [("i", "1", "intervention", ENTRY)],
            columns=["person_id", "case_id", "group", "entry_period"],
        )
    )
    return build_cohort(sp, ms, case_id="1", as_of=as_of, month_rule=rule, classification=classification)  # type: ignore[arg-type]  # rule is a test parameter


def person(c: si.Cohort, pid: str) -> pd.Series:
    return c.persons.set_index("person_id").loc[pid]


def test_first_week_of_month_and_iso_week_53() -> None:
    dec, jan = parse_as_of("2020-12", "month"), parse_as_of("2021-01", "month")
    w53 = parse_as_of("2020-W53", "week")
    assert week_to_month(np.array([w53]))[0] == dec  # Thursday 31 December 2020
    assert first_week_of_month(np.array([jan]))[0] == w53 + 1 == W0
    assert weeks_in_month(np.array([dec]))[0] == 5  # weeks 49-53
    assert first_week_of_month(np.array([dec]))[0] == w53 - 4
    # every month: its weeks are first_week .. first_week of the next month - 1
    months = np.arange(2015 * 12, 2030 * 12)
    np.testing.assert_array_equal(
        np.diff(first_week_of_month(np.append(months, months[-1] + 1))), weeks_in_month(months)
    )


def test_iso_week_53_rolls_into_december_and_counts_as_prior_support() -> None:
    st = spell_status(
        spells_from_frame(pd.DataFrame({"person_id": "p", "period": ["2020-W53"], "benefit": "130"})), CLASSES, "month"
    )
    assert st.period.tolist() == [parse_as_of("2020-12", "month")] and st.share is not None
    assert st.share.tolist() == [pytest.approx(1 / 5)]
    # week 53 is the last week before the entry month January 2021: one prior week
    c = cohort(rows_at("p", [-1], "130") + rows_at("p", range(30), "130"))
    assert person(c, "p").prior_weeks == 1.0


def test_a_week_spanning_two_months_belongs_to_its_thursdays_month() -> None:
    # 2021-W13 runs Monday 29 March - Sunday 4 April: its Thursday (1 April) makes it April's
    april = parse_as_of("2021-04", "month")
    w13 = parse_as_of("2021-W13", "week")
    assert week_to_month(np.array([w13]))[0] == april
    sp = spells_from_frame(pd.DataFrame({"person_id": "p", "period": ["2021-W12", "2021-W13"], "benefit": "130"}))
    st = spell_status(sp, CLASSES, "month", "all")
    assert st.period.tolist() == [april - 1, april]
    assert st.share is not None and st.share.tolist() == [pytest.approx(1 / 4), pytest.approx(1 / 5)]
    assert st.on.tolist() == [False, False]  # neither month wholly on support


@pytest.mark.parametrize(("rule", "duration"), [("any", 2), ("majority", 0), ("all", 0)])
def test_a_month_with_one_support_week(rule: str, duration: int) -> None:
    # January 2021: one support week (code 131), then February whole, then nothing
    feb = int(first_week_of_month(np.array([parse_as_of("2021-02", "month")]))[0]) - W0
    mar = int(first_week_of_month(np.array([parse_as_of("2021-03", "month")]))[0]) - W0
    rows = rows_at("p", [1], "131") + rows_at("p", range(feb, mar), "130")
    c = cohort(rows, rule=rule)
    p = person(c, "p")
    # the rule decides the exit clock only ...
    assert (p.duration, p.event) == (duration, 1)
    # ... the occupancy share is weeks on support / weeks in the month under every rule
    member = int(np.flatnonzero(c.persons["person_id"] == "p")[0])
    shares = c.status[c.status["member"] == member].set_index("t")["share"]
    assert shares.to_dict() == {0: pytest.approx(1 / 4), 1: 1.0}
    occ = c.occupancy().query("group == 'comparison'").set_index("t")["share"]
    assert occ[0] == pytest.approx(1 / 4)
    # ... and the benefit at entry is that one week's code
    assert (p.benefit, p.benefit_group) == ("131", "kontanthjaelp")


def test_a_censor_week_inside_a_support_month() -> None:
    # January on support; in February two support weeks, then death (999) in its third week
    feb = int(first_week_of_month(np.array([parse_as_of("2021-02", "month")]))[0]) - W0
    rows = rows_at("p", range(feb + 2), "130") + rows_at("p", [feb + 2], "999")
    for rule in ("any", "majority", "all"):
        c = cohort(rows, rule=rule)
        p = person(c, "p")
        assert (p.event, p.duration, p.followed) == (0, 0, 1), rule  # follow-up ends before the censor month
        assert p.censor_reason == "code 999: Død", rule  # the censor week's code, not the month's support code
    st = spell_status(
        spells_from_frame(pd.DataFrame(rows, columns=["person_id", "period", "benefit"])), CLASSES, "month"
    )
    assert st.censor.tolist() == [False, True] and st.on.tolist() == [True, True]
    assert st.codes[st.code[1]] == "130" and st.codes[st.censor_code_at(np.array([1]))[0]] == "999"


def _gap(person: str, length: int, codes: tuple[str, ...] = ("", "651", "771")) -> list[tuple[str, str, str]]:
    """``length`` weeks off support ending just before the last 5 prior weeks, cycling through ``codes``."""
    start = -5 - length
    return [
        (person, str(week_label(W0 + start + i)), codes[i % len(codes)]) for i in range(length) if codes[i % len(codes)]
    ]


def _prior_person(person: str, gap: int, codes: tuple[str, ...] = ("", "651", "771")) -> list[tuple[str, str, str]]:
    """10 support weeks, a gap of ``gap`` weeks without support, 5 support weeks, entry, then on support."""
    first = -5 - gap - 10
    return (
        rows_at(person, range(first, first + 10), "130")
        + _gap(person, gap, codes)
        + rows_at(person, range(-5, 0), "130")
        + rows_at(person, range(26), "130")
    )


def test_the_refusion_count_restarts_after_52_whole_weeks_of_blank_su_and_fleksjob() -> None:
    rows = (
        _prior_person("reset", 52)  # 52 weeks of blank, SU and fleksjob: a break, only the last 5 weeks count
        + _prior_person("blank", 52, ("",))
        + _prior_person("su", 52, ("651", "652", "661"))
        + _prior_person("flex", 52, ("771",))
        + _prior_person("short", 51)  # 51 weeks: no break, all 15 count
    )
    c = cohort(rows)
    prior = c.persons.set_index("person_id")["prior_weeks"]
    assert prior[["reset", "blank", "su", "flex"]].tolist() == [5.0, 5.0, 5.0, 5.0]
    assert prior["short"] == 15.0
    # the month rule does not touch the count
    for rule in ("majority", "all"):
        assert cohort(rows, rule=rule).persons.set_index("person_id")["prior_weeks"].equals(prior)


def test_fleksjob_counted_as_support_breaks_the_reset() -> None:
    flex_support = CLASSES.copy()
    flex_support.loc[flex_support["code"] == "771", "class"] = "support"
    flex_support.attrs = CLASSES.attrs
    rows = _prior_person("mixed", 52) + _prior_person("flex", 52, ("771",))
    prior = cohort(rows, classification=flex_support).persons.set_index("person_id")["prior_weeks"]
    # the 17 (of 52) fleksjob weeks of "mixed" now count and no run of 52 weeks is without support
    assert prior["mixed"] == 10 + 5 + len([i for i in range(52) if i % 3 == 2])
    assert prior["flex"] == 10 + 52 + 5


def test_the_look_back_is_156_weeks_and_a_break_just_before_entry_resets() -> None:
    rows = (
        rows_at("long", range(-200, 26), "130")  # on support for years: only the 156 weeks of the look-back count
        + rows_at("gone", range(-120, -52), "130")  # then 52 weeks off just before entry: 0
        + rows_at("gone", range(26), "130")
        + rows_at("almost", range(-120, -51), "130")  # 51 weeks off before entry: 69 weeks count
        + rows_at("almost", range(26), "130")
    )
    prior = cohort(rows).persons.set_index("person_id")["prior_weeks"]
    assert prior.to_dict() == {"long": 156.0, "gone": 0.0, "almost": 69.0, "i": 52.0}
