"""Inputs as a national run gives them: folders of Parquet parts, globs, URIs; and what each engine says of them.

The last test runs a real Spark standalone cluster on 127.0.0.1: master and one
worker from the installed PySpark, started with the commands of docs/scaling.md,
bound to the loopback address only (``--host 127.0.0.1`` and
``SPARK_LOCAL_IP=127.0.0.1``, which the web UIs bind to), and stopped by the
pids this module started, also when a test fails. Every wait is bounded.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyspark
import pytest

from survival_invest.cli import main
from survival_invest.config import ConfigError, load_config
from survival_invest.engines.duckdb_engine import DuckDBBackend

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "norddjurs.toml"


def write_parts(folder: Path) -> list[str]:
    """The bundled spells as hive-style parts (``year=YYYY/part-N.parquet``), two parts per year; their names."""
    spells = pd.read_csv(load_config(EXAMPLE).data.spells, dtype=str)
    names = []
    for year, rows in spells.groupby(spells["period"].str[:4]):
        (folder / f"year={year}").mkdir(parents=True)
        for i, half in enumerate((rows.iloc[: len(rows) // 2], rows.iloc[len(rows) // 2 :])):
            half.to_parquet(folder / f"year={year}" / f"part-{i}.parquet", index=False)
            names.append(f"year={year}/part-{i}.parquet")
    (folder / "_SUCCESS").write_text("", encoding="utf-8")  # what Spark leaves; not a part
    return sorted(names)


def portfolio(tmp: Path, spells: str, engine: str, extra: str = "") -> Path:
    """The bundled portfolio with ``spells`` as given (relative to ``tmp``, or a URI) and an engine."""
    cfg = load_config(EXAMPLE)
    shutil.copy(cfg.data.memberships, tmp / "memberships.csv")
    text = EXAMPLE.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^spells\s*=.*$", f'spells = "{spells}"', text)
    text = re.sub(r"(?m)^memberships\s*=.*$", 'memberships = "memberships.csv"', text)
    if cfg.data.finance:
        shutil.copy(cfg.data.finance, tmp / Path(cfg.data.finance).name)
        text = re.sub(r"(?m)^finance\s*=.*$", f'finance = "{Path(cfg.data.finance).name}"', text)
    text = re.sub(r"(?m)^classification\s*=.*$", "", text)
    text += f'\n[engine]\nname = "{engine}"\n{extra}\n'
    (tmp / f"{engine}.toml").write_text(text, encoding="utf-8")
    return tmp / f"{engine}.toml"


@pytest.fixture(scope="module")
def parts(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    tmp = tmp_path_factory.mktemp("parts")
    return tmp, write_parts(tmp / "spells_parts")


def info_of(out: Path) -> dict[str, Any]:
    """The run.json of the 2022-06 run in ``out``."""
    return dict(json.loads((out / "2022-06" / "run.json").read_text(encoding="utf-8")))


def run(config: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["run", "--config", str(config), "--as-of", "2022-06", "--out", str(out), "--quiet"])
    return code, capsys.readouterr().err


def test_a_folder_of_parts_runs_through_run_and_run_json_lists_the_parts(parts, capsys) -> None:
    tmp, names = parts
    reference = main(["run", "--config", str(EXAMPLE), "--as-of", "2022-06", "--out", str(tmp / "ref"), "--quiet"])
    assert reference == 0
    for engine in ("duckdb", "memory"):
        code, err = run(portfolio(tmp, "spells_parts", engine), tmp / f"out_{engine}", capsys)
        assert code == 0, err
        got = (tmp / f"out_{engine}" / "2022-06" / "results.csv").read_bytes()
        assert got == (tmp / "ref" / "2022-06" / "results.csv").read_bytes(), engine
        info = info_of(tmp / f"out_{engine}")
        assert info["engine"] == engine
        spells = info["inputs"][str(tmp / "spells_parts")]
        assert spells["kind"] == "parts" and spells["hashed"] == "parquet footers"
        assert [p["name"] for p in spells["parts"]] == names  # sorted, _SUCCESS left out
        assert all(p["bytes"] > 0 and p["modified_utc"][:2] == "20" for p in spells["parts"])
        assert re.fullmatch("[0-9a-f]{64}", spells["sha256"])
        assert info["inputs_sha256"][str(tmp / "spells_parts")] == spells["sha256"]


def test_a_glob_of_parts_gives_the_same_hash_as_its_folder_and_a_changed_part_another(parts, capsys) -> None:
    tmp, _ = parts
    from survival_invest.io.sources import input_identity

    folder = input_identity(tmp / "spells_parts")
    glob = input_identity(tmp / "spells_parts" / "**" / "*.parquet")
    assert glob["sha256"] == folder["sha256"] and glob["parts"] == folder["parts"]
    copy = tmp / "changed"
    shutil.copytree(tmp / "spells_parts", copy)
    first = sorted(copy.rglob("part-0.parquet"))[0]
    frame = pd.read_parquet(first)
    frame.iloc[:-1].to_parquet(first, index=False)
    assert input_identity(copy)["sha256"] != folder["sha256"]


def test_uris_are_never_joined_to_the_config_folder(tmp_path: Path) -> None:
    cfg = load_config(portfolio(tmp_path, "hdfs://127.0.0.1:9000/data/spells_parts", "spark"))
    assert cfg.data.spells == "hdfs://127.0.0.1:9000/data/spells_parts"
    cfg = load_config(portfolio(tmp_path, "file:///data/spells.parquet", "duckdb"))
    assert cfg.data.spells == "file:///data/spells.parquet"
    assert load_config(portfolio(tmp_path, "parts/*.parquet", "duckdb")).data.spells == tmp_path / "parts/*.parquet"


def test_a_file_uri_is_read_as_the_local_path(parts, capsys) -> None:
    tmp, _ = parts
    uri = (tmp / "spells_parts").as_uri()
    code, err = run(portfolio(tmp, uri, "duckdb"), tmp / "out_uri", capsys)
    assert code == 0, err
    assert (tmp / "out_uri" / "2022-06" / "results.csv").read_bytes() == (
        tmp / "out_duckdb" / "2022-06" / "results.csv"
    ).read_bytes()
    info = info_of(tmp / "out_uri")
    # a file:// URI is local storage: identified by its parts' footers like the folder, nothing asked of the engine
    assert info["inputs"][uri]["sha256"] == info_of(tmp / "out_duckdb")["inputs"][str(tmp / "spells_parts")]["sha256"]
    assert "engine_report" not in info["inputs"][uri]


@pytest.mark.parametrize(
    ("engine", "uri", "says"),
    [
        ("memory", "hdfs://127.0.0.1:9/data/spells", "in-memory engine cannot read; use engine 'spark'"),
        ("memory", "s3a://bucket/spells", "use engine 'spark'"),
        ("memory", "abfss://c@acct.dfs.core.windows.net/spells", "use engine 'spark'"),
        ("memory", "s3://bucket/spells", "engine 'spark' or 'duckdb' (with its httpfs extension)"),
        ("duckdb", "hdfs://127.0.0.1:9/data/spells", "DuckDB cannot read hdfs:// storage; use engine 'spark'"),
    ],
)
def test_an_engine_that_cannot_read_a_uri_exits_2_naming_those_that_can(tmp_path, capsys, engine, uri, says) -> None:
    code, err = run(portfolio(tmp_path, uri, engine), tmp_path / "out", capsys)
    assert code == 2
    assert says in err and uri in err
    assert not (tmp_path / "out" / "2022-06").exists()


def test_duckdb_reads_s3_only_through_an_extension_it_can_load_offline(tmp_path) -> None:
    """No network here: httpfs is not installed, so DuckDB says so (exit 2) instead of downloading it."""
    try:
        backend = DuckDBBackend("s3://bucket/spells.parquet")
    except ConfigError as exc:
        message = str(exc)
    else:  # the extension is installed on this machine: then it must have loaded
        loaded = backend.query("SELECT loaded FROM duckdb_extensions() WHERE extension_name = 'httpfs'")
        backend.close()
        message = "'httpfs' extension INSTALL httpfs" if bool(loaded["loaded"].iloc[0]) else "not loaded"
    assert "'httpfs' extension" in message and "INSTALL httpfs" in message


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed when the socket is: nothing listens there


@pytest.fixture
def no_spark_session() -> None:
    """No local Spark session left running by an earlier test (a running one refuses another master)."""
    from pyspark import SparkContext

    if SparkContext._active_spark_context is not None:
        SparkContext._active_spark_context.stop()


def test_an_unreachable_master_exits_2_naming_it_and_the_time_waited(parts, capsys, no_spark_session) -> None:
    tmp, _ = parts
    master = f"spark://127.0.0.1:{closed_port()}"
    config = portfolio(tmp, "spells_parts", "spark", f'spark_master = "{master}"\nconnect_timeout_seconds = 2')
    start = time.monotonic()
    code, err = run(config, tmp / "out_unreachable", capsys)
    assert code == 2
    assert f"cannot reach the Spark master {master} (waited" in err and "connect_timeout_seconds = 2" in err
    assert time.monotonic() - start < 30  # not Spark's minute of retries


def test_a_missing_input_is_refused_before_a_spark_application_starts(tmp_path, capsys) -> None:
    """The master does not exist either: the path check comes first, so the message is about the path."""
    config = portfolio(tmp_path, "nowhere/", "spark", f'spark_master = "spark://127.0.0.1:{closed_port()}"')
    code, err = run(config, tmp_path / "out", capsys)
    assert code == 2
    assert "nowhere: the spells file does not exist" in err


def test_validate_accepts_a_folder_and_says_a_uri_is_checked_by_the_engine(parts, capsys) -> None:
    tmp, _ = parts
    assert main(["validate", "--config", str(portfolio(tmp, "spells_parts", "duckdb"))]) == 0
    assert "spells_parts" in capsys.readouterr().out
    code = main(["validate", "--config", str(portfolio(tmp, "hdfs://127.0.0.1:9/spells", "spark"))])
    out = capsys.readouterr().out
    assert "hdfs://127.0.0.1:9/spells: on remote storage, read and checked by the engine" in out
    assert code == 0


SPARK_HOME = Path(pyspark.__file__).parent
CLI = [sys.executable, "-c", "from survival_invest.cli import main; raise SystemExit(main())"]


def free_port(preferred: int) -> int:
    """``preferred`` (7077, 8080 ...) when nothing listens there on 127.0.0.1, else a free port."""
    for port in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(s.getsockname()[1])
    raise OSError("no free port on 127.0.0.1")


def master_status(ui: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{ui}/json/", timeout=5) as r:
        return json.loads(r.read())


def wait_for(what: str, check, seconds: float, procs: list[subprocess.Popen]) -> object:
    """Poll ``check`` until it returns something truthy; fail after ``seconds`` or when a process died."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        dead = [p.args for p in procs if p.poll() is not None]
        assert not dead, f"{what}: a cluster process exited: {dead}"
        try:
            got = check()
        except OSError:
            got = None
        if got:
            return got
        time.sleep(0.5)
    raise AssertionError(f"{what}: not within {seconds} s")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """``(master URL, master web UI port)`` of a standalone master and one worker (1 core, 1 GB)."""
    tmp = tmp_path_factory.mktemp("cluster")
    port, ui, worker_ui = free_port(7077), free_port(8080), free_port(8081)
    env = {**os.environ, "SPARK_HOME": str(SPARK_HOME), "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_LOG_DIR": str(tmp)}
    spark_class = str(SPARK_HOME / "bin" / "spark-class")
    master = [spark_class, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1"]
    master += ["--port", str(port), "--webui-port", str(ui)]
    worker = [spark_class, "org.apache.spark.deploy.worker.Worker", f"spark://127.0.0.1:{port}", "--host", "127.0.0.1"]
    worker += ["--cores", "1", "--memory", "1g", "--webui-port", str(worker_ui), "--work-dir", str(tmp / "work")]
    procs: list[subprocess.Popen] = []
    logs = [open(tmp / name, "wb") for name in ("master.log", "worker.log")]  # noqa: SIM115  # closed in finally
    try:
        procs.append(
            subprocess.Popen(master, env=env, stdout=logs[0], stderr=subprocess.STDOUT, start_new_session=True)
        )
        wait_for("master web UI", lambda: master_status(ui).get("status") == "ALIVE", 60, procs)
        procs.append(
            subprocess.Popen(worker, env=env, stdout=logs[1], stderr=subprocess.STDOUT, start_new_session=True)
        )
        wait_for("worker registered", lambda: master_status(ui).get("aliveworkers") == 1, 60, procs)
        yield f"spark://127.0.0.1:{port}", ui
    finally:
        for p in reversed(procs):  # by the pids started here (each in its own session: spark-class execs java)
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=10)
        for f in logs:
            f.close()


def cli_run(config: Path, out: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"}
    args = ["run", "--config", str(config), "--as-of", "2022-06", "--out", str(out), "--quiet"]
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=240, check=False)


def test_run_on_a_standalone_cluster_gives_the_in_memory_results(cluster, tmp_path: Path) -> None:
    master, ui = cluster
    write_parts(tmp_path / "spells_parts")
    memory = cli_run(EXAMPLE, tmp_path / "memory")
    assert memory.returncode == 0, memory.stderr
    conf = (
        f'spark_master = "{master}"\n[engine.spark_conf]\n"spark.app.name" = "survival-invest-cluster-test"\n'
        '"spark.driver.host" = "127.0.0.1"\n"spark.driver.bindAddress" = "127.0.0.1"\n'
        '"spark.executor.memory" = "768m"\n"spark.cores.max" = "1"\n'
    )
    for engine in ("spark", "duckdb"):
        result = cli_run(
            portfolio(tmp_path, "spells_parts", engine, conf if engine == "spark" else ""), tmp_path / engine
        )
        assert result.returncode == 0, result.stderr
        got = (tmp_path / engine / "2022-06" / "results.csv").read_bytes()
        assert got == (tmp_path / "memory" / "2022-06" / "results.csv").read_bytes(), engine
        info = info_of(tmp_path / engine)
        assert info["engine"] == engine
        assert info["inputs"][str(tmp_path / "spells_parts")]["kind"] == "parts"
    status = master_status(ui)
    apps = [a for a in status["completedapps"] if a["name"] == "survival-invest-cluster-test"]
    assert len(apps) == 1, status["completedapps"]
    assert apps[0]["state"] == "FINISHED" and apps[0]["cores"] >= 1  # ran with the worker's executor
    assert not status["activeapps"]


def cluster_conf(master: str, mount: Path) -> str:
    """``[engine]`` lines for the test cluster, with ``viewfs://test/data`` mounted on ``mount``.

    A viewfs URI is resolved by Spark's Hadoop file system on the driver and
    the executors, never by this package: it stands for ``hdfs://`` storage.
    """
    return (
        f'spark_master = "{master}"\n[engine.spark_conf]\n"spark.app.name" = "survival-invest-cluster-errors"\n'
        '"spark.driver.host" = "127.0.0.1"\n"spark.driver.bindAddress" = "127.0.0.1"\n'
        '"spark.executor.memory" = "768m"\n"spark.cores.max" = "1"\n"spark.task.maxFailures" = "1"\n'
        f'"spark.hadoop.fs.viewfs.mounttable.test.link./data" = "{mount.as_uri()}"\n'
    )


def no_java_stack(stderr: str) -> bool:
    """Whether stderr is free of Java stack frames and Py4J's wrapping."""
    return not re.search(r"^\s+at [\w$.]+\(", stderr, re.M) and "Py4JJavaError" not in stderr


def test_a_path_missing_on_the_cluster_exits_2_with_one_line(cluster, tmp_path: Path) -> None:
    master, _ = cluster
    (tmp_path / "mount").mkdir()
    config = portfolio(tmp_path, "viewfs://test/data/nowhere", "spark", cluster_conf(master, tmp_path / "mount"))
    result = cli_run(config, tmp_path / "out")
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors and errors[0].startswith(
        "error: viewfs://test/data/nowhere: the spells path does not exist on the cluster's storage ("
    )
    assert "PATH_NOT_FOUND" in errors[0] and no_java_stack(result.stderr), result.stderr
    assert not (tmp_path / "out" / "2022-06").exists()


def test_a_failed_spark_job_exits_2_with_the_first_line_of_the_error(cluster, tmp_path: Path) -> None:
    master, _ = cluster
    parts = tmp_path / "mount" / "spells_parts"
    write_parts(parts)
    (parts / "year=2022" / "part-9.parquet").write_bytes(b"PAR1" + b"\0" * 64 + b"PAR1")  # not Parquet
    config = portfolio(tmp_path, "viewfs://test/data/spells_parts", "spark", cluster_conf(master, tmp_path / "mount"))
    result = cli_run(config, tmp_path / "out")
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and errors[0].startswith("error: a Spark job failed: "), result.stderr
    assert "part-9.parquet" in errors[0] and errors[0].endswith("(run with -v for the trace)")
    assert no_java_stack(result.stderr), result.stderr
    assert not (tmp_path / "out" / "2022-06").exists()
    verbose = subprocess.run(
        [*CLI, "-v", "run", "--config", str(config), "--as-of", "2022-06", "--out", str(tmp_path / "out")],
        env={**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"},
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert verbose.returncode == 2 and "Traceback" in verbose.stderr  # -v shows the trace
