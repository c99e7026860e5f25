"""Readers: long spells, wide DREAM, memberships, code tables; every bad input is named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import survival_invest as si
from survival_invest import ExtractError
from survival_invest.io.readers import read_classification
from survival_invest.synthetic import dream_wide, simulate_portfolio

DATA = Path(__file__).parents[2] / "data" / "synthetic"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_long_csv_and_parquet_read_the_same(tmp_path: Path) -> None:
    csv = si.read_spells(DATA / "spells_monthly.csv")
    frame = pd.read_csv(DATA / "spells_monthly.csv", dtype=str)
    frame.to_parquet(tmp_path / "s.parquet")
    pq = si.read_spells(tmp_path / "s.parquet")
    assert csv.frequency == pq.frequency == "month"
    pd.testing.assert_frame_equal(csv.frame, pq.frame)
    assert {"person_id", "period", "benefit", "amount_kr"} <= set(csv.frame.columns)


def test_dream_wide_melts_to_the_monthly_extract() -> None:
    wide = si.read_spells(DATA / "dream_weekly.csv", format="dream_wide")
    long = si.read_spells(DATA / "spells_monthly.csv")
    assert wide.frequency == "week"
    n_weeks_cols = pd.read_csv(DATA / "dream_weekly.csv", nrows=0).shape[1] - 1
    n_persons = wide.frame["person_id"].nunique()
    # every cell is either a long row or a counted blank week: nothing dropped silently
    blank = int(wide.excluded.set_index("reason").loc["blank_weeks_no_benefit", "rows"])
    assert len(wide.frame) + blank == n_persons * n_weeks_cols
    assert set(wide.frame["benefit"]) == set(long.frame["benefit"])


def test_missing_column_gets_did_you_mean(tmp_path: Path) -> None:
    p = _write(tmp_path, "s.csv", "person_id,periode,benefit\na,2020-01,130\n")
    with pytest.raises(ExtractError, match=r"s.csv: missing column 'period' \(did you mean 'periode'\?\)"):
        si.read_spells(p)


def test_unparsable_period_names_file_column_rows_and_value(tmp_path: Path) -> None:
    p = _write(tmp_path, "s.csv", "person_id,period,benefit\na,2020-01,130\na,2020-13,130\nb,2020/02,130\n")
    with pytest.raises(
        ExtractError, match=r"s.csv: column 'period', rows 2, 3: cannot read period '2020-13'; expected YYYY-MM"
    ):
        si.read_spells(p)


def test_conflicting_duplicates_are_an_error_identical_ones_are_counted(tmp_path: Path) -> None:
    p = _write(tmp_path, "s.csv", "person_id,period,benefit\na,2020-01,130\na,2020-01,131\nb,2020-01,130\n")
    with pytest.raises(
        ExtractError, match=r"rows 1, 2: the same person and period appear with different benefit codes"
    ):
        si.read_spells(p)
    p = _write(tmp_path, "t.csv", "person_id,period,benefit\na,2020-01,130\na,2020-01,130\nb,2020-01,130\n")
    s = si.read_spells(p)
    assert len(s.frame) == 2
    assert s.excluded.set_index("reason").loc["identical_duplicate_rows", "rows"] == 1


def test_empty_code_and_id_are_named(tmp_path: Path) -> None:
    p = _write(tmp_path, "s.csv", "person_id,period,benefit\na,2020-01,\n")
    with pytest.raises(ExtractError, match=r"column 'benefit', row 1: empty benefit code"):
        si.read_spells(p)
    p = _write(tmp_path, "t.csv", "person_id,period,benefit\n,2020-01,130\n")
    with pytest.raises(ExtractError, match=r"column 'person_id', row 1: empty person id"):
        si.read_spells(p)


def test_missing_file_and_unknown_type(tmp_path: Path) -> None:
    with pytest.raises(ExtractError, match=r"nope.csv: spells file not found"):
        si.read_spells(tmp_path / "nope.csv")
    p = _write(tmp_path, "s.xlsx", "")
    with pytest.raises(ExtractError, match=r"unknown file type '.xlsx'"):
        si.read_spells(p)


def test_dream_wide_bad_week_column_and_duplicate_person(tmp_path: Path) -> None:
    p = _write(tmp_path, "w.csv", "person_id,y_2001,y_2099\na,130,\n")
    with pytest.raises(ExtractError, match=r"\['y_2099'\]: not a DREAM week column"):
        si.read_spells(p, format="dream_wide")
    p = _write(tmp_path, "w.csv", "person_id,y_2001,y_2002\na,130,\na,,130\n")
    with pytest.raises(ExtractError, match=r"rows 1, 2: a person appears on several rows"):
        si.read_spells(p, format="dream_wide")


def test_memberships_validation(tmp_path: Path) -> None:
    ok = si.read_memberships(DATA / "memberships.csv")
    assert set(ok["group"]) == {"target", "intervention"} and ok.attrs["frequency"] == "month"
    p = _write(tmp_path, "m.csv", "person_id,case_id,group,entry_period\na,1,target,2020-01\nb,1,control,2020-01\n")
    with pytest.raises(
        ExtractError,
        match=r"m.csv: column 'group', row 2: 'control' is not a group; expected 'target' or 'intervention'",
    ):
        si.read_memberships(p)
    p = _write(tmp_path, "m.csv", "person_id,case_id,group,entry_period\na,1,target,2020-01\na,1,target,2020-02\n")
    with pytest.raises(ExtractError, match=r"rows 1, 2: the same person is listed twice"):
        si.read_memberships(p)
    p = _write(tmp_path, "m.csv", "person_id,case,group,entry_period\na,1,target,2020-01\n")
    with pytest.raises(ExtractError, match=r"missing column 'case_id' \(did you mean 'case'\?\)"):
        si.read_memberships(p)


def test_classification_default_and_custom(tmp_path: Path) -> None:
    default = read_classification()
    cls = default.set_index("code")["class"]
    assert cls["130"] == "support" and cls["999"] == "censor" and cls["651"] == "self_support"
    p = _write(tmp_path, "c.csv", "code,class\n130,support\n131,maybe\n")
    with pytest.raises(ExtractError, match=r"c.csv: column 'class', row 2: 'maybe' is not a class"):
        read_classification(p)


def test_synthetic_dream_wide_frame_roundtrip() -> None:
    spells, _, _ = simulate_portfolio(seed=3)
    wide = dream_wide(spells)
    assert wide.columns[0] == "person_id" and all(c.startswith("y_") for c in wide.columns[1:])
    weeks = wide.iloc[:, 1:].to_numpy()
    assert np.isin(weeks[weeks != ""], spells["benefit"].unique()).all()


def test_person_table_csv_and_parquet(tmp_path: Path) -> None:
    p = _write(
        tmp_path, "p.csv", "person_id,birth_year,birth_date,sex\na,1980,,M\nb,,1990-03-04,kvinde\nc,1975,1975-12-31,2\n"
    )
    t = si.read_persons(p)
    assert t["person_id"].tolist() == ["a", "b", "c"] and t["sex"].tolist() == ["male", "female", "female"]
    assert t["birth_date"].dt.strftime("%Y-%m-%d").tolist() == ["1980-07-01", "1990-03-04", "1975-12-31"]
    assert t["birth_date_imputed"].tolist() == [True, False, False]  # a year alone is dated 1 July
    pd.DataFrame({"person_id": ["a", "b"], "birth_year": [1980, 1990], "sex": [1, 2]}).to_parquet(
        tmp_path / "p.parquet"
    )
    pq = si.read_persons(tmp_path / "p.parquet")
    assert pq["sex"].tolist() == ["male", "female"] and pq["birth_date"].dt.year.tolist() == [1980, 1990]
    bundled = si.read_persons(DATA / "persons.csv")
    members = si.read_memberships(DATA / "memberships.csv")
    assert set(bundled["person_id"]) == set(members["person_id"])  # one row per synthetic person


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        (
            "person_id,birth_year,sex\na,1980,M\na,1981,F\n",
            r"p.csv: column 'person_id', rows 1, 2: a person appears on several rows",
        ),
        ("person_id,birth_year,sex\na,1980,M\n,1981,F\n", r"p.csv: column 'person_id', row 2: empty person id"),
        (
            "person_id,birth_year,sex\na,1980,M\nb,19x0,F\n",
            r"p.csv: column 'birth_year', row 2: '19x0' is not a year of birth; expected a whole year from 1900 to 2030",
        ),
        ("person_id,birth_year,sex\na,1880,M\n", r"column 'birth_year', row 1: '1880' is not a year of birth"),
        (
            "person_id,birth_date,sex\na,1980-02-30,M\n",
            r"p.csv: column 'birth_date', row 1: '1980-02-30' is not a date of birth; expected YYYY-MM-DD",
        ),
        (
            "person_id,birth_date,sex\na,1980-02-03,M\nb,,F\n",
            r"p.csv: column 'birth_date', row 2: no year or date of birth",
        ),
        (
            "person_id,birth_year,birth_date,sex\na,1981,1980-02-03,M\n",
            r"columns 'birth_year', 'birth_date', row 1: the year of birth '1981' does not match the date of birth '1980-02-03'",
        ),
        (
            "person_id,birth_year,sex\na,1980,X\nb,1980,\n",
            r"p.csv: column 'sex', rows 1, 2: 'X' is not a sex; expected one of M/F/K",
        ),
        (
            "person_id,born,sex\na,1980,M\n",
            r"p.csv: missing column 'birth_year' or 'birth_date'; found \['person_id', 'born', 'sex'\]",
        ),
        (
            "person_id,birthyear,sex\na,1980,M\n",
            r"missing column 'birth_year' or 'birth_date' \(did you mean 'birthyear'\?\)",
        ),
        ("person_id,birth_year\na,1980\n", r"p.csv: missing column 'sex'"),
    ],
)
def test_person_table_errors_name_file_column_rows_and_value(tmp_path: Path, text: str, pattern: str) -> None:
    with pytest.raises(ExtractError, match=pattern):
        si.read_persons(_write(tmp_path, "p.csv", text))
