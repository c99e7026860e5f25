"""Memberships: groups, repeated entries and column names are checked."""

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
