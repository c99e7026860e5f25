"""DuckDB: the out-of-core engine on one machine.

The extract stays on disk (Parquet: one file or a folder of parts; or CSV) and
DuckDB runs the cohort rules of :mod:`survival_invest.engines.sql` over it,
spilling to ``temp_directory`` when a join, window or aggregate outgrows
``memory_limit``. Only the small aggregates come back to Python.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from survival_invest.config import ConfigError
from survival_invest.engines.aggregates import spells_files
from survival_invest.io.sources import DUCKDB_EXTENSIONS, Location, remote_readers, remote_scheme

__all__ = ["DuckDBBackend"]


def _quote(path: Location) -> str:
    return "'" + str(path).replace("'", "''") + "'"


@dataclass
class DuckDBSettings:
    """``memory_limit`` (e.g. ``"6GB"``), ``threads`` and ``temp_directory`` (spill files)."""

    memory_limit: str | None = None
    threads: int | None = None
    temp_directory: str | None = None


class DuckDBBackend:
    """A DuckDB connection with the extract as the view ``spells`` (see :class:`~survival_invest.engines.aggregates.SqlBackend`)."""

    name = "duckdb"

    def __init__(self, spells: Location, settings: DuckDBSettings | None = None) -> None:
        s = settings or DuckDBSettings()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if s.temp_directory is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="survival-invest-duckdb-")
            temp_dir = self._tmp.name
        else:
            temp_dir = s.temp_directory
        # a file-backed database: temporary tables live on disk, not in RAM
        self.con = duckdb.connect(str(Path(temp_dir) / "work.duckdb"))
        self._run(f"SET temp_directory = {_quote(Path(temp_dir))}")
        self._run("SET preserve_insertion_order = false")
        if s.memory_limit:
            self._run(f"SET memory_limit = '{s.memory_limit}'")
        if s.threads:
            self._run(f"SET threads = {int(s.threads)}")
        try:
            self._view(spells)
        except BaseException:
            self.close()  # the connection and the spill folder of a refused input
            raise

    def _view(self, spells: Location) -> None:
        """The extract as the view ``spells`` (three columns)."""
        listing, kind = self._listing(spells)
        if kind == "parquet":
            self._run(f"CREATE VIEW spells AS SELECT person_id, period, benefit FROM read_parquet({listing})")
        else:
            self._run(
                f"CREATE VIEW spells AS SELECT person_id, period, benefit FROM read_csv({listing}, header = true, "
                "types = {'period': 'VARCHAR', 'benefit': 'VARCHAR'})"
            )

    def _listing(self, spells: Location) -> tuple[str, str]:
        """The SQL list of the extract's files (local) or its URI (remote, through an extension) and its format."""
        scheme = remote_scheme(spells)
        if scheme is None:
            kind, files = spells_files(spells)
            return "[" + ", ".join(_quote(f) for f in files) + "]", kind
        extension = DUCKDB_EXTENSIONS.get(scheme)
        if extension is None:
            raise ConfigError(
                f"{spells}: DuckDB cannot read {scheme}:// storage; use {remote_readers(scheme)} "
                "([engine] name, or --engine)."
            )
        try:
            self._run(f"LOAD {extension}")  # never INSTALL: a run does not download code
        except duckdb.Error as exc:
            raise ConfigError(
                f"{spells}: DuckDB reads {scheme}:// through its {extension!r} extension, which cannot be loaded "
                f"on this machine without downloading it ({str(exc).splitlines()[0][:160]}); run "
                f"`INSTALL {extension}` once where the network allows (or copy it into ~/.duckdb/extensions), "
                "or use engine 'spark'."
            ) from exc
        kind = "csv" if str(spells).lower().endswith(".csv") else "parquet"
        return _quote(spells), kind

    def id_kind(self) -> str:
        """``"integer"`` or ``"string"``: the type of the extract's person_id column."""
        rows = self._run(
            "SELECT data_type FROM information_schema.columns WHERE table_name = 'spells' AND column_name = 'person_id'"
        )
        t = rows[0] if rows else None
        return "integer" if t and any(k in str(t[0]).upper() for k in ("INT",)) else "string"

    def register(self, name: str, frame: pd.DataFrame) -> None:
        """Make a pandas DataFrame available to queries as the table ``name``."""
        self.con.register(f"_{name}_df", frame)
        self._run(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _{name}_df")
        self.con.unregister(f"_{name}_df")

    def _run(self, sql: str) -> list[Any]:
        # DuckDB 2 wants every result consumed before the next statement
        return self.con.execute(sql).fetchall()

    def query(self, sql: str) -> pd.DataFrame:
        """Run a query and return its (small) result as a DataFrame."""
        return self.con.execute(sql).df()

    def materialise(self, name: str, sql: str) -> None:
        """Run a query into the table ``name``, kept by the engine for later queries."""
        self._run(f"CREATE OR REPLACE TABLE {name} AS {sql}")

    def close(self) -> None:
        """Release the engine's tables and connection (and temporary files)."""
        self.con.close()
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> DuckDBBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
