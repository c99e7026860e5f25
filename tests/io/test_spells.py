"""Spells: long CSV/Parquet and wide DREAM extracts; every bad input is named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import survival_invest as si
from survival_invest import ExtractError
from survival_invest.io.spells import spells_from_frame
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


def test_dream_wide_bad_week_column_and_duplicate_person(tmp_path: Path) -> None:
    p = _write(tmp_path, "w.csv", "person_id,y_2001,y_2099\na,130,\n")
    with pytest.raises(ExtractError, match=r"\['y_2099'\]: not a DREAM week column"):
        si.read_spells(p, format="dream_wide")
    p = _write(tmp_path, "w.csv", "person_id,y_2001,y_2002\na,130,\na,,130\n")
    with pytest.raises(ExtractError, match=r"rows 1, 2: a person appears on several rows"):
        si.read_spells(p, format="dream_wide")


def test_synthetic_dream_wide_frame_roundtrip() -> None:
    spells, _, _ = simulate_portfolio(seed=3)
    wide = dream_wide(spells)
    assert wide.columns[0] == "person_id" and all(c.startswith("y_") for c in wide.columns[1:])
    weeks = wide.iloc[:, 1:].to_numpy()
    assert np.isin(weeks[weeks != ""], spells["benefit"].unique()).all()


def test_rows_out_of_period_order_within_a_person_are_sorted_and_conflicts_found_after_sorting() -> None:
    # person 2's periods fall (2020-03 before 2020-01) while the ids are sorted: only the period check sees it
    frame = pd.DataFrame(
        {
            "person_id": [1, 1, 2, 2, 2, 3],
            "period": ["2020-01", "2020-02", "2020-03", "2020-01", "2020-03", "2020-01"],
            "benefit": ["130", "130", "891", "130", "891", "130"],
        }
    )
    s = spells_from_frame(frame)
    assert s.frame["person_id"].tolist() == [1, 1, 2, 2, 3]
    assert s.frame["period"].tolist() == [24240, 24241, 24240, 24242, 24240]
    assert s.frame["benefit"].astype(str).tolist() == ["130", "130", "130", "891", "130"]
    assert s.excluded.set_index("reason").loc["identical_duplicate_rows", "rows"] == 1
    frame.loc[4, "benefit"] = "130"  # now person 2's two rows of 2020-03 (rows 3 and 5) disagree
    with pytest.raises(ExtractError, match=r"rows 3, 5: the same person and period appear with different"):
        spells_from_frame(frame)
    ordered = spells_from_frame(frame.iloc[[0, 1, 3, 2, 5]].reset_index(drop=True))  # already sorted
    assert ordered.frame["period"].tolist() == [24240, 24241, 24240, 24242, 24240]
