"""Destinations at exit: blank -> job, SU -> education, fleksjob -> flex job, other self-support -> other."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from survival_invest import ExtractError, build_cohort
from survival_invest.cohort.destinations import find_rows
from survival_invest.io.classification import classification_from_frame, default_classification
from survival_invest.io.readers import memberships_from_frame, spells_from_frame


def _months(person: str, codes: list[str], first: str = "2020-01") -> list[tuple[str, str, str]]:
    start = pd.Period(first, "M")
    return [(person, str(start + i), c) for i, c in enumerate(codes) if c]


def _cohort(rows: list[tuple[str, str, str]], people: list[str], **kw: object) -> pd.DataFrame:
    spells = spells_from_frame(pd.DataFrame(rows, columns=["person_id", "period", "benefit"]))
    mem = memberships_from_frame(
        pd.DataFrame(
            [(p, "1", "target", "2020-01") for p in people] + [("i", "1", "intervention", "2020-01")],
            columns=["person_id", "case_id", "group", "entry_period"],
        )
    )
    c = build_cohort(spells, mem, case_id="1", as_of="2020-12", **kw)  # type: ignore[arg-type]
    return c.persons[c.persons["group"] == "comparison"].set_index("person_id")


ROWS = (
    _months("job", ["130", "130", "", "", "130"])
    + _months("su", ["130", "651", "651"])
    + _months("flex", ["130", "130", "130", "771"])
    + _months("oth", ["130", "114", "114", "114"])
    + _months("cens", ["130"] * 4 + ["999"])
    + _months("i", ["130"] * 12)
)
PEOPLE = ["job", "su", "flex", "oth", "cens"]


def test_each_exit_gets_the_destination_of_its_first_period() -> None:
    p = _cohort(ROWS, PEOPLE)
    assert p.loc["job", "destination"] == "job"  # a blank month
    assert p.loc["su", "destination"] == "education"
    assert p.loc["flex", "destination"] == "flex_job"
    assert p.loc["oth", "destination"] == "other"
    assert pd.isna(p.loc["cens", "destination"]) and p.loc["cens", "event"] == 0
    assert p["destination"].dtype == "string"


def test_a_durable_exit_takes_its_first_periods_destination() -> None:
    rows = _months("a", ["130", "", "130", "651", "651", "651"]) + _months("i", ["130"] * 12)
    p = _cohort(rows, ["a"], durable_exit=2)
    # the blank month 1 is followed by support: no durable exit; the exit starts at month 3 (SU)
    assert (p.loc["a", "duration"], p.loc["a", "destination"]) == (3, "education")
    rows = _months("a", ["130", "130", "", "651", "651"]) + _months("i", ["130"] * 12)
    p = _cohort(rows, ["a"], durable_exit=2)
    assert (p.loc["a", "duration"], p.loc["a", "destination"]) == (2, "job")


def test_destinations_are_configurable_through_the_classification() -> None:
    cls = default_classification()
    cls.loc[cls["code"] == "114", "destination"] = "job"
    p = _cohort(ROWS, PEOPLE, classification=cls)
    assert p.loc["oth", "destination"] == "job" and p.loc["su", "destination"] == "education"


def test_shipped_list_defaults() -> None:
    d = default_classification().set_index("code")["destination"]
    assert (d["651"], d["652"], d["661"], d["771"], d["114"]) == ("education",) * 3 + ("flex_job", "other")
    assert d[["130", "999", "111"]].isna().all()


def test_destination_defaults_and_bad_values() -> None:
    frame = pd.DataFrame(
        {"code": ["1", "2", "3", "4"], "class": ["support", "self_support", "self_support", "self_support"]}
    )
    frame["benefit_group"] = [None, "su", "fleksjob", "x"]
    out = classification_from_frame(frame).set_index("code")["destination"]
    assert pd.isna(out["1"]) and list(out[["2", "3", "4"]]) == ["education", "flex_job", "other"]
    with pytest.raises(ExtractError, match=r"column 'destination', row 2: 'holiday' is not a destination"):
        classification_from_frame(frame.assign(destination=["", "holiday", "", ""]))
    with pytest.raises(ExtractError, match=r"row 1: a destination for a code of class 'support'"):
        classification_from_frame(frame.assign(destination=["job", "", "", ""]))


def test_find_rows_matches_a_dictionary_lookup() -> None:
    rng = np.random.default_rng(3)
    person = np.sort(rng.integers(0, 50, 800))
    period = np.concatenate([np.sort(rng.choice(200, (person == p).sum(), replace=False)) for p in range(50)])
    who, when = rng.integers(-1, 55, 500), rng.integers(0, 200, 500)
    got = find_rows(person, period, who, when)
    index = {(int(a), int(b)): i for i, (a, b) in enumerate(zip(person, period, strict=True))}
    want = np.array([index.get((int(a), int(b)), -1) for a, b in zip(who, when, strict=True)])
    np.testing.assert_array_equal(got, want)
