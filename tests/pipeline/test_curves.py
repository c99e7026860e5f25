"""The curves job as a library call: from a file or a DataFrame, the same figures and the files it writes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from survival_invest.estimate import area_between, kaplan_meier
from survival_invest.pipeline.curves import DataFileError, area_summary, fit_two_groups, write_curves

BUNDLED = Path(__file__).parents[2] / "data" / "synthetic" / "two_groups.csv"


def test_write_curves_from_a_file(tmp_path: Path) -> None:
    done = write_curves(BUNDLED, tmp_path / "out", tau=36)
    assert done.png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert done.svg.read_text().lstrip().startswith("<?xml")
    summary = json.loads(done.summary.read_text())
    assert summary["tau"] == 36 and summary["area_between"] == pytest.approx(done.area.value)
    assert summary["lower"] <= summary["area_between"] <= summary["upper"]
    assert set(summary["rmst_comparison"]) >= {"value", "se", "lower", "upper"}
    frame = pd.read_csv(BUNDLED)
    comp = frame[frame["group"] == "comparison"]
    assert done.comparison.label == f"comparison (n={len(comp)})"
    expected = area_between(
        kaplan_meier(comp["duration"], comp["event"]),
        kaplan_meier(
            frame.loc[frame["group"] == "intervention", "duration"],
            frame.loc[frame["group"] == "intervention", "event"],
        ),
        36,
    )
    assert done.area.value == pytest.approx(expected.value, rel=1e-12)
    assert not list((tmp_path / "out").glob(".*.tmp"))


def test_a_dataframe_with_other_group_labels_gives_the_same_area(tmp_path: Path) -> None:
    frame = pd.read_csv(BUNDLED)
    from_file = write_curves(BUNDLED, tmp_path / "a", tau=24)
    renamed = frame.assign(group=frame["group"].map({"comparison": "C", "intervention": "I"}))
    from_frame = write_curves(renamed, tmp_path / "b", tau=24, comparison="C", intervention="I")
    assert from_frame.area.value == pytest.approx(from_file.area.value, rel=1e-12)
    assert from_frame.intervention.label.startswith("I (n=")


def test_bad_data_raises_before_anything_is_written(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(DataFileError, match=r"nope\.csv: file not found"):
        write_curves(tmp_path / "nope.csv", out)
    with pytest.raises(DataFileError, match=r"<DataFrame>: missing column\(s\) \['duration'\]"):
        write_curves(pd.DataFrame({"group": ["comparison"], "time": [1], "event": [1]}), out)
    with pytest.raises(DataFileError, match="no rows with value 'intervention'"):
        fit_two_groups(pd.DataFrame({"group": ["comparison"], "duration": [1], "event": [1]}))
    assert not out.exists()


def test_area_summary_keys() -> None:
    frame = pd.read_csv(BUNDLED)
    comp, intv = fit_two_groups(frame)
    summary = area_summary(area_between(comp, intv, 12), 12)
    assert list(summary) == [
        "tau",
        "area_between",
        "se",
        "lower",
        "upper",
        "p_value",
        "rmst_comparison",
        "rmst_intervention",
    ]
