"""Shared reading helpers: missing columns get a hint, missing files and unknown types are named."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import survival_invest as si
from survival_invest import ExtractError
from survival_invest.io.readers import read_spells

DATA = Path(__file__).parents[2] / "data" / "synthetic"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_missing_column_gets_did_you_mean(tmp_path: Path) -> None:
    p = _write(tmp_path, "s.csv", "person_id,periode,benefit\na,2020-01,130\n")
    with pytest.raises(ExtractError, match=r"s.csv: missing column 'period' \(did you mean 'periode'\?\)"):
        si.read_spells(p)


def test_missing_file_and_unknown_type(tmp_path: Path) -> None:
    with pytest.raises(ExtractError, match=r"nope.csv: spells file not found"):
        si.read_spells(tmp_path / "nope.csv")
    p = _write(tmp_path, "s.xlsx", "")
    with pytest.raises(ExtractError, match=r"unknown file type '.xlsx'"):
        si.read_spells(p)


def test_a_wide_file_read_as_long_gets_a_short_message_with_the_candidate_and_the_setting(tmp_path) -> None:
    weeks = [f"y_{y:02d}{w:02d}" for y in range(17, 23) for w in range(1, 53)][:260]
    frame = pd.DataFrame([["0101", *["137"] * len(weeks)]], columns=["PNR", *weeks])
    path = tmp_path / "dream.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(ExtractError) as exc:
        read_spells(path)
    msg = str(exc.value)
    assert f"found 261 columns: 'PNR', '{weeks[0]}', … '{weeks[-1]}'" in msg
    assert "'PNR' looks like it: rename the column 'PNR' to 'person_id'" in msg
    assert 'spells_format = "dream_wide"' in msg and len(msg) < 500 and "y_1720" not in msg


def test_several_problems_of_one_file_are_listed_one_line_each(tmp_path) -> None:
    path = tmp_path / "spells.csv"
    path.write_text("person_id,period,benefit,amount_kr\n,2020-01,137,1\nA,2020-13,,x\nB,2020-02,137,inf\n")
    with pytest.raises(ExtractError) as exc:
        read_spells(path)
    lines = str(exc.value).splitlines()
    assert len(lines) == 4, lines
    assert [line.split(": ")[1].split(",")[0] for line in lines] == [
        "column 'person_id'",
        "column 'period'",
        "column 'benefit'",
        "column 'amount_kr'",
    ]


def test_code_categories_merge_blank_variants_drop_unused_and_keep_missing() -> None:
    from survival_invest.io.tables import clean_code_categories

    raw = pd.Categorical([" 130", "130", None, "891", "130 "], categories=["zz", " 130", "130", "130 ", "891"])
    cat = clean_code_categories(pd.Series(raw))
    assert list(cat.categories) == ["130", "891"]  # 'zz' is used by no row
    assert list(cat.codes) == [0, 0, -1, 1, 0]
    plain = clean_code_categories(pd.Series([4.0, None, 4.0, 7.0]))  # Parquet floats: no '.0'
    assert list(plain.categories) == ["4", "7"] and list(plain.codes) == [0, -1, 0, 1]
    assert list(clean_code_categories(pd.Series([None, None], dtype=object)).codes) == [-1, -1]
    clean = clean_code_categories(pd.Series(pd.Categorical(["891", None, "130"], categories=["130", "891"])))
    assert list(clean.categories) == ["130", "891"] and list(clean.codes) == [1, -1, 0]  # kept as they are
