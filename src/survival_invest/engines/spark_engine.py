"""Apache Spark: the distributed engine, with the same SQL as DuckDB.

The extract is read by Spark (``spark.read.parquet`` of a file or folder, or
CSV) and the cohort rules of :mod:`survival_invest.engines.sql` run as Spark
SQL; the small relations (members, codes, period map) are broadcast-sized
pandas frames. The session comes from ``spark_master`` and ``spark_conf`` in
the config, else from the environment (``SPARK_MASTER``, or ``local[*]``), or
an existing active session (e.g. on Databricks) is used as is.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pandas as pd
from py4j.protocol import Py4JError  # type: ignore[import-untyped]  # py4j ships no type stubs
from pyspark.errors import PySparkException

from survival_invest.config import ConfigError
from survival_invest.engines.aggregates import spells_files
from survival_invest.errors import EngineError, ExtractError
from survival_invest.io.sources import Location, is_uri, remote_scheme

__all__ = ["SparkBackend", "probe_master", "spark_error_line", "spark_session"]

#: The errors of a Spark call (Java exceptions arrive as Py4JJavaError, a Py4JError).
SPARK_ERRORS = (PySparkException, Py4JError)


def spark_error_line(exc: BaseException) -> str:
    """The first line of a Spark error: the Java exception's message, not Py4J's "An error occurred while calling"."""
    java = getattr(exc, "java_exception", None)
    text = str(java.toString()) if java is not None else str(exc)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return (lines[0] if lines else type(exc).__name__)[:300]


def probe_master(master: str, timeout: float) -> None:
    """Refuse a ``spark://host:port[,host:port]`` master none of whose hosts accepts a connection in ``timeout`` s.

    Spark's standalone client retries for about a minute and then fails with
    "Cannot call methods on a stopped SparkContext"; this probe says which
    master could not be reached, and how long it waited, before the session is
    built. Other masters (``local[*]``, ``yarn``, ``k8s://``) are not probed.

    Raises
    ------
    ConfigError
        No host of the master answered.
    """
    if not master.startswith("spark://"):
        return
    start, reasons = time.monotonic(), []
    for hostport in master.removeprefix("spark://").split(","):
        url = urlparse(f"spark://{hostport}")
        try:
            with socket.create_connection((url.hostname or "", url.port or 7077), timeout=timeout):
                return
        except OSError as exc:
            reasons.append(f"{hostport}: {exc.strerror or type(exc).__name__}")
    raise ConfigError(
        f"cannot reach the Spark master {master} (waited {time.monotonic() - start:.1f} s, "
        f"connect_timeout_seconds = {timeout:g}; {'; '.join(reasons)}): check [engine] spark_master or "
        "$SPARK_MASTER, that the master runs, and that its port is open from this machine."
    )


def spark_session(
    master: str | None = None,
    conf: Mapping[str, str] | None = None,
    app_name: str = "survival-invest",
    connect_timeout: float = 10.0,
) -> Any:
    """The active Spark session, or a new one on ``master`` (default ``$SPARK_MASTER`` or ``local[*]``).

    Parameters
    ----------
    master : str, optional
        A Spark master URL; when ``None`` an active session is reused.
    conf : mapping, optional
        Spark settings (``spark.sql.shuffle.partitions`` ...).
    app_name : str
        The application name shown in the Spark UI.
    connect_timeout : float
        Seconds to wait for a ``spark://`` master (:func:`probe_master`).

    Returns
    -------
    pyspark.sql.SparkSession

    Raises
    ------
    ConfigError
        The master cannot be reached.
    EngineError
        The session could not be started (the first line of Spark's error).
    """
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None and master is None:
        return active
    url = master or os.environ.get("SPARK_MASTER", "local[*]")
    probe_master(url, connect_timeout)
    builder = SparkSession.builder.appName(app_name).master(url)
    settings = {
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.ui.showConsoleProgress": "false",
        "spark.ui.enabled": "false",
        "spark.sql.shuffle.partitions": "8",
    }
    settings.update(conf or {})
    for key, value in settings.items():
        builder = builder.config(key, value)
    start = time.monotonic()
    try:
        session = builder.getOrCreate()
        session.sparkContext.setLogLevel("ERROR")
    except SPARK_ERRORS as exc:
        raise EngineError(
            f"the Spark session on {url} could not start (after {time.monotonic() - start:.1f} s): "
            f"{spark_error_line(exc)}"
        ) from exc
    return session


def _spark_path(spells: Location) -> str:
    """The path Spark reads: a URI untouched; a local path as a ``file://`` URI (not the cluster's default FS)."""
    return str(spells) if is_uri(spells) else "file://" + str(Path(spells).absolute())


class SparkBackend:
    """A Spark session with the extract as the temporary view ``spells`` (see :class:`~survival_invest.engines.aggregates.SqlBackend`).

    A local input (file, folder, glob, ``file://``) is checked before the
    session starts, so a wrong path never registers an application on the
    cluster; a remote URI is checked by Spark when it is read.
    """

    name = "spark"

    def __init__(
        self,
        spells: Location,
        *,
        master: str | None = None,
        conf: Mapping[str, str] | None = None,
        session: Any = None,
        connect_timeout: float = 10.0,
    ) -> None:
        remote = remote_scheme(spells) is not None
        kind, files = (
            ("csv" if str(spells).lower().endswith(".csv") else "parquet", []) if remote else spells_files(spells)
        )
        self.spark = session or spark_session(master, conf, connect_timeout=connect_timeout)
        self._cached: list[str] = []
        path = _spark_path(spells)
        try:
            if kind == "parquet":
                df = self.spark.read.parquet(path)
            else:
                df = self.spark.read.csv(path, header=True, inferSchema=False)
                from pyspark.sql.types import LongType

                df = (
                    df.withColumn("person_id", df["person_id"].cast(LongType()))
                    if files and _all_digits(files[0])
                    else df
                )
            df.select("person_id", "period", "benefit").createOrReplaceTempView("spells")
        except SPARK_ERRORS as exc:
            line = spark_error_line(exc)
            if "PATH_NOT_FOUND" in line or "does not exist" in line:
                raise ExtractError(
                    f"{spells}: the spells path does not exist on the cluster's storage ({line})."
                ) from exc
            raise ExtractError(f"{spells}: Spark cannot read the spells: {line}") from exc

    def id_kind(self) -> str:
        """``"integer"`` or ``"string"``: the type of the extract's person_id column."""
        dtype = dict(self.spark.table("spells").dtypes)["person_id"]
        return "integer" if dtype in ("int", "bigint", "smallint", "tinyint") else "string"

    def register(self, name: str, frame: pd.DataFrame) -> None:
        """Make a pandas DataFrame available to queries as the table ``name``."""
        f = frame.copy()
        for c in f.columns:
            if str(f[c].dtype) == "Int64":  # nullable ints: Spark wants objects or plain ints
                f[c] = f[c].astype(object).where(f[c].notna(), None)
        df = self.spark.createDataFrame(f) if len(f) else self.spark.createDataFrame(f.astype(str))
        df.createOrReplaceTempView(name)

    def query(self, sql: str) -> pd.DataFrame:
        """Run a query and return its (small) result as a DataFrame."""
        try:
            return self.spark.sql(sql).toPandas()
        except SPARK_ERRORS as exc:
            raise EngineError(f"a Spark job failed: {spark_error_line(exc)} (run with -v for the trace)") from exc

    def materialise(self, name: str, sql: str) -> None:
        """Run a query into the table ``name``, kept by the engine for later queries."""
        try:
            df = self.spark.sql(sql).persist()
            df.count()  # compute once; later queries read the cached result
        except SPARK_ERRORS as exc:
            raise EngineError(f"a Spark job failed: {spark_error_line(exc)} (run with -v for the trace)") from exc
        df.createOrReplaceTempView(name)
        self._cached.append(name)

    def close(self) -> None:
        """Release the engine's tables and connection (and temporary files)."""
        for name in self._cached:
            self.spark.catalog.uncacheTable(name) if self.spark.catalog.tableExists(name) else None
            self.spark.catalog.dropTempView(name)

    def __enter__(self) -> SparkBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _all_digits(path: Path) -> bool:
    """Whether the CSV's person ids look numeric (as pandas would read them); first 1000 rows."""
    head = pd.read_csv(path, nrows=1000, usecols=["person_id"])
    return head["person_id"].dtype.kind in "iu"
