"""Cohort construction: the duration clock, exits, censoring, comparison rules, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import survival_invest as si
from survival_invest import CohortError, ExtractError, build_cohort
from survival_invest.cohort import entry_dates
from survival_invest.io.periods import RunClock
from survival_invest.io.readers import memberships_from_frame, spells_from_frame
from survival_invest.synthetic import NORDDJURS_CASES, simulate_portfolio

DATA = Path(__file__).parents[2] / "data" / "synthetic"


def spells(rows: list[tuple[str, str, str]]) -> si.Spells:
    return spells_from_frame(pd.DataFrame(rows, columns=["person_id", "period", "benefit"]))


def members(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    return memberships_from_frame(pd.DataFrame(rows, columns=["person_id", "case_id", "group", "entry_period"]))


def months(person: str, first: str, codes: list[str]) -> list[tuple[str, str, str]]:
    start = pd.Period(first, "M")
    return [(person, str(start + i), c) for i, c in enumerate(codes) if c]


BASE_MEMBERS = [("i", "1", "intervention", "2020-01")]
I_ROWS = months("i", "2020-01", ["130", "130", "130", "130", "130", "130", "130", "130", "130", "130", "130", "130"])


def one(person_rows, *, k: int = 1, as_of: str = "2020-12", lag: int = 0, entry: str = "2020-01") -> pd.Series:
    c = build_cohort(
        spells(person_rows + I_ROWS),
        members([("p", "1", "target", entry), *BASE_MEMBERS]),
        case_id="1",
        as_of=as_of,
        data_lag=lag,
        durable_exit=k,
    )
    return c.persons.set_index("person_id").loc["p"]


def test_exit_is_first_period_off_support() -> None:
    p = one(months("p", "2020-01", ["130", "130", "130", "", "130"]))
    assert (p.duration, p.event, p.censor_reason) == (3, 1, "")


def test_benefit_switch_is_not_an_exit() -> None:
    p = one(months("p", "2020-01", ["130", "111", "131", "130", ""]))
    assert (p.duration, p.event) == (4, 1)


def test_self_support_code_counts_as_off_support() -> None:
    p = one(months("p", "2020-01", ["130", "130", "651", "130"]))
    assert (p.duration, p.event) == (2, 1)


def test_durable_exit_needs_k_periods_and_is_dated_at_the_first() -> None:
    rows = months("p", "2020-01", ["130", "130", "", "130", "", "", "", "130"])
    assert one(rows, k=1).duration == 2
    p = one(rows, k=3)
    assert (p.duration, p.event) == (4, 1)
    # not yet confirmed at the cut-off: censored at the last period on support
    p = one(months("p", "2020-01", ["130", "130", "130", "", ""]), k=3, as_of="2020-05")
    assert (p.duration, p.event, p.censor_reason) == (2, 0, "cut_off")


def test_cut_off_respects_the_data_lag() -> None:
    rows = months("p", "2020-01", ["130"] * 12)
    assert (one(rows, as_of="2020-10").duration, one(rows, as_of="2020-10").event) == (9, 0)
    p = one(rows, as_of="2020-12", lag=2)
    assert (p.duration, p.event, p.censor_reason, p.followed) == (9, 0, "cut_off", 10)
    # an exit after the cut-off is not seen
    p = one(months("p", "2020-01", ["130"] * 10), as_of="2020-12", lag=2)
    assert p.event == 0


def test_censor_code_ends_follow_up_the_period_before() -> None:
    p = one(months("p", "2020-01", ["130", "130", "130", "999"]))
    assert (p.duration, p.event, p.followed) == (2, 0, 3)
    assert p.censor_reason.startswith("code 999")


def test_censor_code_at_entry_is_excluded_and_counted() -> None:
    c = build_cohort(
        spells(months("p", "2020-01", ["999"]) + months("q", "2020-01", ["130", ""]) + I_ROWS),
        members([("p", "1", "target", "2020-01"), ("q", "1", "target", "2020-01"), *BASE_MEMBERS]),
        case_id="1",
        as_of="2020-12",
    )
    assert "p" not in set(c.persons.person_id)
    assert c.summary.loc["excluded_censored_at_entry", "comparison"] == 1


def test_prior_weeks_count_the_spell_before_entry_and_reset_after_a_year_off() -> None:
    rows = (
        months("p", "2018-01", ["130"] * 6) + months("p", "2019-10", ["130"] * 3) + months("p", "2020-01", ["130", ""])
    )
    p = one(rows)
    assert p.prior_weeks == pytest.approx(3 * 52 / 12)  # the 2018 spell is before a >= 12-month break
    rows = months("p", "2018-11", ["130"] * 2) + months("p", "2020-01", ["130", ""])
    assert one(rows).prior_weeks == 0.0  # 12 whole months off support before entry reset the count
    rows = months("p", "2018-12", ["130"] * 2) + months("p", "2020-01", ["130", ""])
    assert one(rows).prior_weeks == pytest.approx(2 * 52 / 12)  # 11 months off: no reset


def test_memberships_without_spells_are_counted_not_fatal() -> None:
    c = build_cohort(
        spells(months("q", "2020-01", ["130", ""]) + I_ROWS),
        members([("ghost", "1", "target", "2020-01"), ("q", "1", "target", "2020-01"), *BASE_MEMBERS]),
        case_id="1",
        as_of="2020-12",
    )
    assert c.summary.loc["excluded_no_spell_data", "comparison"] == 1
    assert c.summary.loc["persons", "comparison"] == 1


def test_comparison_rules() -> None:
    sp = spells(months("a", "2020-01", ["130", ""]) + months("b", "2020-02", ["130", "130", ""]) + I_ROWS)
    ms = members(
        [
            ("a", "1", "target", "2020-01"),
            ("b", "1", "target", "2020-02"),
            ("i", "1", "target", "2020-01"),
            *BASE_MEMBERS,
        ]
    )
    non = build_cohort(sp, ms, case_id="1", as_of="2020-12", comparison="non_participants")
    allt = build_cohort(sp, ms, case_id="1", as_of="2020-12", comparison="target_all")
    assert sorted(non.persons.query("group == 'comparison'").person_id) == ["a", "b"]
    assert sorted(allt.persons.query("group == 'comparison'").person_id) == ["a", "b", "i"]
    assert non.summary.loc["memberships_note_participants_left_out_of_comparison", "all"] == 1


def test_empty_group_and_unknown_case_are_fatal_and_named() -> None:
    sp = spells(months("a", "2020-01", ["130", ""]))
    with pytest.raises(CohortError, match=r"case '1': the intervention group is empty"):
        build_cohort(sp, members([("a", "1", "target", "2020-01")]), case_id="1", as_of="2020-12")
    with pytest.raises(CohortError, match=r"case '9': no memberships"):
        build_cohort(sp, members([("a", "1", "target", "2020-01")]), case_id="9", as_of="2020-12")


def test_unknown_codes_listed_with_row_counts() -> None:
    sp = spells(months("a", "2020-01", ["130", "XYZ", "XYZ", "42"]) + I_ROWS)
    with pytest.raises(ExtractError, match=r"column 'benefit': 2 codes not in .*'XYZ' \(2 rows\), '42' \(1 rows\)"):
        build_cohort(sp, members([("a", "1", "target", "2020-01"), *BASE_MEMBERS]), case_id="1", as_of="2020-12")


def test_entry_after_cut_off_names_the_rows() -> None:
    sp = spells(months("a", "2020-01", ["130", ""]) + I_ROWS)
    ms = members([("a", "1", "target", "2020-01"), ("b", "1", "target", "2020-12"), *BASE_MEMBERS])
    with pytest.raises(
        ExtractError,
        match=r"column 'entry_period', row 2 \(case '1'\): entry 2020-12 is after the data cut-off 2020-10",
    ):
        build_cohort(sp, ms, case_id="1", as_of="2020-12", data_lag=2)


def test_weekly_roll_up_rules() -> None:
    # person on support in weeks 1-2 of Feb 2020 only (Feb 2020 has 4 ISO weeks by Thursday)
    weeks = [f"2020-W{w:02d}" for w in range(1, 6)] + ["2020-W06", "2020-W07"]
    sp = spells_from_frame(pd.DataFrame({"person_id": "p", "period": weeks, "benefit": "130"}))
    sp_i = spells_from_frame(
        pd.DataFrame({"person_id": "i", "period": [f"2020-W{w:02d}" for w in range(1, 30)], "benefit": "130"})
    )
    both = si.Spells(pd.concat([sp.frame, sp_i.frame], ignore_index=True), "week", "w")
    ms = members([("p", "1", "target", "2020-01"), *BASE_MEMBERS])
    any_ = build_cohort(both, ms, case_id="1", as_of="2020-06").persons.set_index("person_id").loc["p"]
    maj = (
        build_cohort(both, ms, case_id="1", as_of="2020-06", month_rule="majority")
        .persons.set_index("person_id")
        .loc["p"]
    )
    all_ = (
        build_cohort(both, ms, case_id="1", as_of="2020-06", month_rule="all").persons.set_index("person_id").loc["p"]
    )
    assert (any_.duration, maj.duration, all_.duration) == (2, 2, 1)
    c = build_cohort(both, ms, case_id="1", as_of="2020-06")
    st = c.status[c.status.member == 0].set_index("t")["share"]
    assert st[0] == 1.0 and st[1] == pytest.approx(2 / 4)  # full-time share stays exact


def test_occupancy_counts_returns_to_support() -> None:
    rows = months("p", "2020-01", ["130", "", "130", "130"])
    c = build_cohort(
        spells(rows + I_ROWS), members([("p", "1", "target", "2020-01"), *BASE_MEMBERS]), case_id="1", as_of="2020-04"
    )
    occ = c.occupancy().query("group == 'comparison'").set_index("t")["share"]
    assert occ.tolist() == [1.0, 0.0, 1.0, 1.0]


def test_synthetic_portfolio_recovers_the_truth_and_forms_agree() -> None:
    spells_m = si.read_spells(DATA / "spells_monthly.csv")
    spells_w = si.read_spells(DATA / "dream_weekly.csv", format="dream_wide")
    ms = si.read_memberships(DATA / "memberships.csv")
    truth = pd.read_csv(DATA / "truth_curves.csv", dtype={"case_id": str})
    import json

    effects = pd.DataFrame(json.loads((DATA / "truth.json").read_text())["effects"]).astype({"case_id": str})
    inside, total = 0, 0
    for case in NORDDJURS_CASES:
        cm = build_cohort(spells_m, ms, case_id=case.case_id, as_of="2022-06", data_lag=2)
        cw = build_cohort(spells_w, ms, case_id=case.case_id, as_of="2022-06", data_lag=2)
        pd.testing.assert_frame_equal(
            cm.persons.drop(columns=["prior_weeks"]), cw.persons.drop(columns=["prior_weeks"])
        )
        curves = cm.curves()
        for g in ("comparison", "intervention"):
            tt = truth[(truth.case_id == case.case_id) & (truth.group == g) & (truth.t <= 24)]
            lo, up = curves[g].confidence_at(tt.t.to_numpy())
            inside += int(((lo <= tt.survival.to_numpy()) & (tt.survival.to_numpy() <= up)).sum())
            total += len(tt)
        a = curves.area_between("comparison", "intervention", 24).iloc[0]
        true_area = effects[(effects.case_id == case.case_id) & (effects.tau == 24)].area.iloc[0]
        assert a.lower <= true_area <= a.upper, (case.case_id, a, true_area)
        assert true_area == pytest.approx(case.area(24))
    assert inside / total >= 0.9


def test_different_seeds_still_cover() -> None:
    covered = 0
    for seed in range(10):
        sp, ms, truth = simulate_portfolio(NORDDJURS_CASES[:1], seed=seed)
        c = build_cohort(spells_from_frame(sp), memberships_from_frame(ms), case_id="1", as_of="2022-06", data_lag=2)
        a = c.curves().area_between("comparison", "intervention", 24).iloc[0]
        covered += a.lower <= truth.cases[0].area(24) <= a.upper
    assert covered >= 8  # 95 % intervals: 10 seeds, at least 8 cover (P(<8) ~ 1 %)


def test_cut_off_after_the_end_of_the_extract_is_an_error() -> None:
    sp = spells(months("a", "2020-01", ["130", "130", ""]) + I_ROWS)
    ms = members([("a", "1", "target", "2020-01"), *BASE_MEMBERS])
    with pytest.raises(
        ExtractError, match=r"the extract ends 2020-12 but the cut-off is 2021-01 \(as-of 2021-03 minus a lag of 2\)"
    ):
        build_cohort(sp, ms, case_id="1", as_of="2021-03", data_lag=2)


def test_cohort_renders_in_jupyter_without_person_ids() -> None:
    c = build_cohort(
        spells(months("secret-id", "2020-01", ["130", ""]) + I_ROWS),
        members([("secret-id", "1", "target", "2020-01"), *BASE_MEMBERS]),
        case_id="1",
        as_of="2020-12",
    )
    html = c._repr_html_()
    assert "Cohort of case 1" in html and "events" in html and "secret-id" not in html
    assert "secret-id" not in repr(c)


def test_person_table_gives_age_at_entry_and_sex_and_counts_the_absent() -> None:
    sp = spells(months("p", "2020-01", ["130", ""]) + months("q", "2020-03", ["130", ""]) + I_ROWS)
    ms = members([("p", "1", "target", "2020-01"), ("q", "1", "target", "2020-03"), *BASE_MEMBERS])
    c = build_cohort(sp, ms, case_id="1", as_of="2020-12")
    table = pd.DataFrame(
        {
            "person_id": ["p", "i", "other"],
            "birth_year": ["", "1990", "1970"],
            "birth_date": ["1980-01-01", "", ""],
            "sex": ["K", "M", "F"],
        }
    )
    with_p = c.with_persons(table)
    p = with_p.persons.set_index("person_id")
    assert p.loc["p", "age"] == pytest.approx(14610 / 365.25)  # 1980-01-01 to 2020-01-01: 14,610 days
    assert p.loc["i", "age"] == pytest.approx((pd.Timestamp("2020-01-01") - pd.Timestamp("1990-07-01")).days / 365.25)
    assert (p.loc["p", "sex"], p.loc["i", "sex"], p.loc["p", "age_band"], p.loc["i", "age_band"]) == (
        "female",
        "male",
        "35-44",
        "25-34",
    )
    assert np.isnan(p.loc["q", "age"]) and (p.loc["q", "sex"], p.loc["q", "age_band"]) == ("unknown", "unknown")
    s = with_p.summary
    assert (s.loc["person_table_missing", "comparison"], s.loc["person_table_missing", "intervention"]) == (1, 0)
    assert s.loc["person_table_birth_year_only", "intervention"] == 1
    assert len(with_p.persons) == len(c.persons)  # nobody dropped
    again = with_p.with_persons(table)  # attaching twice replaces, does not duplicate
    assert list(again.persons.columns) == list(with_p.persons.columns) and again.summary.index.is_unique
    with pytest.raises(
        CohortError, match=r"case '1': 1 of 3 persons of the cohort are not in .*\(1 comparison, 0 intervention\)"
    ):
        c.with_persons(table, missing="error")
    assert "q" not in with_p._repr_html_()


def test_age_at_entry_of_weekly_cohorts_uses_the_monday() -> None:
    assert str(entry_dates(np.array([24240]), "month")[0]) == "2020-01-01"
    monday = entry_dates(np.array([2600]), "week")[0]
    assert pd.Timestamp(monday).dayofweek == 0


def test_build_cohort_takes_a_run_clock_and_keeps_it() -> None:
    sp = spells(months("p", "2020-01", ["130", "130", ""]) + I_ROWS)
    ms = members([("p", "1", "target", "2020-01"), *BASE_MEMBERS])
    by_label = build_cohort(sp, ms, case_id="1", as_of="2020-12", data_lag=2)
    clock = RunClock.parse("2020-12", 2, "month")
    by_clock = build_cohort(sp, ms, case_id="1", as_of=clock)  # the clock's lag
    assert (by_clock.cutoff, by_clock.as_of, by_clock.data_lag) == (by_label.cutoff, by_label.as_of, 2)
    assert by_clock.clock == by_label.clock == clock and by_clock.clock.cutoff == by_clock.cutoff
    assert by_clock.cutoff_label == "2020-10"
    pd.testing.assert_frame_equal(by_clock.persons, by_label.persons)
    with pytest.raises(
        CohortError, match=r"as_of: the run clock is by month with a lag of 2, but month with a lag of 1"
    ):
        build_cohort(sp, ms, case_id="1", as_of=clock, data_lag=1)
    with pytest.raises(CohortError, match=r"as_of: cannot read period '2020-13'"):
        build_cohort(sp, ms, case_id="1", as_of="2020-13")
    with pytest.raises(CohortError, match=r"data_lag must be a whole number of periods >= 0; got -1"):
        build_cohort(sp, ms, case_id="1", as_of="2020-12", data_lag=-1)
