"""Where an input is (io.sources): files, folders of parts, globs and URIs, for spells and memberships alike."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from survival_invest.errors import ExtractError
from survival_invest.io.memberships import read_memberships
from survival_invest.io.sources import extract_columns, input_identity, local_path, part_files, remote_scheme

ROOT = Path(__file__).parents[2]
MEMBERS = ROOT / "data" / "synthetic" / "memberships.csv"


def members_in_parts(folder: Path) -> pd.DataFrame:
    """The bundled memberships as hive-style parts, one folder per case (plus Spark's _SUCCESS)."""
    frame = pd.read_csv(MEMBERS, dtype=str)
    for case, rows in frame.groupby("case_id"):
        (folder / f"case={case}").mkdir(parents=True)
        rows.to_parquet(folder / f"case={case}" / "part-0.parquet", index=False)
    (folder / "_SUCCESS").write_text("", encoding="utf-8")
    return frame


def test_memberships_may_be_a_folder_of_parts_or_a_glob(tmp_path: Path) -> None:
    frame = members_in_parts(tmp_path / "members")
    whole = read_memberships(MEMBERS)
    for location in (tmp_path / "members", tmp_path / "members" / "**" / "*.parquet"):
        got = read_memberships(location)
        assert len(got) == len(whole) == len(frame)
        cols = ["person_id", "case_id", "group", "entry_period"]
        pd.testing.assert_frame_equal(
            got[cols].astype(str).sort_values(cols).reset_index(drop=True),
            whole[cols].astype(str).sort_values(cols).reset_index(drop=True),
        )
    identity = input_identity(tmp_path / "members", "memberships")
    assert identity["kind"] == "parts" and [p["name"] for p in identity["parts"]] == [  # type: ignore[index]
        f"case={c}/part-0.parquet" for c in sorted(frame["case_id"].unique())
    ]


def test_remote_memberships_are_refused_by_the_local_reader_naming_the_engines() -> None:
    with pytest.raises(ExtractError, match=r"hdfs:// memberships are read by engine 'spark'"):
        read_memberships("hdfs://nn:9000/memberships.parquet")
    seen = []

    def engine_reads(location, what):
        seen.append((location, what))
        return pd.read_csv(MEMBERS, dtype=str)

    got = read_memberships("hdfs://nn:9000/m.csv", remote=engine_reads)  # as DuckDB's or Spark's read_frame
    assert seen == [("hdfs://nn:9000/m.csv", "memberships")] and len(got) == len(read_memberships(MEMBERS))
    assert got.attrs["source"] == "hdfs://nn:9000/m.csv"


def test_uris_stay_text_and_file_uris_are_local(tmp_path: Path) -> None:
    assert remote_scheme("abfss://c@a.dfs.core.windows.net/x") == "abfss" and remote_scheme(tmp_path) is None
    assert local_path((tmp_path / "a b.parquet").as_uri()) == tmp_path / "a b.parquet"
    assert local_path("s3a://bucket/x") is None
    with pytest.raises(ExtractError, match="the memberships are on remote storage"):
        part_files("s3a://bucket/x", "memberships")
    with pytest.raises(ExtractError, match="the memberships pattern matches no file"):
        part_files(tmp_path / "*.parquet", "memberships")


def test_the_columns_of_a_file_without_reading_its_rows(tmp_path: Path) -> None:
    pd.DataFrame({"PNR": ["1"], "period": ["2020-01"]}).to_parquet(tmp_path / "a.parquet")
    (tmp_path / "b.csv").write_bytes("PNR;periode;kommune\n1;2020-01;Århus\n".encode("cp1252"))
    assert extract_columns(tmp_path / "a.parquet") == ["PNR", "period"]
    assert extract_columns(tmp_path / "b.csv") == ["PNR", "periode", "kommune"]
