"""The command line: exit codes, messages and the files it writes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from survival_invest.cli import Progress, main

BUNDLED = Path(__file__).parents[1] / "data" / "synthetic" / "two_groups.csv"


def test_curves_writes_plot_and_area(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["curves", "--data", str(BUNDLED), "--tau", "36", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Area between curves to 36 periods" in out
    png = (tmp_path / "curves.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20000
    assert (tmp_path / "curves.svg").read_text().lstrip().startswith("<?xml")
    area = json.loads((tmp_path / "area.json").read_text())
    truth = json.loads((BUNDLED.parent / "two_groups_truth.json").read_text())
    assert area["lower"] <= truth["true_area_36"] <= area["upper"]
    assert not list(tmp_path.glob(".*.tmp")), "temporary files left behind"


def test_missing_file_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["curves", "--data", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2
    assert "nope.csv: file not found" in err and err.count("\n") == 1 and "Traceback" not in err


def test_missing_column_and_empty_group_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("group,time,event\ncomparison,1,1\n")
    assert main(["curves", "--data", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "missing column(s) ['duration']" in capsys.readouterr().err
    bad.write_text("group,duration,event\ncomparison,1,1\n")
    assert main(["curves", "--data", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "no rows with value 'intervention'" in capsys.readouterr().err


def test_bad_value_in_data_exits_2_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("group,duration,event\ncomparison,1,1\ncomparison,-3,1\nintervention,2,1\n")
    assert main(["curves", "--data", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "durations must be non-negative; position 1 holds -3" in capsys.readouterr().err


def test_progress_bar_only_on_a_terminal() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Tty()
    bar = Progress(quiet=False, stream=tty)
    bar("case 1", 2, 4)
    assert "[##########----------] 2/4 case 1" in tty.getvalue()
    quiet = Tty()
    Progress(quiet=True, stream=quiet)("case 1", 2, 4)
    assert quiet.getvalue() == ""
    pipe = io.StringIO()  # not a terminal
    Progress(quiet=False, stream=pipe)("case 1", 2, 4)
    assert pipe.getvalue() == ""
