"""The run history: a rerun of a month supersedes its rows but keeps them; the current view is the newest."""

from __future__ import annotations

import os
import tarfile
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from survival_invest.report.history import (
    HISTORY_FILE,
    SCHEMA_VERSION,
    HistoryError,
    all_history,
    current_history,
    open_history,
    store_run,
)
from survival_invest.report.published import RUNS_DIR, current_rows, published_runs


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


FIXTURE = Path(__file__).parent / "data" / "reports-v1.tar.gz"


def _unpack(tmp_path: Path) -> Path:
    out = tmp_path / "r"
    with tarfile.open(FIXTURE) as tar:
        tar.extractall(out, filter="data")
    return out


def _meta(path: Path) -> tuple[list[tuple[str, ...]], dict[str, str]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        meta = con.execute("SELECT key, value FROM history_meta").fetchall()
        states = dict(con.execute("SELECT run_id, state FROM runs").fetchall())
    finally:
        con.close()
    return meta, states


def test_a_history_of_the_first_schema_is_read_as_it_is_and_migrated_in_place(tmp_path: Path) -> None:
    out = _unpack(tmp_path)  # made by the code before schema versions (tests/report/data/README.md)
    path = out / HISTORY_FILE
    before = all_history(path)
    flags = current_history(path)
    assert len(before) == 3 * 188 and len(flags) == 2 * 188  # the readers need no migration
    with open_history(path) as history:
        assert history.migrate() == SCHEMA_VERSION  # opening migrated it already: nothing more to do
        runs = history.runs()
    meta, states = _meta(path)
    assert meta == [("schema_version", str(SCHEMA_VERSION))]
    june, july_old, july_new = sorted(before.groupby("run_id")["as_of"].first().items(), key=lambda kv: kv[0])
    assert states == {june[0]: "current", july_old[0]: "superseded", july_new[0]: "current"}
    assert runs[july_new[0]].run_time == before.loc[before["run_id"] == july_new[0], "run_time"].iloc[0]
    pd.testing.assert_frame_equal(all_history(path), before)  # no row changed
    pd.testing.assert_frame_equal(current_history(path), flags)
    store_run(path, _results(-9.0), as_of="2022-07", run_time=datetime(2030, 1, 1), run_id="next")
    assert _meta(path)[1][july_new[0]] == "superseded" and _meta(path)[1]["next"] == "current"
    assert len(all_history(path)) == len(before) + 2


def test_current_rows_are_the_rows_of_the_linked_runs(tmp_path: Path) -> None:
    out = _unpack(tmp_path)
    links = published_runs(out)
    assert sorted(links) == ["2022-06", "2022-07"]
    assert os.readlink(out / "2022-07") == f"{RUNS_DIR}/2022-07-{links['2022-07']}"
    rows = current_rows(out)
    assert rows.groupby("as_of")["run_id"].unique().map(list).to_dict() == {m: [r] for m, r in links.items()}
    assert len(current_rows(out, "2022-07")) == 188 and current_rows(out, "2023-01").empty
    # a link moved back by hand: the link decides, and reconcile brings the flags in line
    older = sorted(p.name for p in (out / RUNS_DIR).iterdir() if p.name.startswith("2022-07-"))[0]
    (out / "2022-07").unlink()
    os.symlink(f"{RUNS_DIR}/{older}", out / "2022-07")
    assert set(current_rows(out, "2022-07")["run_id"]) == {older[len("2022-07-") :]}
    with open_history(out / HISTORY_FILE) as history:
        assert history.reconcile(published_runs(out)) == []
    flags = current_history(out / HISTORY_FILE)
    pd.testing.assert_frame_equal(
        flags.reset_index(drop=True), current_rows(out).drop(columns="run_id").reset_index(drop=True)
    )


def test_reconcile_abandons_staged_runs_and_names_published_months_without_rows(tmp_path: Path) -> None:
    path = tmp_path / HISTORY_FILE
    with open_history(path) as history:
        history.stage(_results(-1.0), as_of="2022-06", run_time=datetime(2022, 7, 1), run_id="died")
        assert history.runs()["died"].state == "staged"
        missing = history.reconcile({"2022-05": "never-stored"})
        assert missing == ["2022-05"] and history.runs()["died"].state == "abandoned"
    assert current_history(path).empty  # staged rows were never current
    assert len(all_history(path)) == 2


def test_a_history_of_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / HISTORY_FILE
    store_run(path, _results(-1.0), as_of="2022-06", run_time=datetime(2022, 7, 1), run_id="a")
    con = duckdb.connect(str(path))
    con.execute("UPDATE history_meta SET value = '99'")
    con.close()
    with pytest.raises(HistoryError, match="schema version 99; this version knows up to 2"):
        open_history(path)
    with pytest.raises(HistoryError, match="newer schema"):
        current_history(path)


def test_a_history_held_open_by_this_process_read_only_cannot_be_written(tmp_path: Path) -> None:
    path = tmp_path / HISTORY_FILE
    store_run(path, _results(-1.0), as_of="2022-06", run_time=datetime(2022, 7, 1), run_id="a")
    reader = duckdb.connect(str(path), read_only=True)
    try:
        with pytest.raises(HistoryError, match=r"cannot write the history .*read-only"):
            open_history(path)
    finally:
        reader.close()


def test_a_case_below_min_persons_leaves_no_figure_and_no_count_in_the_history(tmp_path: Path) -> None:
    """Issue 14: with 3 participants and min_persons = 5 nothing of the case's estimates reaches history.duckdb."""
    import re

    from survival_invest.cli import main

    root = Path(__file__).parents[2]
    members = pd.read_csv(root / "data" / "synthetic" / "memberships.csv", dtype=str)
    small = (members["case_id"] == "1") & (members["group"] == "intervention")
    members = members[~small | (small.cumsum() <= 3)]  # three participants left in case 1
    members.to_csv(tmp_path / "memberships.csv", index=False)
    text = (root / "examples" / "norddjurs.toml").read_text(encoding="utf-8").replace("../data/", f"{root}/data/")
    text = re.sub(r"(?m)^memberships\s*=.*$", f'memberships = "{tmp_path / "memberships.csv"}"', text)
    (tmp_path / "p.toml").write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", "--config", str(tmp_path / "p.toml"), "--as-of", "2022-06", "--out", str(out), "--quiet"]) == 0

    con = duckdb.connect(str(out / HISTORY_FILE), read_only=True)
    try:
        tables = {t for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        columns = {c for (c,) in con.execute("SELECT DISTINCT column_name FROM information_schema.columns").fetchall()}
        rows = con.execute("SELECT * FROM results WHERE case_id = '1'").df()
        meta = con.execute("SELECT * FROM history_meta").fetchall()
    finally:
        con.close()
    assert tables == {"results", "runs", "history_meta"}
    # no column that could hold a head count: the history stores figures, runs and the schema only
    assert columns <= {*_RESULT_COLUMNS, "state", "published_at", "key", "value"}, columns
    estimates = rows[(rows["kind"] != "budget") & (rows["measure"] != "investment")]
    assert len(estimates) > 0 and estimates[["value", "lower", "upper"]].isna().all().all()
    assert meta == [("schema_version", str(SCHEMA_VERSION))]
    published = pd.read_csv(out / "2022-06" / "results.csv", dtype={"case_id": str})
    assert published.loc[published["case_id"] == "1", "value"].notna().sum() == (
        rows["value"].notna().sum()
    )  # the history holds what was published, no more


_RESULT_COLUMNS = ["as_of", "run_time", "run_id", "superseded", "case_id", "year", "measure", "kind", "value"]
_RESULT_COLUMNS += ["lower", "upper", "unit"]
