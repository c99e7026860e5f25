"""The run history: an embedded DuckDB database file beside the reports (no server), and which rows are current.

Tables (schema version :data:`SCHEMA_VERSION`, recorded in ``history_meta``):

* ``results``: every run's results rows (``as_of, run_time, run_id,
  superseded, case_id, year, measure, kind, value, lower, upper, unit``);
  rows are never deleted.
* ``runs``: one row per run that stored rows: ``run_id, as_of, run_time,
  state, published_at``; ``state`` is ``staged`` (rows stored, report not yet
  published), ``current`` (the report ``OUT/<as-of>`` shows this run),
  ``superseded`` (published once, replaced by a later run of the month) or
  ``abandoned`` (staged by a run that never published; its rows stay, never current).
* ``history_meta``: ``schema_version``.

**Current rows.** A month's current rows are the rows of the run the link
``OUT/<as-of>`` points to (:func:`~survival_invest.report.published.current_rows`;
the link is the commit point of
a run, docs/publishing.md). ``results.superseded`` and ``runs.state`` say the
same once the run that published has finished, and every later run brings them
back in line first (:meth:`HistoryWriter.reconcile`), so a notebook may use
``WHERE NOT superseded`` (:func:`current_history`) except in the moment between a
crash after the link swap and the next run.

**Versions.** A file without ``history_meta`` is version 1 (the first release:
``results`` only). :func:`open_history` migrates older files in place, in one
transaction, before writing: version 1 to 2 adds ``runs`` (a run whose rows are
all superseded is ``superseded``, else ``current``; ``published_at`` unknown,
NULL) and ``history_meta``. A file of a newer version than this code knows is
refused. The readers read ``results`` only and work on every version.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import duckdb
import pandas as pd

from survival_invest.errors import SurvivalInvestError

__all__ = [
    "HISTORY_FILE",
    "SCHEMA_VERSION",
    "HistoryError",
    "HistoryWriter",
    "RunRecord",
    "all_history",
    "current_history",
    "open_history",
    "rows_of_runs",
    "store_run",
]

HISTORY_FILE = "history.duckdb"
#: The schema version this code writes (see the module docstring for the migrations).
SCHEMA_VERSION = 2

_COLUMNS = ["as_of", "run_time", "run_id", "superseded", "case_id", "year", "measure", "kind", "value", "lower"]
_COLUMNS += ["upper", "unit"]
_VALUES = "case_id, year, measure, kind, value, lower, upper, unit"
_SHOWN = f"as_of, run_time, {_VALUES}"

_V1 = """
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

# version n -> n + 1, each run in the migrating transaction
_MIGRATIONS = {
    1: [
        "CREATE TABLE history_meta (key VARCHAR NOT NULL, value VARCHAR NOT NULL)",
        "CREATE TABLE runs (run_id VARCHAR NOT NULL, as_of VARCHAR NOT NULL, run_time TIMESTAMP NOT NULL, "
        "state VARCHAR NOT NULL, published_at TIMESTAMP)",
        "INSERT INTO runs SELECT run_id, any_value(as_of), min(run_time), "
        "CASE WHEN bool_and(superseded) THEN 'superseded' ELSE 'current' END, NULL FROM results GROUP BY run_id",
        "INSERT INTO history_meta VALUES ('schema_version', '2')",
    ],
}


class RunRecord(NamedTuple):
    """A stored run: its state (``staged``, ``current``, ``superseded``, ``abandoned``) and start time (UTC)."""

    state: str
    run_time: datetime


class HistoryError(SurvivalInvestError):
    """The history file cannot be opened, read or written (held open by another process, a newer schema, ...)."""


def _why(exc: BaseException) -> str:
    """What a DuckDB error opening the file means for the user, in a few words."""
    text = str(exc)
    pid = re.search(r"\(PID (\d+)\)", text)
    if pid:
        return f"another process (PID {pid.group(1)}) has it open; close that connection and run again"
    if "different configuration" in text:
        return "this process already has it open read-only (duckdb.connect(..., read_only=True)); close that connection"
    return text.splitlines()[0] if text else type(exc).__name__


def _version(con: Any) -> int:
    """The schema version of an open history: 0 for an empty file, 1 without ``history_meta``."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if "history_meta" in tables:
        rows = con.execute("SELECT value FROM history_meta WHERE key = 'schema_version'").fetchall()
        return int(rows[0][0]) if rows else 1
    return 1 if "results" in tables else 0


def _reader(path: Path) -> Any:
    """A read-only connection (refusing a schema newer than this code)."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise HistoryError(f"cannot read the history {path}: {_why(exc)}") from exc
    if _version(con) > SCHEMA_VERSION:
        con.close()
        raise HistoryError(f"the history {path} has a newer schema than this version knows; update survival-invest")
    return con


class HistoryWriter:
    """An open, migrated history for one run's writes; :func:`open_history` makes it. Each method is one transaction."""

    def __init__(self, path: Path, con: Any) -> None:
        self.path, self.con = Path(path), con

    def __enter__(self) -> HistoryWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (an open transaction is rolled back)."""
        self.con.close()

    def _transaction(self, statements: Iterable[tuple[str, list[Any]]]) -> None:
        """Run ``statements`` in one transaction: all of them or none."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            for sql, params in statements:
                self.con.execute(sql, params).fetchall()  # DuckDB 2: a result is read before the next statement
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise

    def migrate(self) -> int:
        """Bring the file to :data:`SCHEMA_VERSION` in one transaction; returns the version it had."""
        found = _version(self.con)
        if found > SCHEMA_VERSION:
            raise HistoryError(
                f"the history {self.path} has schema version {found}; this version knows up to "
                f"{SCHEMA_VERSION}: update survival-invest"
            )
        steps: list[tuple[str, list[Any]]] = [(_V1, [])] if found == 0 else []
        for v in range(max(found, 1), SCHEMA_VERSION):
            steps += [(sql, []) for sql in _MIGRATIONS[v]]
        if steps:
            self._transaction(steps)
        return found

    def stage(self, results: pd.DataFrame, *, as_of: str, run_time: datetime, run_id: str) -> None:
        """Store a run's rows as ``staged``: recorded, not current (``superseded = TRUE``) until :meth:`make_current`.

        Parameters
        ----------
        results : DataFrame
            The run's long results (``case_id, year, measure, kind, value, lower, upper, unit``).
        as_of : str
            The as-of month (``2022-07``).
        run_time : datetime
            When the run started (UTC, no time zone).
        run_id : str
            The run's id.

        Returns
        -------
        None
        """
        rows = results.assign(as_of=as_of, run_time=run_time, run_id=run_id, superseded=True)[_COLUMNS]
        rows = rows.astype({"case_id": str, "year": "int32"})
        self.con.register("new_rows", rows)
        try:
            self._transaction(
                [
                    ("INSERT INTO runs VALUES (?, ?, ?, 'staged', NULL)", [run_id, as_of, run_time]),
                    ("INSERT INTO results SELECT * FROM new_rows", []),
                ]
            )
        finally:
            self.con.unregister("new_rows")

    @staticmethod
    def _current_statements(as_of: str, run_id: str) -> list[tuple[str, list[Any]]]:
        """Make ``run_id`` the month's current run: flags of the month's rows and states of its runs."""
        now = datetime.now(UTC).replace(tzinfo=None)
        return [
            (
                "UPDATE results SET superseded = (run_id <> ?) WHERE as_of = ? AND superseded <> (run_id <> ?)",
                [run_id, as_of, run_id],
            ),
            (
                "UPDATE runs SET state = 'superseded' WHERE as_of = ? AND state = 'current' AND run_id <> ?",
                [as_of, run_id],
            ),
            (
                "UPDATE runs SET state = 'current', published_at = coalesce(published_at, ?) "
                "WHERE run_id = ? AND state <> 'current'",
                [now, run_id],
            ),
        ]

    def make_current(self, as_of: str, run_id: str) -> None:
        """Mark ``run_id`` current for ``as_of`` and the month's earlier current run superseded (after publishing)."""
        self._transaction(self._current_statements(as_of, run_id))

    def abandon(self, run_id: str) -> None:
        """Mark a staged run that will not be published ``abandoned`` (its rows stay, never current)."""
        self._transaction([("UPDATE runs SET state = 'abandoned' WHERE run_id = ? AND state = 'staged'", [run_id])])

    def runs(self) -> dict[str, RunRecord]:
        """Every stored run's state and start time, by run id."""
        rows = self.con.execute("SELECT run_id, state, run_time FROM runs").fetchall()
        return {r: RunRecord(state, time) for r, state, time in rows}

    def reconcile(self, published: Mapping[str, str]) -> list[str]:
        """Make the flags and states agree with the published links, in one transaction.

        For every month in ``published`` (as-of -> run id,
        :func:`~survival_invest.report.published.published_runs`)
        whose run is stored, that run becomes current (:meth:`make_current`); every
        ``staged`` run not published is ``abandoned`` (its run died before its link).
        Only a run holding the output folder's lock may call it.

        Returns
        -------
        list of str
            The months whose published run has no rows here (published by a
            version before schema 2 that died before writing the history).
        """
        states = {r: rec.state for r, rec in self.runs().items()}
        missing = sorted(m for m, r in published.items() if r not in states)
        steps = [s for m, r in sorted(published.items()) if r in states for s in self._current_statements(m, r)]
        linked = set(published.values())
        steps += [
            ("UPDATE runs SET state = 'abandoned' WHERE run_id = ?", [r])
            for r, s in sorted(states.items())
            if s == "staged" and r not in linked
        ]
        self._transaction(steps)
        return missing


def open_history(path: Path) -> HistoryWriter:
    """Open the history for writing (created when missing) and migrate it to :data:`SCHEMA_VERSION`.

    Raises
    ------
    HistoryError
        When DuckDB cannot open it for writing (another process or a read-only
        connection of this process has it open), or its schema is newer than this code.
    """
    try:
        con = duckdb.connect(str(path))
    except duckdb.Error as exc:
        raise HistoryError(f"cannot write the history {path}: {_why(exc)}") from exc
    writer = HistoryWriter(path, con)
    try:
        writer.migrate()
    except BaseException:
        writer.close()
        raise
    return writer


def store_run(path: Path, results: pd.DataFrame, *, as_of: str, run_time: datetime, run_id: str) -> None:
    """Store one run's results and make it the month's current run (earlier rows superseded, kept).

    A library shortcut without a report folder: :meth:`HistoryWriter.stage` then
    :meth:`HistoryWriter.make_current`. The monthly job publishes between the two.

    Parameters
    ----------
    path : Path
        The history file (created with its tables when missing).
    results : DataFrame
        The run's long results (``case_id, year, measure, kind, value, lower, upper, unit``).
    as_of : str
        The as-of month (``2022-07``).
    run_time : datetime
        When the run started (UTC, no time zone).
    run_id : str
        The run's id.

    Returns
    -------
    None
    """
    with open_history(path) as history:
        history.stage(results, as_of=as_of, run_time=run_time, run_id=run_id)
        history.make_current(as_of, run_id)


def _frame(path: Path, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
    """A query's result on a read-only connection."""
    con = _reader(path)
    try:
        return con.execute(sql, params or []).df()
    finally:
        con.close()


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=[c for c in _COLUMNS if c != "superseded"])


def current_history(path: Path) -> pd.DataFrame:
    """The rows marked current (``NOT superseded``) of every month, oldest month first (the flags' view)."""
    if not Path(path).exists():
        return _empty().drop(columns="run_id")
    return _frame(
        path, f"SELECT {_SHOWN} FROM results WHERE NOT superseded ORDER BY as_of, case_id, year, measure, kind"
    )


def all_history(path: Path) -> pd.DataFrame:
    """Every stored row, superseded ones included."""
    return _frame(path, "SELECT * FROM results ORDER BY as_of, run_time")


def rows_of_runs(path: Path, runs: Mapping[str, str]) -> pd.DataFrame:
    """The rows of the given runs (as-of -> run id), oldest month first; empty when the file is missing."""
    if not Path(path).exists() or not runs:
        return _empty()
    wanted = ", ".join("(?, ?)" for _ in runs)
    params = [x for pair in sorted(runs.items()) for x in pair]
    return _frame(
        path,
        f"SELECT as_of, run_id, run_time, {_VALUES} FROM results "
        f"WHERE (as_of, run_id) IN (VALUES {wanted}) ORDER BY as_of, case_id, year, measure, kind",
        params,
    )
