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
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from survival_invest.engines.aggregates import spells_files

__all__ = ["SparkBackend", "spark_session"]


def spark_session(
    master: str | None = None, conf: Mapping[str, str] | None = None, app_name: str = "survival-invest"
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

    Returns
    -------
    pyspark.sql.SparkSession
    """
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None and master is None:
        return active
    builder = SparkSession.builder.appName(app_name).master(master or os.environ.get("SPARK_MASTER", "local[*]"))
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
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


class SparkBackend:
    """A Spark session with the extract as the temporary view ``spells`` (see :class:`~survival_invest.engines.aggregates.SqlBackend`)."""

    name = "spark"

    def __init__(
        self, spells: Path, *, master: str | None = None, conf: Mapping[str, str] | None = None, session: Any = None
    ) -> None:
        self.spark = session or spark_session(master, conf)
        kind, files = spells_files(spells)
        path = str(spells)
        if kind == "parquet":
            df = self.spark.read.parquet(path if Path(path).is_dir() else str(files[0]))
        else:
            df = self.spark.read.csv(str(files[0]), header=True, inferSchema=False)
            from pyspark.sql.types import LongType

            df = df.withColumn("person_id", df["person_id"].cast(LongType())) if _all_digits(files[0]) else df
        self._cached: list[str] = []
        df.select("person_id", "period", "benefit").createOrReplaceTempView("spells")

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
        return self.spark.sql(sql).toPandas()

    def materialise(self, name: str, sql: str) -> None:
        """Run a query into the table ``name``, kept by the engine for later queries."""
        df = self.spark.sql(sql).persist()
        df.count()  # compute once; later queries read the cached result
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
