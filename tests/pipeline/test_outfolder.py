"""The reports folder's run lock as the command line sets it (pipeline.outfolder; the folder steps: test_publishing)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from survival_invest import cli
from survival_invest.pipeline.outfolder import RunLock, RunLockedError

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "norddjurs.toml"


def run_args(out: Path, *extra: str) -> list[str]:
    return ["run", "--config", str(EXAMPLE), "--as-of", "2022-06", "--out", str(out), "--quiet", *extra]


def test_lock_wait_from_the_command_line_is_how_long_a_second_run_waits(tmp_path: Path, capsys) -> None:
    out = tmp_path / "reports"
    out.mkdir()
    got, release = threading.Event(), threading.Event()

    def hold() -> None:
        with RunLock(out, 0, "2022-05"):
            got.set()
            release.wait(30)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert got.wait(10)
        started = time.monotonic()
        code = cli.main(run_args(out, "--lock-wait", "0.4"))
        waited = time.monotonic() - started
    finally:
        release.set()
        thread.join()
    err = capsys.readouterr().err
    assert code == 2
    assert "another run is writing to" in err and "(as-of 2022-05)" in err
    assert "waited 0.4 s (--lock-wait" in err and waited >= 0.4
    assert not (out / "2022-06").exists()


def test_lock_wait_reaches_run_monthly_and_the_config_value_is_the_default(tmp_path: Path, monkeypatch) -> None:
    seen: list[float | None] = []

    def fake_run(config, as_of, out, *, progress=None, engine=None, lock_timeout=None):
        seen.append(lock_timeout)
        raise RunLockedError("held")

    monkeypatch.setattr(cli, "run_monthly", fake_run)
    assert cli.main(run_args(tmp_path / "a", "--lock-wait", "300")) == 2
    assert cli.main(run_args(tmp_path / "b", "--lock-wait", "0")) == 2
    assert cli.main(run_args(tmp_path / "c")) == 2
    assert seen == [300.0, 0.0, None]


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "soon"])
def test_a_bad_lock_wait_exits_2_naming_the_option(tmp_path: Path, capsys, value: str) -> None:
    with pytest.raises(SystemExit) as stop:
        cli.main(run_args(tmp_path / "out", "--lock-wait", value))
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "--lock-wait" in err and "expected a number of seconds, 0 or more" in err


def test_the_lock_message_names_the_config_key_by_default(tmp_path: Path) -> None:
    with RunLock(tmp_path, 0, "2022-05"), pytest.raises(RunLockedError) as refused, RunLock(tmp_path, 0, "2022-06"):
        pass
    assert "waited 0 s ([run] lock_timeout_seconds)" in str(refused.value)
