"""Spark reads the extract by the in-memory reader's rules, reads remote memberships, and says what it read.

Spark runs in local mode here, with a Hadoop ``viewfs://`` mount onto a
temporary folder: a URI that only Spark resolves (as ``hdfs://`` would be on a
cluster), so the remote paths of issue 21 — memberships on the cluster's
storage, what the engine reports of a URI, a missing path, a failed job — are
tested without a network. The same paths on a real standalone cluster:
``tests/pipeline/test_inputs.py``.
"""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from survival_invest.config import load_config
from survival_invest.engines import portfolio_statistics
from survival_invest.engines.spark_engine import CACHE_ROWS, SparkBackend, spark_session
from survival_invest.errors import EngineError, ExtractError
from survival_invest.pipeline.portfolio import run_portfolio_full

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "norddjurs.toml"


@pytest.fixture(scope="module")
def mount(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder ``viewfs://test/data`` names."""
    return tmp_path_factory.mktemp("viewfs")


@pytest.fixture(scope="module")
def spark(mount: Path) -> Iterator[Any]:
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    # A session an earlier test module left running (a run with engine="spark"
    # keeps its session for the next run) would be returned by getOrCreate
    # without this mount table: stop it, so this module's settings take effect.
    if SparkContext._active_spark_context is not None:
        SparkContext._active_spark_context.stop()
    session = (
        SparkSession.builder.master("local[2]")
        .appName("survival-invest-test-spark-engine")
        .config("spark.hadoop.fs.viewfs.mounttable.test.link./data", mount.as_uri())
        # Hadoop caches a file system per scheme and authority for the JVM's
        # life; uncached, another module's viewfs://test mount cannot leak here.
        .config("spark.hadoop.fs.viewfs.impl.disable.cache", "true")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("OFF")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return run_portfolio_full(EXAMPLE, "2022-06", engine="memory").results


def edited_portfolio(tmp: Path, spells: str, memberships: str, extra: str = "") -> Path:
    """The bundled portfolio with other spells and memberships (files, folders or URIs, as given)."""
    cfg = load_config(EXAMPLE)
    text = EXAMPLE.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^spells\s*=.*$", f'spells = "{spells}"', text)
    text = re.sub(r"(?m)^memberships\s*=.*$", f'memberships = "{memberships}"{extra}', text)
    if cfg.data.finance:
        text = re.sub(r"(?m)^finance\s*=.*$", f'finance = "{cfg.data.finance}"', text)
    text = re.sub(r"(?m)^classification\s*=.*$", "", text)
    (tmp / "portfolio.toml").write_text(text, encoding="utf-8")
    return tmp / "portfolio.toml"


def test_a_danish_export_gives_the_original_results_in_spark(spark, tmp_path, reference, caplog) -> None:
    """Semicolons, decimal commas, Windows-1252 and the id column PNR: as in memory (test_duckdb_engine)."""
    cfg = load_config(EXAMPLE)
    spells = pd.read_csv(cfg.data.spells, dtype=str)
    spells.insert(3, "kommune", "Århus Ø")
    spells["amount_kr"] = spells["amount_kr"].str.replace(".", ",", regex=False)
    spells.rename(columns={"person_id": "PNR"}).to_csv(tmp_path / "s.csv", sep=";", index=False, encoding="cp1252")
    members = pd.read_csv(cfg.data.memberships, dtype=str).rename(columns={"person_id": "pnr"})
    members.to_csv(tmp_path / "m.csv", index=False)
    config = edited_portfolio(tmp_path, "s.csv", "m.csv", '\nid_column = "PNR"')
    with caplog.at_level(logging.WARNING):
        got = run_portfolio_full(config, "2022-06", engine="spark")
    assert got.engine == "spark"
    pd.testing.assert_frame_equal(got.results, reference)
    assert any("s.csv: the spells file is not UTF-8" in r.getMessage() for r in caplog.records)


def test_remote_spells_and_memberships_are_read_by_spark_and_reported(spark, mount, tmp_path, reference) -> None:
    cfg = load_config(EXAMPLE)
    spells = pd.read_csv(cfg.data.spells, dtype=str)
    parts = mount / "spells_parts"
    for year, rows in spells.groupby(spells["period"].str[:4]):
        (parts / f"year={year}").mkdir(parents=True)
        rows.to_parquet(parts / f"year={year}" / "part-0.parquet", index=False)
    pd.read_csv(cfg.data.memberships, dtype=str).to_parquet(mount / "memberships.parquet", index=False)
    config = edited_portfolio(tmp_path, "viewfs://test/data/spells_parts", "viewfs://test/data/memberships.parquet")
    got = run_portfolio_full(config, "2022-06", engine="spark")
    pd.testing.assert_frame_equal(got.results, reference)
    ran = portfolio_statistics(load_config(config), "2022-06", engine="spark")
    report = ran.inputs["viewfs://test/data/spells_parts"]
    assert report["engine"] == "spark" and report["file_count"] == spells["period"].str[:4].nunique()
    assert all(str(f).startswith("viewfs://test/data/spells_parts/year=") for f in report["files"])  # type: ignore[union-attr]
    members = ran.inputs["viewfs://test/data/memberships.parquet"]
    assert members["files"] == ["viewfs://test/data/memberships.parquet"] and members["file_count"] == 1


def test_a_session_on_another_master_is_refused_not_silently_reused(spark) -> None:
    """getOrCreate would return the running local[2] session for any master: say so instead."""
    assert spark_session() is spark
    with pytest.raises(EngineError, match=r"session on local\[2\] is already running.*cannot start"):
        spark_session("spark://127.0.0.1:7077")
    assert spark_session("local[2]") is spark


def test_a_missing_remote_path_is_said_as_such(spark) -> None:
    with pytest.raises(ExtractError) as refused:
        SparkBackend("viewfs://test/data/nowhere", session=spark)
    message = str(refused.value)
    assert message.startswith("viewfs://test/data/nowhere: the spells path does not exist on the cluster's storage")
    assert "PATH_NOT_FOUND" in message and "\tat " not in message and "\n" not in message


def test_a_failed_job_is_one_line_from_spark_without_the_java_stack(spark, mount) -> None:
    parts = mount / "broken_parts"
    parts.mkdir()
    good = pd.DataFrame({"person_id": ["1", "2"], "period": ["2020-01", "2020-02"], "benefit": ["137", "111"]})
    good.to_parquet(parts / "part-0.parquet", index=False)
    (parts / "part-1.parquet").write_bytes(b"PAR1" + b"\0" * 64 + b"PAR1")  # a part that is not Parquet
    with (
        SparkBackend("viewfs://test/data/broken_parts", session=spark) as backend,
        pytest.raises(EngineError) as failed,
    ):
        backend.query("SELECT COUNT(*) AS n FROM spells")
    message = str(failed.value)
    assert message.startswith("a Spark job failed: ") and message.endswith("(run with -v for the trace)")
    assert "\n" not in message and "\tat " not in message and "Py4J" not in message
    assert "broken_parts/part-1.parquet" in message and "awaitResult" not in message  # names the file, not a wrapper


def test_the_id_column_setting_and_the_missing_column_message(spark, tmp_path) -> None:
    frame = pd.DataFrame({"Pnr": ["0101", "0202"], "period": ["2020-01", "2020-02"], "benefit": ["137", "111"]})
    frame.to_parquet(tmp_path / "s.parquet", index=False)
    with SparkBackend(tmp_path / "s.parquet", session=spark, id_column="PNR") as backend:
        got = backend.query("SELECT person_id FROM spells ORDER BY person_id")
        assert got["person_id"].tolist() == ["0101", "0202"]
    with pytest.raises(ExtractError) as refused:
        SparkBackend(tmp_path / "s.parquet", session=spark)
    assert "missing column 'person_id' ('Pnr' looks like it:" in str(refused.value)
    assert 'set [data] id_column = "Pnr"' in str(refused.value)


def test_a_local_csv_input_is_read_with_its_separator(spark, tmp_path) -> None:
    (tmp_path / "m.csv").write_text("person_id;case_id\n007;1\n", encoding="utf-8")
    shutil.copy(tmp_path / "m.csv", tmp_path / "s.csv")
    (tmp_path / "s.csv").write_text("person_id;period;benefit\n007;2020-01;137\n", encoding="utf-8")
    with SparkBackend(tmp_path / "s.csv", session=spark) as backend:
        assert backend.id_kind() == "integer"  # as pandas reads them: the SQL then compares integers
        assert backend.query("SELECT benefit FROM spells")["benefit"].tolist() == ["137"]
        assert backend.describe_input(tmp_path / "s.csv") == {}


def test_a_large_registered_frame_is_cached_in_few_partitions_and_released(spark, tmp_path) -> None:
    pd.DataFrame({"person_id": [1], "period": ["2020-01"], "benefit": ["137"]}).to_parquet(tmp_path / "s.parquet")
    n = CACHE_ROWS + 1
    big = pd.DataFrame({"member": np.arange(n, dtype=np.int64), "entry": np.arange(n, dtype=np.int64) % 7})
    with SparkBackend(tmp_path / "s.parquet", session=spark) as backend:
        backend.register("small", big.head(10))
        backend.register("members", big)
        assert spark.catalog.isCached("members") and not spark.catalog.isCached("small")
        table = spark.table("members")
        assert table.rdd.getNumPartitions() <= spark.sparkContext.defaultParallelism  # not one per Arrow batch
        got = backend.query("SELECT COUNT(*) AS n, SUM(entry) AS s FROM members")
        assert (got["n"].iloc[0], got["s"].iloc[0]) == (n, int(big["entry"].sum()))
    assert not spark.catalog.tableExists("members")  # closed: uncached and dropped
