"""Shared reading helpers: missing columns get a hint, missing files and unknown types are named."""

from __future__ import annotations

from pathlib import Path

import pytest

import survival_invest as si
from survival_invest import ExtractError

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
