"""Sequential matching: who may be a control, when their clock starts, how controls are dealt, what is counted."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import survival_invest as si
from survival_invest import CohortError, build_cohort
from survival_invest.cohort.matching import Matching, band_labels, deal_controls, match_weights, prior_band
from survival_invest.io.readers import memberships_from_frame, spells_from_frame

DATA = Path(__file__).parents[2] / "data" / "synthetic"


def months(person: str, first: str, codes: list[str]) -> list[tuple[str, str, str]]:
    start = pd.Period(first, "M")
    return [(person, str(start + i), c) for i, c in enumerate(codes) if c]


def case() -> tuple[si.Spells, pd.DataFrame]:
    """Participants i1 (2020-03), i2 (2020-05), e (2020-06) and i3 (2020-03, a benefit nobody else has).

    Comparison candidates: a (on support 2019-12 .. 2020-08), b (the same on
    uddannelseshjaelp), c (target only from 2020-04), d (off support in
    2020-03), f (on support since 2018: another prior band), and e before its
    own start.
    """
    rows = (
        months("i1", "2019-12", ["130"] * 13)
        + months("i2", "2020-01", ["130"] * 12)
        + months("i3", "2019-12", ["151"] * 13)
        + months("a", "2019-12", ["130"] * 9)
        + months("b", "2019-12", ["140"] * 13)
        + months("c", "2019-12", ["130"] * 13)
        + months(
            "d", "2019-12", ["130", "130", "130", "", "130", "130", "130", "130", "130", "130", "130", "130", "130"]
        )
        + months("e", "2019-12", ["130"] * 13)
        + months("f", "2018-01", ["130"] * 36)
    )
    target = [(p, "1", "target", "2020-01") for p in ("i1", "i2", "i3", "a", "b", "d", "e", "f")] + [
        ("c", "1", "target", "2020-04")
    ]
    inter = [
        ("i1", "1", "intervention", "2020-03"),
        ("i2", "1", "intervention", "2020-05"),
        ("i3", "1", "intervention", "2020-03"),
        ("e", "1", "intervention", "2020-06"),
    ]
    sp = spells_from_frame(pd.DataFrame(rows, columns=["person_id", "period", "benefit"]))
    ms = memberships_from_frame(pd.DataFrame(target + inter, columns=["person_id", "case_id", "group", "entry_period"]))
    return sp, ms


def matched(seed: int = 0, ratio: int = 2) -> si.Cohort:
    sp, ms = case()
    return build_cohort(
        sp, ms, case_id="1", as_of="2020-12", comparison="matched", matching=Matching(ratio=ratio, seed=seed)
    )


def controls_of(c: si.Cohort, participant: str) -> list[tuple[str, str]]:
    p = c.persons
    s = p.loc[(p.group == "intervention") & (p.person_id == participant), "matched_set"].iloc[0]
    rows = p[(p.group == "comparison") & (p.matched_set == s)]
    return sorted(zip(rows.person_id, rows.entry_period, strict=True))


def test_eligible_controls_have_the_participants_month_benefit_group_and_band() -> None:
    c = matched()
    assert controls_of(c, "i1") == [
        ("a", "2020-03"),
        ("e", "2020-03"),
    ]  # b: other benefit, c: not yet target, d: off, f: band
    assert controls_of(c, "e") == [("a", "2020-06"), ("c", "2020-06")]  # d has 5 months of prior support, e 6
    i2 = controls_of(c, "i2")
    assert len(i2) == 2 and {p for p, _ in i2} <= {"a", "c", "d", "e"} and {m for _, m in i2} == {"2020-05"}
    p = c.persons
    for _, rows in p.groupby("matched_set"):  # a set shares entry month, benefit group and prior band
        assert rows[["entry_period", "benefit_group", "prior_band"]].nunique().max() == 1
    assert set(p.loc[p.group == "intervention", "person_id"]) == {"i1", "i2", "e"}


def test_control_clock_starts_at_the_participants_entry_and_later_participants_are_censored() -> None:
    c = matched()
    p = c.persons.set_index(["group", "person_id", "entry_period"])
    a = p.loc[("comparison", "a", "2020-03")]
    assert (a.duration, a.event, a.followed) == (6, 1, 10)  # off support from 2020-09: t = 6 on the 2020-03 clock
    e = p.loc[("comparison", "e", "2020-03")]
    assert (e.duration, e.event, e.followed, e.censor_reason) == (2, 0, 3, "participation_start")
    e_part = p.loc[("intervention", "e", "2020-06")]
    assert (e_part.duration, e_part.event, e_part.censor_reason) == (6, 0, "cut_off")
    assert a.prior_weeks == pytest.approx(3 * 52 / 12) and a.prior_band == "13-25"
    n_part_start = int((c.persons.censor_reason == "participation_start").sum())
    assert c.summary.loc["censored_participation_start", "comparison"] == n_part_start >= 1
    s = c.summary
    assert (
        s.loc["censored_cut_off", "comparison"]
        + s.loc["censored_code", "comparison"]
        + n_part_start
        + s.loc["events", "comparison"]
        == s.loc["persons", "comparison"]
    )


def test_unmatched_participants_and_the_matching_are_counted() -> None:
    c = matched()
    s = c.summary
    assert s.loc["memberships", "intervention"] == 4 and s.loc["persons", "intervention"] == 3
    assert s.loc["excluded_no_match", "intervention"] == 1  # i3: nobody else is on benefit 151
    assert s.loc["matching_participants_with_0_controls", "intervention"] == 1
    assert s.loc["matching_participants_with_2_controls", "intervention"] == 3
    assert s.loc["matching_participants_matched", "intervention"] == 3
    assert s.loc["matching_controls", "comparison"] == s.loc["persons", "comparison"] == 6
    # eligible (person, month) pairs: 2020-03: i2 a b e f; 2020-05: a b c d e f; 2020-06: a b c d f
    assert s.loc["matching_candidate_pairs", "comparison"] == 16
    assert s.loc["matching_controls_later_participants", "comparison"] >= 1  # e before its own start
    assert s.loc["matching_control_persons", "comparison"] < s.loc["matching_controls", "comparison"]  # a twice
    ids = {"i1", "i2", "i3", "a", "b", "c", "d", "e", "f"}
    assert not ids & set(s.index) and "i3" not in c._repr_html_()
    assert "matched (1:2, prior bands 0-12, 13-25, 26-51, 52-103, 104+ weeks, seed 0)" in c._repr_html_()


def test_seeded_and_reproducible() -> None:
    base = matched(seed=0)
    pd.testing.assert_frame_equal(base.persons, matched(seed=0).persons)
    draws = {tuple(controls_of(matched(seed=s), "i2")) for s in range(12)}
    assert len(draws) > 1  # the seed decides which 2 of the 4 eligible persons i2 gets
    one = matched(ratio=1)
    assert one.summary.loc["matching_participants_with_1_controls", "intervention"] == 3


def test_dealing_is_without_replacement_and_even() -> None:
    # stratum 0: 3 participants, 4 candidates; stratum 1: 1 participant, 10 candidates; stratum 2: no candidates
    p = np.array([0, 0, 0, 1, 2])
    c = np.array([0] * 4 + [1] * 10)
    cand, who, n = deal_controls(p, c, ratio=2, seed=5)
    assert np.unique(cand).size == cand.size  # a candidate is used once
    assert sorted(n[:3].tolist()) == [1, 1, 2] and n[3] == 2 and n[4] == 0
    assert (p[who] == c[cand]).all()
    again = deal_controls(p, c, ratio=2, seed=5)
    assert all((x == y).all() for x, y in zip((cand, who, n), again, strict=True))


def test_prior_bands() -> None:
    weeks = np.array([0.0, 12.99, 3 * 52 / 12, 25.9, 6 * 52 / 12, 103.9, 24 * 52 / 12, 500.0])
    assert prior_band(weeks).tolist() == [0, 0, 1, 1, 2, 3, 4, 4]  # sums of 52/12 land in the band of their whole weeks
    assert band_labels((13, 26, 52, 104)) == ["0-12", "13-25", "26-51", "52-103", "104+"]
    assert prior_band(np.array([5.0, 10.0]), (8,)).tolist() == [0, 1]


def test_settings_are_validated() -> None:
    sp, ms = case()
    with pytest.raises(CohortError, match="ratio must be a whole number of controls per participant >= 1; got 0"):
        Matching(ratio=0)
    with pytest.raises(CohortError, match=r"prior_bands must be increasing whole numbers of weeks.*got \(26, 13\)"):
        Matching(prior_bands=(26, 13))
    with pytest.raises(CohortError, match="matching settings are only used with comparison='matched'"):
        build_cohort(sp, ms, case_id="1", as_of="2020-12", matching=Matching())
    with pytest.raises(
        CohortError, match=r"comparison must be one of \['non_participants', 'target_all', 'matched', 'adjusted'\]"
    ):
        build_cohort(sp, ms, case_id="1", as_of="2020-12", comparison="match")  # type: ignore[arg-type]  # a misspelt rule on purpose


def test_match_weights_give_each_set_equal_weight() -> None:
    c = matched(ratio=3)  # i1 has 2 eligible controls, e 2, i2 3 of 4
    w = match_weights(c.persons)
    p = c.persons.assign(w=w)
    per_set = p[p.group == "comparison"].groupby("matched_set")["w"].sum()
    assert np.allclose(per_set, 1.0) and (p.loc[p.group == "intervention", "w"] == 1).all()
    with pytest.raises(CohortError, match="comparison='matched'"):
        match_weights(c.persons.drop(columns="matched_set"))


def test_matched_cohort_works_with_the_rest_of_the_engine() -> None:
    spells = si.read_spells(DATA / "spells_monthly.csv")
    ms = si.read_memberships(DATA / "memberships.csv")
    c = build_cohort(spells, ms, case_id="3", as_of="2022-06", data_lag=2, comparison="matched")
    assert (
        c.summary.loc["matching_participants_matched", "intervention"] == c.summary.loc["persons", "intervention"] > 150
    )
    assert set(c.persons.columns) >= {
        "person_id",
        "group",
        "entry",
        "duration",
        "event",
        "followed",
        "prior_weeks",
        "benefit_group",
    }
    area = c.curves().area_between("comparison", "intervention", 24).iloc[0]
    assert np.isfinite(area.value) and area.se > 0
    occ = c.occupancy()
    assert set(occ.group) == {"comparison", "intervention"} and occ.share.between(0, 1).all()
    # the comparison rows of one person are independent rows with their own clock: status indexes persons rows
    assert c.status["member"].max() < len(c.persons)


def test_no_match_at_all_is_an_error_that_says_what_to_do() -> None:
    rows = months("i", "2019-12", ["151"] * 13) + months("a", "2019-12", ["130"] * 13)
    sp = spells_from_frame(pd.DataFrame(rows, columns=["person_id", "period", "benefit"]))
    ms = memberships_from_frame(
        pd.DataFrame(
            [("i", "1", "target", "2020-01"), ("a", "1", "target", "2020-01"), ("i", "1", "intervention", "2020-03")],
            columns=["person_id", "case_id", "group", "entry_period"],
        )
    )
    with pytest.raises(
        CohortError, match=r"case '1': none of the 1 participants found a control .*1 eligible .*wider prior_bands"
    ):
        build_cohort(sp, ms, case_id="1", as_of="2020-12", comparison="matched")
