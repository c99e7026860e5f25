"""The run history: a rerun of a month supersedes its rows but keeps them; the current view is the newest."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd

from survival_invest.report.history import all_history, current_history, store_run


def _results(value: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "case_id": ["1", "1"],
            "year": [2022, 2022],
            "measure": ["savings", "saved_fte"],
            "kind": ["realised", "realised"],
            "value": [value, value / 10],
            "lower": [value - 1, float("nan")],
            "upper": [value + 1, float("nan")],
            "unit": ["mkr", "persons"],
        }
    )


def test_current_history_of_a_missing_file_is_empty(tmp_path: Path) -> None:
    hist = current_history(tmp_path / "history.duckdb")
    assert hist.empty and "as_of" in hist.columns


def test_storing_a_month_twice_supersedes_but_keeps_the_earlier_rows(tmp_path: Path) -> None:
    path = tmp_path / "history.duckdb"
    store_run(path, _results(-1.0), as_of="2022-06", run_time=datetime(2022, 7, 1, 8), run_id="june")
    store_run(path, _results(-2.0), as_of="2022-07", run_time=datetime(2022, 8, 1, 8), run_id="july-a")
    store_run(path, _results(-3.0), as_of="2022-07", run_time=datetime(2022, 8, 2, 8), run_id="july-b")

    rows = all_history(path)
    assert len(rows) == 6  # nothing deleted
    by_run = rows.groupby("run_id")["superseded"].agg(["all", "any"])
    assert by_run.loc["july-a"].tolist() == [True, True]  # the earlier run of the month: kept, superseded
    assert by_run.loc["july-b"].tolist() == [False, False]
    assert by_run.loc["june"].tolist() == [False, False]  # another month: untouched

    current = current_history(path)
    assert sorted(current["as_of"].unique()) == ["2022-06", "2022-07"]
    july = current[(current["as_of"] == "2022-07") & (current["measure"] == "savings")]
    assert july["value"].tolist() == [-3.0]  # the newest run of the month
    assert current[current["as_of"] == "2022-06"]["value"].min() == -1.0
    assert current["lower"].isna().sum() == 2  # missing limits stay missing
