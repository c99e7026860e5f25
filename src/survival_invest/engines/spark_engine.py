"""Apache Spark: the distributed engine, with the same SQL as DuckDB.

The extract is read by Spark (``spark.read.parquet`` of a file or folder, or
CSV) and the cohort rules of :mod:`survival_invest.engines.sql` run as Spark
SQL; the small relations (members, codes, period map) are broadcast-sized
pandas frames. The session comes from ``spark_master`` and ``spark_conf`` in
the config, else from the environment (``SPARK_MASTER``, or ``local[*]``), or
an existing active session (e.g. on Databricks) is used as is.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import socket
import time
import warnings
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
from survival_invest.io.idcolumn import spells_id_column
from survival_invest.io.sources import Location, engine_files_report, is_uri, remote_scheme
from survival_invest.io.text import CsvDialect, csv_files_dialect, refuse_c1_bytes, separator_of

__all__ = ["SparkBackend", "probe_master", "spark_error_line", "spark_session"]

#: The errors of a Spark call (Java exceptions arrive as Py4JJavaError, a Py4JError).
SPARK_ERRORS = (PySparkException, Py4JError)


#: Defaults for a local master (``local[*]``), where the driver's JVM is the whole engine; ``spark_conf``
#: overrides them. Measured at 10^8 rows (2.4 M persons, docs/scaling.md): Spark's 1 GB default heap cannot
#: broadcast the members, and the tables the engine caches (the kept members, ~2.4 M rows) join the extract
#: by broadcast instead of a sort-merge join that shuffles every row of it through local disk.
LOCAL_SETTINGS = {"spark.driver.memory": "4g", "spark.sql.autoBroadcastJoinThreshold": "256m"}


#: Registered frames above this many rows (the members) are cached in the session (:meth:`SparkBackend.register`).
CACHE_ROWS = 100_000


#: Java wrappers whose message says nothing of the cause (the cause's message is taken instead).
_WRAPPERS = ("Exception thrown in awaitResult",)


def _java_messages(java: Any) -> list[str]:
    """The first line of each exception of a Java cause chain (outermost first; at most 10)."""
    out = []
    for _ in range(10):
        if java is None:
            break
        text = str(java.toString())
        first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
        if first and not any(w in first for w in _WRAPPERS):
            out.append(first)
        java = java.getCause()
    return out


def spark_error_line(exc: BaseException) -> str:
    """One line of a Spark error: the Java exception's message (not Py4J's "An error occurred while calling",
    nor a wrapper's "Exception thrown in awaitResult"), and its root cause when that is another message;
    at most 300 characters, never a stack trace.
    """
    java = getattr(exc, "java_exception", None)
    try:
        messages = _java_messages(java) if java is not None else []
    except SPARK_ERRORS:  # the JVM is gone: the Python text is all there is
        messages = []
    if not messages:
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip() and not ln.strip().startswith("at ")]
        messages = [ln for ln in lines if "An error occurred while calling" not in ln][:1]
    if not messages:
        return type(exc).__name__
    line = (
        messages[0] if len(messages) == 1 or messages[-1] in messages[0] else f"{messages[0]} (cause: {messages[-1]})"
    )
    return line[:300]


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
        The session could not be started (the first line of Spark's error), or
        a session on another master already runs in this process.
    """
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None and master is None:
        return active
    url = master or os.environ.get("SPARK_MASTER", "local[*]")
    if active is not None and active.sparkContext.master != url:
        # getOrCreate would hand back the running session and silently ignore
        # the master asked for: one process holds one SparkContext.
        raise EngineError(
            f"a Spark session on {active.sparkContext.master} is already running in this process, so one on "
            f"{url} cannot start: stop it (spark.stop()) first, or leave [engine] spark_master unset to use it."
        )
    probe_master(url, connect_timeout)
    builder = SparkSession.builder.appName(app_name).master(url)
    settings = {
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.ui.showConsoleProgress": "false",
        "spark.ui.enabled": "false",
        "spark.sql.shuffle.partitions": "8",
    }
    if url.startswith("local"):  # the driver is the whole engine
        settings.update(LOCAL_SETTINGS)
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


def _quiet_shutdown() -> None:
    """At interpreter exit, silence Spark's log unless debugging: its shutdown is not the run's outcome.

    When the process ends, the JVM's shutdown hook stops the context; on a
    cluster the master's last message can then reach an application client
    that is already gone, and Spark logs that race at ERROR level with a Java
    stack ("Could not find AppClient") after the run's own one-line message.
    The run's result is decided by then (its errors were converted to one line
    each), so the log is turned off, except with ``-v`` (debug logging).
    """
    from pyspark.sql import SparkSession

    if logging.getLogger("survival_invest").isEnabledFor(logging.DEBUG):
        return
    with contextlib.suppress(Exception):  # the gateway may already be gone: nothing left to silence
        session = SparkSession.getActiveSession()
        if session is not None:
            session.sparkContext.setLogLevel("OFF")


# once per process (not per session: spark_session may hand back the same session many times)
atexit.register(_quiet_shutdown)


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
        id_column: str | None = None,
    ) -> None:
        remote = remote_scheme(spells) is not None
        kind, files = (
            ("csv" if str(spells).lower().endswith(".csv") else "parquet", []) if remote else spells_files(spells)
        )
        dialect = csv_files_dialect(files, "spells") if kind == "csv" and files else None
        if dialect is not None and dialect.encoding == "cp1252":
            refuse_c1_bytes(files, "spells")
        self.spark = session or spark_session(master, conf, connect_timeout=connect_timeout)
        self._cached: list[str] = []
        self._frames: dict[str, Any] = {}  # the inputs read, by location (for describe_input)
        try:
            df = self._read(_spark_path(spells), kind, dialect)
            ident = spells_id_column(df.columns, id_column, str(spells))
            if kind == "csv" and files and _all_digits(files[0], ident, dialect):
                from pyspark.sql.types import LongType

                df = df.withColumn(ident, df[ident].cast(LongType()))
            self._frames[str(spells)] = df
            df.select(df[ident].alias("person_id"), "period", "benefit").createOrReplaceTempView("spells")
        except SPARK_ERRORS as exc:
            raise _read_error(spells, "spells", exc) from exc

    def _read(self, path: str, kind: str, dialect: CsvDialect | None) -> Any:
        """The extract as a Spark DataFrame: Parquet, or CSV by the in-memory reader's rules (:mod:`~survival_invest.io.text`)."""
        if kind == "parquet":
            return self.spark.read.parquet(path)
        if dialect is None:  # a remote CSV: the separator from its header line, UTF-8
            header = self.spark.read.text(path).first()
            dialect = CsvDialect("utf-8-sig", separator_of(str(header[0]) if header is not None else ""))
        encoding = "ISO-8859-1" if dialect.encoding == "cp1252" else "UTF-8"  # Latin-1 only where it is exact
        df = self.spark.read.csv(path, header=True, inferSchema=False, sep=dialect.sep, encoding=encoding)
        return df.toDF(*[c.lstrip("\ufeff") for c in df.columns])  # a byte-order mark stays in the first name

    def read_frame(self, location: Location, what: str) -> pd.DataFrame:
        """A small input (the memberships) on the cluster's storage as a pandas DataFrame (CSV: every column text).

        Raises
        ------
        ExtractError
            Spark cannot read it (a missing path named as such).
        """
        kind = "csv" if str(location).lower().endswith(".csv") else "parquet"
        try:
            df = self._read(_spark_path(location), kind, None)
            with warnings.catch_warnings():  # as in query
                warnings.simplefilter("ignore", UserWarning)
                frame = df.toPandas()
        except SPARK_ERRORS as exc:
            raise _read_error(location, what, exc) from exc
        self._frames[str(location)] = df
        return frame

    def describe_input(self, location: Location) -> dict[str, object]:
        """What Spark reports of a remote input for ``run.json``: the files it read (``inputFiles()``); never raises."""
        df = self._frames.get(str(location))
        if remote_scheme(location) is None or df is None:
            return {}
        try:
            files = [str(f) for f in df.inputFiles()]
        except SPARK_ERRORS as exc:
            return {"engine": "spark", "unavailable": spark_error_line(exc)[:200]}
        return engine_files_report("spark", files)

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
        if len(f) > CACHE_ROWS:
            # Arrow hands a large frame over as one partition per batch of 10,000 rows (245 tasks for the 2.4 M
            # members at 10^8), and every query re-reads them: cached once in as many partitions as cores
            df = df.coalesce(self.spark.sparkContext.defaultParallelism).persist()
            try:
                df.count()
            except SPARK_ERRORS as exc:
                raise EngineError(f"a Spark job failed: {spark_error_line(exc)} (run with -v for the trace)") from exc
            self._cached.append(name)
        df.createOrReplaceTempView(name)

    def query(self, sql: str) -> pd.DataFrame:
        """Run a query and return its (small) result as a DataFrame."""
        try:
            with warnings.catch_warnings():  # pyspark warns with the whole Java trace before it raises
                warnings.simplefilter("ignore", UserWarning)
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


def _read_error(location: Location, what: str, exc: BaseException) -> ExtractError:
    """A Spark read error as a package error: a missing path said as such, else the first line of Spark's error."""
    line = spark_error_line(exc)
    if "PATH_NOT_FOUND" in line or "does not exist" in line:
        return ExtractError(f"{location}: the {what} path does not exist on the cluster's storage ({line}).")
    return ExtractError(f"{location}: Spark cannot read the {what}: {line}")


def _all_digits(path: Path, column: str, dialect: CsvDialect | None) -> bool:
    """Whether the CSV's person ids look numeric (as pandas would read them); first 1000 rows."""
    sep, encoding = (",", "utf-8-sig") if dialect is None else (dialect.sep, dialect.encoding)
    head = pd.read_csv(path, nrows=1000, sep=sep, encoding=encoding)
    head.columns = [str(c).lstrip("\ufeff") for c in head.columns]
    return column in head.columns and head[column].dtype.kind in "iu"
