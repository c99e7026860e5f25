"""The run history: an embedded DuckDB database file beside the reports (no server).

Table ``results``: every run's results rows keyed by as-of month and run time,
with ``superseded`` marking rows replaced by a later run of the same month.
A run is stored in one transaction: the month's earlier rows are marked
superseded and the new rows inserted together, or nothing happens. Other
months are never touched.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["HISTORY_FILE", "all_history", "current_history", "store_run"]

HISTORY_FILE = "history.duckdb"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    as_of      VARCHAR   NOT NULL,
    run_time   TIMESTAMP NOT NULL,
    run_id     VARCHAR   NOT NULL,
    superseded BOOLEAN   NOT NULL,
    case_id    VARCHAR   NOT NULL,
    year       INTEGER   NOT NULL,
    measure    VARCHAR   NOT NULL,
    kind       VARCHAR   NOT NULL,
    value      DOUBLE,
    lower      DOUBLE,
    upper      DOUBLE,
    unit       VARCHAR   NOT NULL
)
"""


def _connect(path: Path, read_only: bool = False) -> Any:
    """A DuckDB connection to the history file (the ``results`` table created unless read-only)."""
    import duckdb

    con = duckdb.connect(str(path), read_only=read_only)
    if not read_only:
        con.execute(_SCHEMA)
    return con


def store_run(path: Path, results: pd.DataFrame, *, as_of: str, run_time: datetime, run_id: str) -> None:
    """Store one run's results in one transaction, superseding earlier rows of the same month.

    The month's current rows get ``superseded = TRUE`` and the new rows are
    inserted with ``superseded = FALSE``, together or not at all; the earlier
    rows stay (:func:`all_history` shows them), other months are not touched.

    Parameters
    ----------
    path : Path
        The history file (created with its table when missing).
    results : DataFrame
        The run's long results (``case_id, year, measure, kind, value, lower, upper, unit``).
    as_of : str
        The as-of month (``2022-07``).
    run_time : datetime
        When the run started (UTC, no time zone).
    run_id : str
        The run's id.

    Raises
    ------
    BaseException
        Whatever interrupted the transaction, after rolling it back.
    """
    rows = results.assign(as_of=as_of, run_time=run_time, run_id=run_id, superseded=False)[
        [
            "as_of",
            "run_time",
            "run_id",
            "superseded",
            "case_id",
            "year",
            "measure",
            "kind",
            "value",
            "lower",
            "upper",
            "unit",
        ]
    ]
    rows = rows.astype({"case_id": str, "year": "int32"})
    con = _connect(path)
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute("UPDATE results SET superseded = TRUE WHERE as_of = ? AND NOT superseded", [as_of])
            con.register("new_rows", rows)
            con.execute("INSERT INTO results SELECT * FROM new_rows")
            con.unregister("new_rows")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        con.close()


def current_history(path: Path) -> pd.DataFrame:
    """The current (not superseded) rows of every month, oldest month first."""
    if not Path(path).exists():
        return pd.DataFrame(
            columns=["as_of", "run_time", "case_id", "year", "measure", "kind", "value", "lower", "upper", "unit"]
        )
    con = _connect(path, read_only=True)
    try:
        return con.execute(
            "SELECT as_of, run_time, case_id, year, measure, kind, value, lower, upper, unit "
            "FROM results WHERE NOT superseded ORDER BY as_of, case_id, year, measure, kind"
        ).df()
    finally:
        con.close()


def all_history(path: Path) -> pd.DataFrame:
    """Every stored row, superseded ones included."""
    con = _connect(path, read_only=True)
    try:
        return con.execute("SELECT * FROM results ORDER BY as_of, run_time").df()
    finally:
        con.close()
