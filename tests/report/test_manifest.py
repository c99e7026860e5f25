"""run.json (report.manifest): what identifies each input, with what the engine reported of a remote one."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from survival_invest.config import load_config
from survival_invest.io.periods import RunClock
from survival_invest.io.sources import engine_files_report
from survival_invest.report.manifest import RunStamp, run_manifest

ROOT = Path(__file__).parents[2]


def manifest(**kwargs: object) -> dict[str, object]:
    portfolio = load_config(ROOT / "examples" / "norddjurs.toml")
    return run_manifest(
        portfolio,
        RunClock.parse("2022-06", 2, "month"),
        RunStamp(datetime(2026, 1, 2, 3, 4, 5), "20260102T030405-abcdef"),
        results_rows=0,
        input_rows={},
        engine="spark",
        statistics={},
        warnings=[],
        config_sha256="0" * 64,
        inputs_sha256={},
        **kwargs,  # type: ignore[arg-type]
    )


def test_a_uri_is_recorded_with_what_the_engine_read() -> None:
    uri = "hdfs://nn:9000/spells"
    files = [f"{uri}/part-{i}.parquet" for i in (1, 0)]
    info = manifest(
        inputs={uri: {"kind": "uri", "uri": uri}},
        engine_inputs={uri: engine_files_report("duckdb", files, [10, 5])},
    )
    entry = info["inputs"][uri]  # type: ignore[index]
    assert entry["kind"] == "uri" and entry["uri"] == uri
    assert entry["engine_report"] == {"engine": "duckdb", "file_count": 2, "files": sorted(files), "rows": 15}


def test_an_engine_that_could_not_say_is_recorded_as_such_and_nothing_fails() -> None:
    uri = "s3a://bucket/memberships.parquet"
    info = manifest(engine_inputs={uri: {"engine": "spark", "unavailable": "Connection refused"}})
    assert info["inputs"][uri] == {  # type: ignore[index]
        "kind": "uri",
        "uri": uri,
        "engine_report": {"engine": "spark", "unavailable": "Connection refused"},
    }
    assert manifest()["inputs"] == {}


def test_a_long_file_list_is_cut_but_counted() -> None:
    files = [f"s3://b/part-{i:05d}.parquet" for i in range(1500)]
    report = engine_files_report("spark", files)
    assert report["file_count"] == 1500 and len(report["files"]) == 1000 and report["files_cut"] is True  # type: ignore[arg-type]
    assert "rows" not in report  # Spark's inputFiles() gives no counts
