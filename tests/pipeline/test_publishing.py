"""Publishing a run (docs/publishing.md): report and history rows together or not at all, at every step.

Each test checks the rule "the published ``OUT/<month>/results.csv`` equals the
history's current rows of that month" (:func:`current_rows`) after a run was
interrupted at a step (in the process: the step raises KeyboardInterrupt or
SystemExit after it ran; in a child process: ``os._exit`` after it ran, so no
clean-up code runs), with a reader holding the history open, or with another
run holding the lock. The figures are computed once per month and reused
(``fast_runs``): the tests are about the folder and the history, not the numbers.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from survival_invest.cli import main
from survival_invest.pipeline import monthly as runner
from survival_invest.pipeline.outfolder import LOCK_FILE, OutputFolderError, RunLock
from survival_invest.report.history import (
    HISTORY_FILE,
    HistoryWriter,
    all_history,
    current_history,
)
from survival_invest.report.published import RUNS_DIR, current_rows, published_runs

KEY = ["case_id", "year", "measure", "kind"]
VALUES = ["value", "lower", "upper", "unit"]
FIXTURE = Path(__file__).parents[1] / "report" / "data" / "reports-v1.tar.gz"

_COMPUTED: dict[tuple[str, str], Any] = {}
_PAGES: dict[tuple[str, str, str], Any] = {}


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    assert main(["synth", "--out", str(out), "--seed", "11"]) == 0
    cfg = out / "portfolio.toml"
    text = cfg.read_text(encoding="utf-8")
    cfg.write_text(text.replace("[run]\n", "[run]\nlock_timeout_seconds = 0.5\n", 1), encoding="utf-8")
    return cfg


def _reuse_figures(monkeypatch: pytest.MonkeyPatch) -> None:
    """Compute each month's figures and case pages once per config, then reuse them (they are pure)."""
    real_full, real_page = runner.run_portfolio_full, runner.case_page

    def full(portfolio, clock, engine=None):
        key = (str(portfolio.source), clock.as_of_label)
        if key not in _COMPUTED:
            _COMPUTED[key] = real_full(portfolio, clock, engine=engine)
        return _COMPUTED[key]

    def page(case, results, stats, *, clock, min_persons, language, **inputs):  # inputs: persons, adjusted curves
        key = (case.id, clock.as_of_label, str(min_persons))
        if key not in _PAGES:
            _PAGES[key] = real_page(
                case, results, stats, clock=clock, min_persons=min_persons, language=language, **inputs
            )
        return _PAGES[key]

    monkeypatch.setattr(runner, "run_portfolio_full", full)
    monkeypatch.setattr(runner, "case_page", page)


@pytest.fixture
def fast_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    _reuse_figures(monkeypatch)


def _run(cfg: Path, month: str, out: Path) -> int:
    return main(["run", "--config", str(cfg), "--as-of", month, "--out", str(out), "--quiet"])


def _snapshot(folder: Path) -> dict[str, str]:
    snap = {}
    for p in sorted(folder.rglob("*")):
        rel = str(p.relative_to(folder))
        snap[rel] = os.readlink(p) if p.is_symlink() else (p.read_bytes().hex() if p.is_file() else "dir")
    return snap


def _published(out: Path, month: str) -> pd.DataFrame:
    got = pd.read_csv(out / month / "results.csv", dtype={"case_id": str}, float_precision="round_trip")
    return got[KEY + VALUES].sort_values(KEY).reset_index(drop=True)


def assert_consistent(out: Path, months: tuple[str, ...] = ("2022-06", "2022-07")) -> None:
    """The rule: every published month's figures are the history's current rows of that month, from the same run."""
    for month in months:
        cur = current_rows(out, month)
        run_id = json.loads((out / month / "run.json").read_text())["run_id"]
        assert set(cur["run_id"]) == {run_id}, month
        shown = cur[KEY + VALUES].astype({"year": "int64"}).sort_values(KEY).reset_index(drop=True)
        pd.testing.assert_frame_equal(shown, _published(out, month), check_dtype=False)


def assert_flags_agree(out: Path) -> None:
    """After a run finished: ``NOT superseded`` (the flags' view) is the linked runs' rows, one current run a month."""
    flags = current_history(out / HISTORY_FILE).sort_values(["as_of", *KEY]).reset_index(drop=True)
    links = current_rows(out).drop(columns="run_id").sort_values(["as_of", *KEY]).reset_index(drop=True)
    pd.testing.assert_frame_equal(flags, links, check_dtype=False)
    con = duckdb.connect(str(out / HISTORY_FILE), read_only=True)
    try:
        current = dict(con.execute("SELECT as_of, run_id FROM runs WHERE state = 'current'").fetchall())
        staged = con.execute("SELECT count(*) FROM runs WHERE state = 'staged'").fetchall()[0][0]
    finally:
        con.close()
    assert current == published_runs(out) and staged == 0
    con = duckdb.connect(str(out / HISTORY_FILE), read_only=True)
    try:
        states = dict(con.execute("SELECT run_id, state FROM runs").fetchall())
    finally:
        con.close()
    folders = [p.name.split("-", 2)[2] for p in (out / RUNS_DIR).iterdir() if "legacy" not in p.name]
    assert {states[f] for f in folders} <= {"current", "superseded"}  # no folder of a run that never published


@pytest.fixture(scope="module")
def published_two_months(portfolio: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("base") / "r"
    with pytest.MonkeyPatch.context() as m:
        _reuse_figures(m)
        assert _run(portfolio, "2022-06", out) == 0 and _run(portfolio, "2022-07", out) == 0
    assert_consistent(out)
    return out


@pytest.fixture
def two_months(published_two_months: Path, tmp_path: Path, fast_runs: None) -> Path:
    """A reports folder with June and July published (a copy, links kept as links)."""
    out = tmp_path / "r"
    shutil.copytree(published_two_months, out, symlinks=True)
    return out


def _after(owner: object, name: str, exc: type[BaseException], nth: int = 1) -> Callable[..., Any]:
    """``owner.name`` that runs, then raises ``exc`` on its ``nth`` call (a kill just after the step)."""
    real = getattr(owner, name)
    calls = {"n": 0}

    def step(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        calls["n"] += 1
        if calls["n"] == nth:
            if isinstance(result, HistoryWriter):
                result.close()  # a killed process holds no connection
            raise exc(f"simulated kill after {name}")
        return result

    return step


# (owner, attribute, nth call): every step of a run, in order
STEPS = [
    (runner, "remove_leftovers", 1),
    (runner, "open_history", 1),  # opened and migrated for the reconcile
    (HistoryWriter, "reconcile", 1),
    (runner, "prepare_output", 1),
    (runner, "run_portfolio_full", 1),
    (runner, "prune_plan", 1),
    (runner, "fresh_dir", 1),
    (runner, "write_text", 1),  # results.csv written
    (runner, "current_rows", 1),
    (runner, "write_bytes", 3),  # case figures being written
    (runner, "open_history", 2),  # opened for publishing
    (HistoryWriter, "stage", 1),  # the rows committed as staged
    (runner, "move_into_runs", 1),
    (runner, "swap_link", 1),  # the commit point
    (HistoryWriter, "make_current", 1),
    (HistoryWriter, "close", 2),
    (runner, "delete_folders", 1),
]
PUBLISHED_FROM = STEPS.index((runner, "swap_link", 1))


def test_a_crash_after_any_step_leaves_report_and_history_agreeing(
    portfolio: Path, two_months: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = two_months
    for i, (owner, name, nth) in enumerate(STEPS):
        before = published_runs(out)["2022-07"]
        exc = KeyboardInterrupt if i % 2 else SystemExit
        with monkeypatch.context() as m:
            m.setattr(owner, name, _after(owner, name, exc, nth))
            with pytest.raises(exc):
                runner.run_monthly(portfolio, "2022-07", out)
        assert_consistent(out)  # whatever the step, figures and current rows come from one run
        now = published_runs(out)["2022-07"]
        assert (now != before) == (i >= PUBLISHED_FROM), name  # published exactly when the link was swapped
        assert published_runs(out)["2022-06"] == json.loads((out / "2022-06" / "run.json").read_text())["run_id"]
    assert runner.run_monthly(portfolio, "2022-07", out).folder == out / "2022-07"  # the next run recovers
    assert_consistent(out)
    assert_flags_agree(out)
    assert not [p for p in out.iterdir() if p.name.startswith(".tmp-") or p.name.endswith(".link")]


class _DyingConnection:
    """A DuckDB connection that raises on its ``nth`` COMMIT (a kill inside the history's transaction)."""

    def __init__(self, con: Any, nth: int) -> None:
        self.con, self.nth, self.commits = con, nth, 0

    def execute(self, sql: str, *args: Any) -> Any:
        if sql == "COMMIT":
            self.commits += 1
            if self.commits == self.nth:
                raise KeyboardInterrupt("simulated kill before COMMIT")
        return self.con.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.con, name)


@pytest.mark.parametrize("nth", [1, 2], ids=["inside staging", "inside marking current"])
def test_a_crash_inside_a_history_transaction_leaves_them_agreeing(
    portfolio: Path, two_months: Path, monkeypatch: pytest.MonkeyPatch, nth: int
) -> None:
    out, before = two_months, all_history(two_months / HISTORY_FILE)
    real_open = runner.open_history
    opened = {"n": 0}

    def open_dying(path):
        writer = real_open(path)
        opened["n"] += 1
        if opened["n"] == 2:  # the publishing connection
            writer.con = _DyingConnection(writer.con, nth)
        return writer

    monkeypatch.setattr(runner, "open_history", open_dying)
    old = published_runs(out)["2022-07"]
    with pytest.raises(KeyboardInterrupt):
        runner.run_monthly(portfolio, "2022-07", out)
    assert_consistent(out)
    rows = all_history(out / HISTORY_FILE)
    if nth == 1:  # the staging rolled back: nothing new anywhere
        pd.testing.assert_frame_equal(rows, before)
        assert published_runs(out)["2022-07"] == old
    else:  # published; the marking rolled back: the link decides, the next run brings the flags in line
        assert published_runs(out)["2022-07"] != old and len(rows) > len(before)
        monkeypatch.setattr(runner, "open_history", real_open)
        assert _run(portfolio, "2022-06", out) == 0
        assert_flags_agree(out)


KILLER = """
import os, pickle, sys
from survival_invest.pipeline import monthly as runner
from survival_invest.report.history import HistoryWriter
cache = pickle.loads(open(sys.argv[1], "rb").read())
runner.run_portfolio_full = lambda portfolio, clock, engine=None: cache["computed"]
runner.case_page = lambda case, results, stats, **k: cache["pages"][case.id]
owner = HistoryWriter if sys.argv[2] == "HistoryWriter" else runner
real = getattr(owner, sys.argv[3])
def step(*args, **kwargs):
    real(*args, **kwargs)
    os._exit(9)
setattr(owner, sys.argv[3], step)
runner.run_monthly(sys.argv[4], "2022-07", sys.argv[5])
"""


@pytest.mark.parametrize(
    ("owner", "name", "leftover"),
    [
        ("runner", "prepare_output", False),  # killed while holding the lock
        ("HistoryWriter", "stage", True),  # between the history's commit and the publication
        ("runner", "move_into_runs", False),
        ("runner", "swap_link", False),  # published, not yet marked current
    ],
)
def test_a_killed_process_leaves_them_agreeing_and_the_next_run_cleans_up(
    portfolio: Path, two_months: Path, tmp_path: Path, owner: str, name: str, leftover: bool
) -> None:
    out = two_months
    cache = tmp_path / "cache.pickle"
    computed = next(v for k, v in _COMPUTED.items() if k[1] == "2022-07")
    pages = {k[0]: v for k, v in _PAGES.items() if k[1] == "2022-07"}
    cache.write_bytes(pickle.dumps({"computed": computed, "pages": pages}))
    old = published_runs(out)["2022-07"]
    child = subprocess.run([sys.executable, "-c", KILLER, str(cache), owner, name, str(portfolio), str(out)])
    assert child.returncode == 9
    assert_consistent(out)
    assert (published_runs(out)["2022-07"] != old) == (name == "swap_link")
    assert bool([p for p in out.iterdir() if p.name.startswith(".tmp-")]) == leftover
    assert _run(portfolio, "2022-07", out) == 0  # the lock died with the process; the next run recovers
    assert_consistent(out)
    assert_flags_agree(out)
    info = json.loads((out / "2022-07" / "run.json").read_text())
    assert bool(info["pruned"]["leftovers"]) == leftover
    assert not [p for p in out.iterdir() if p.name.startswith(".tmp-") or p.name.endswith(".link")]


def test_a_reader_holding_the_history_open_stops_the_run_before_anything_is_published(
    portfolio: Path, two_months: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = two_months
    before = _snapshot(out)
    reader = duckdb.connect(str(out / HISTORY_FILE), read_only=True)  # a notebook's connection
    try:
        capsys.readouterr()
        assert _run(portfolio, "2022-07", out) == 2
        err = capsys.readouterr().err
        assert "cannot write the history" in err and "read-only" in err and "Traceback" not in err
        assert reader.execute("SELECT count(*) FROM results").fetchall()[0][0] > 0  # the reader still reads
    finally:
        reader.close()
    assert _snapshot(out) == before  # nothing published, nothing written
    assert_consistent(out)


def test_a_reader_opening_the_history_during_the_run_stops_its_publication(
    portfolio: Path, two_months: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = two_months
    before = _snapshot(out)
    compute, readers = runner.run_portfolio_full, []

    def compute_then_open(*args: Any, **kwargs: Any) -> Any:
        readers.append(duckdb.connect(str(out / HISTORY_FILE), read_only=True))
        return compute(*args, **kwargs)

    monkeypatch.setattr(runner, "run_portfolio_full", compute_then_open)
    try:
        assert _run(portfolio, "2022-07", out) == 2
    finally:
        readers[0].close()
    assert "cannot write the history" in capsys.readouterr().err
    assert _snapshot(out) == before
    assert_consistent(out)


def test_another_process_writing_the_history_stops_the_run_naming_it(
    portfolio: Path, two_months: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = two_months
    before = _snapshot(out)
    code = f"import duckdb, time; c = duckdb.connect({str(out / HISTORY_FILE)!r}); print('open', flush=True); time.sleep(60)"
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        assert _run(portfolio, "2022-07", out) == 2
    finally:
        holder.kill()
        holder.communicate()
    err = capsys.readouterr().err
    assert f"another process (PID {holder.pid}) has it open" in err
    assert _snapshot(out) == before


def test_a_second_run_waits_for_the_lock_then_stops_naming_the_holder(
    portfolio: Path, two_months: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = two_months
    code = (
        "import sys, time; from survival_invest.pipeline.outfolder import RunLock\n"
        f"with RunLock({str(out)!r}, 0, '2022-05'):\n    print('held', flush=True); time.sleep(60)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        assert _run(portfolio, "2022-07", out) == 2
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.communicate()
    err = capsys.readouterr().err
    assert f"pid {holder.pid} on host" in err and "started 20" in err and "(as-of 2022-05)" in err
    assert "waited 0.5 s ([run] lock_timeout_seconds)" in err and waited >= 0.5
    assert _run(portfolio, "2022-07", out) == 0  # the holder died: the lock went with it
    assert (out / LOCK_FILE).read_text() == ""  # emptied on release


def test_a_second_run_that_gets_the_lock_in_time_runs(portfolio: Path, two_months: Path) -> None:
    out = two_months
    got, release = threading.Event(), threading.Event()

    def hold() -> None:
        with RunLock(out, 0, "2022-05"):
            got.set()
            release.wait(5)

    thread = threading.Thread(target=hold)
    thread.start()
    got.wait(5)
    threading.Timer(0.3, release.set).start()
    try:
        assert runner.run_monthly(portfolio, "2022-07", out, lock_timeout=10).folder == out / "2022-07"
    finally:
        release.set()
        thread.join()
    assert_consistent(out)


def test_leftovers_are_removed_and_run_folders_pruned_to_keep_runs(
    portfolio: Path, tmp_path: Path, fast_runs: None, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = portfolio.with_name("keep2.toml")
    cfg.write_text(portfolio.read_text().replace("[run]\n", "[run]\nkeep_runs = 2\n", 1))
    out = tmp_path / "r"
    ids = []
    for month in ("2022-06", *["2022-07"] * 5):
        assert _run(cfg, month, out) == 0
        ids.append(published_runs(out)[month])
    july = sorted(p.name for p in (out / RUNS_DIR).iterdir() if p.name.startswith("2022-07-"))
    assert july == [f"2022-07-{i}" for i in sorted(ids[-3:])]  # the current run and the 2 newest superseded
    assert (out / RUNS_DIR / f"2022-06-{ids[0]}").is_dir()
    info = json.loads((out / "2022-07" / "run.json").read_text())
    assert info["pruned"]["run_folders"] == [f"{RUNS_DIR}/2022-07-{ids[2]}"]  # the one this run pruned
    assert all_history(out / HISTORY_FILE)["run_id"].nunique() == 6  # the history keeps every run

    (out / ".tmp-2022-07-0123456789ab").mkdir()
    (out / ".tmp-2022-07-0123456789ab" / "results.csv").write_text("half")
    os.symlink(f"{RUNS_DIR}/2022-07-{ids[-1]}", out / f".2022-07.{ids[-1]}x.link")
    caplog.set_level("INFO", logger="survival_invest")
    assert _run(cfg, "2022-07", out) == 0
    info = json.loads((out / "2022-07" / "run.json").read_text())
    assert info["pruned"]["leftovers"] == [f".2022-07.{ids[-1]}x.link", ".tmp-2022-07-0123456789ab"]
    assert info["pruned"]["run_folders"] == [f"{RUNS_DIR}/2022-07-{ids[3]}"]
    assert not (out / ".tmp-2022-07-0123456789ab").exists()
    assert "removed leftovers of killed runs" in caplog.text and "pruned run folders: 2022-07-" in caplog.text
    assert_consistent(out)


@pytest.mark.parametrize(("umask", "folder", "file"), [(0o022, 0o755, 0o644), (0o027, 0o750, 0o640)])
def test_published_files_follow_the_umask(
    portfolio: Path, tmp_path: Path, fast_runs: None, umask: int, folder: int, file: int
) -> None:
    out = tmp_path / "r"
    old = os.umask(umask)
    try:
        assert _run(portfolio, "2022-06", out) == 0
    finally:
        os.umask(old)
    published = (out / "2022-06").resolve()
    assert (published.stat().st_mode & 0o777, (out / RUNS_DIR).stat().st_mode & 0o777) == (folder, folder)
    modes = {p.name: p.stat().st_mode & 0o777 for p in published.iterdir()}
    assert len(modes) > 5 and set(modes.values()) == {file}, modes
    assert (out / LOCK_FILE).stat().st_mode & 0o777 == file


def test_a_reports_folder_of_the_first_schema_is_migrated_and_keeps_working(
    portfolio: Path, tmp_path: Path, fast_runs: None
) -> None:
    out = tmp_path / "r"
    with tarfile.open(FIXTURE) as tar:
        tar.extractall(out, filter="data")
    order = ["run_id", *KEY]
    before = all_history(out / HISTORY_FILE).drop(columns="superseded").sort_values(order).reset_index(drop=True)
    assert_consistent(out)  # the old folder already meets the rule (its runs finished)
    assert _run(portfolio, "2022-07", out) == 0
    rows = all_history(out / HISTORY_FILE).drop(columns="superseded")
    kept = rows[rows["run_id"].isin(before["run_id"])].sort_values(order).reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, before)  # every old row kept as it was
    assert_consistent(out)
    assert_flags_agree(out)
    con = duckdb.connect(str(out / HISTORY_FILE), read_only=True)
    try:
        assert con.execute("SELECT value FROM history_meta").fetchall() == [("2",)]
        states = dict(con.execute("SELECT run_id, state FROM runs").fetchall())
    finally:
        con.close()
    assert sorted(states.values()) == ["current", "current", "superseded", "superseded"]


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("keep_runs = -1", "keep_runs"),
        ("keep_runs = 1.5", "keep_runs"),
        ('lock_timeout_seconds = "soon"', "lock_timeout_seconds"),
        ("lock_timeout_seconds = -2", "lock_timeout_seconds"),
    ],
)
def test_bad_run_settings_exit_2_naming_the_key(
    portfolio: Path, tmp_path: Path, setting: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = portfolio.with_name("bad-run.toml")
    cfg.write_text(portfolio.read_text().replace("lock_timeout_seconds = 0.5\n", f"{setting}\n", 1))
    assert _run(cfg, "2022-06", tmp_path / "r") == 2
    err = capsys.readouterr().err
    assert "[run]" in err and message in err and "Traceback" not in err
    assert not (tmp_path / "r").exists()


def test_out_pointing_at_a_file_is_refused(portfolio: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports.txt"
    out.write_text("not a folder")
    with pytest.raises(OutputFolderError, match="is a file; expected a folder"):
        runner.run_monthly(portfolio, "2022-06", out)
    assert out.read_text() == "not a folder"
