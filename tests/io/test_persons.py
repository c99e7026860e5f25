"""Person covariate table: CSV and Parquet, and every bad value is named."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import survival_invest as si
from survival_invest import ExtractError

DATA = Path(__file__).parents[2] / "data" / "synthetic"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


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
