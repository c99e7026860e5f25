"""DuckDB: the out-of-core engine on one machine.

The extract stays on disk (Parquet: one file or a folder of parts; or CSV) and
DuckDB runs the cohort rules of :mod:`survival_invest.engines.sql` over it,
spilling to ``temp_directory`` when a join, window or aggregate outgrows
``memory_limit``. Only the small aggregates come back to Python.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from survival_invest.config import ConfigError
from survival_invest.engines.aggregates import spells_files
from survival_invest.errors import ExtractError
from survival_invest.io.idcolumn import spells_id_column
from survival_invest.io.sources import (
    DUCKDB_EXTENSIONS,
    Location,
    engine_files_report,
    remote_readers,
    remote_scheme,
)
from survival_invest.io.text import CsvDialect, csv_files_dialect, to_utf8

__all__ = ["DuckDBBackend"]

log = logging.getLogger(__name__)


def _quote(path: Location) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _ident(name: str) -> str:
    """A column name as a quoted SQL identifier (``PNR`` -> ``"PNR"``)."""
    return '"' + name.replace('"', '""') + '"'


#: An extract of at most this many rows keeps the engine's tables in memory (:meth:`DuckDBBackend.materialise`).
SMALL_ROWS = 20_000_000
#: The same for CSV files, by their size (about 20 bytes per row).
SMALL_CSV_BYTES = 400_000_000


@dataclass
class DuckDBSettings:
    """``memory_limit`` (e.g. ``"6GB"``), ``threads`` and ``temp_directory`` (spill files)."""

    memory_limit: str | None = None
    threads: int | None = None
    temp_directory: str | None = None


class DuckDBBackend:
    """A DuckDB connection with the extract as the view ``spells`` (see :class:`~survival_invest.engines.aggregates.SqlBackend`)."""

    name = "duckdb"

    def __init__(self, spells: Location, settings: DuckDBSettings | None = None, id_column: str | None = None) -> None:
        s = settings or DuckDBSettings()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if s.temp_directory is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="survival-invest-duckdb-")
            temp_dir = self._tmp.name
        else:
            temp_dir = s.temp_directory
        self._temp_dir = temp_dir
        self._in_memory = False
        # a file-backed database in the spill folder: a national run's tables go to it, out of RAM (materialise)
        self.con = duckdb.connect(str(Path(temp_dir) / "work.duckdb"))
        self._run(f"SET temp_directory = {_quote(Path(temp_dir))}")
        self._run("SET preserve_insertion_order = false")
        if s.memory_limit:
            self._run(f"SET memory_limit = '{s.memory_limit}'")
        if s.threads:
            self._run(f"SET threads = {int(s.threads)}")
        try:
            self._view(spells, id_column)
        except BaseException:
            self.close()  # the connection and the spill folder of a refused input
            raise

    def _view(self, spells: Location, id_column: str | None) -> None:
        """The extract as the view ``spells`` (three columns; the id column renamed, the columns checked)."""
        source, kind, files = self._source(spells)
        try:
            columns = [str(r[0]) for r in self._run(f"DESCRIBE SELECT * FROM {source}")]
            ident = spells_id_column(columns, id_column, str(spells))
            self._run(f"CREATE VIEW spells AS SELECT {_ident(ident)} AS person_id, period, benefit FROM {source}")
            self._in_memory = self._small(kind, files, source)  # reads every Parquet footer: a broken part is found
        except duckdb.Error as exc:  # DuckDB names the file (a part that is not Parquet, a truncated footer)
            raise ExtractError(
                f"{spells}: cannot read the spells file: {str(exc).splitlines()[0][:300]}; export the part again "
                "(or remove it from the folder) and re-run."
            ) from exc

    def _small(self, kind: str, files: list[Path] | None, source: str) -> bool:
        """Whether the engine's member-sized tables stay in memory: a local extract of at most :data:`SMALL_ROWS` rows.

        Parquet: the footers' row count (no scan); CSV: :data:`SMALL_CSV_BYTES`
        of files; a remote extract (``files`` is ``None``) is never counted (its tables go to the file).
        """
        if files is None:
            return False
        if kind == "csv":
            return sum(f.stat().st_size for f in files) <= SMALL_CSV_BYTES
        return int(self._run(f"SELECT COUNT(*) FROM {source}")[0][0]) <= SMALL_ROWS

    def _source(self, spells: Location) -> tuple[str, str, list[Path] | None]:
        """The table function reading the extract (``read_parquet([...])`` or ``read_csv([...], ...)``), its format
        and its local files (``None`` when remote)."""
        listing, kind, dialect, files = self._listing(spells)
        if kind == "parquet":
            return f"read_parquet({listing})", kind, files
        # local files: the separator and encoding by the in-memory reader's rules (io.text); a remote file:
        # DuckDB's sniffer. The ids are typed by the sniffer either way.
        delim = "" if dialect is None else f"delim = {_quote(dialect.sep)}, "
        types = "types = {'period': 'VARCHAR', 'benefit': 'VARCHAR'}"
        return f"read_csv({listing}, header = true, {delim}{types})", kind, files

    def _listing(self, spells: Location) -> tuple[str, str, CsvDialect | None, list[Path] | None]:
        """The SQL list of the extract's files (local) or its URI (remote), its format, (local) CSV dialect and files."""
        scheme = remote_scheme(spells)
        if scheme is None:
            kind, files = spells_files(spells)
            dialect = csv_files_dialect(files, "spells") if kind == "csv" else None
            if (
                dialect is not None and dialect.encoding == "cp1252"
            ):  # DuckDB reads UTF-8 (and Latin-1, which is not Windows-1252)
                folder = Path(self._temp_dir) / "utf8"
                folder.mkdir(exist_ok=True)
                files = [to_utf8(f, folder / f"{i}-{f.name}", "cp1252") for i, f in enumerate(files)]
            return "[" + ", ".join(_quote(f) for f in files) + "]", kind, dialect, files
        self._load_extension(spells, scheme)
        kind = "csv" if str(spells).lower().endswith(".csv") else "parquet"
        return _quote(spells), kind, None, None

    def _load_extension(self, location: Location, scheme: str) -> None:
        """Load the extension that reads ``scheme://`` (offline only), or refuse naming the engines that can."""
        extension = DUCKDB_EXTENSIONS.get(scheme)
        if extension is None:
            raise ConfigError(
                f"{location}: DuckDB cannot read {scheme}:// storage; use {remote_readers(scheme)} "
                "([engine] name, or --engine)."
            )
        try:
            self._run(f"LOAD {extension}")  # never INSTALL: a run does not download code
        except duckdb.Error as exc:
            raise ConfigError(
                f"{location}: DuckDB reads {scheme}:// through its {extension!r} extension, which cannot be loaded "
                f"on this machine without downloading it ({str(exc).splitlines()[0][:160]}); run "
                f"`INSTALL {extension}` once where the network allows (or copy it into ~/.duckdb/extensions), "
                "or use engine 'spark'."
            ) from exc

    def read_frame(self, location: Location, what: str) -> pd.DataFrame:
        """A small input (the memberships) on remote storage as a pandas DataFrame (CSV: every column text).

        Raises
        ------
        ConfigError
            DuckDB cannot read the scheme (see :meth:`_listing`).
        ExtractError
            DuckDB cannot read the input.
        """
        scheme = remote_scheme(location)
        if scheme is not None:
            self._load_extension(location, scheme)
        csv = str(location).lower().endswith(".csv")
        table = f"read_csv({_quote(location)}, header = true, all_varchar = true)" if csv else None
        try:
            return self.con.execute(f"SELECT * FROM {table or f'read_parquet({_quote(location)})'}").df()
        except duckdb.Error as exc:
            raise ExtractError(f"{location}: DuckDB cannot read the {what}: {str(exc).splitlines()[0][:200]}") from exc

    def memberships_view(self, location: Location, name: str) -> dict[str, str] | None:
        """The memberships file as the view ``name``: its columns and types, or ``None`` if DuckDB cannot read it.

        Parquet (a file, folder of parts or glob, local or remote) and remote
        CSV (every column as text, like the in-memory reader). A local CSV file
        gives ``None``: it is read by the in-memory reader, whose dialect rules
        (separator, Windows-1252 with one warning) apply to it; give a national
        memberships file as Parquet. An unreadable file gives ``None`` too:
        :mod:`survival_invest.engines.members_sql` then reads it in pandas,
        which refuses it with its message.
        """
        try:
            scheme = remote_scheme(location)
            if scheme is not None:
                self._load_extension(location, scheme)
                csv, listing = str(location).lower().endswith(".csv"), _quote(location)
            else:
                kind, files = spells_files(location)
                if kind == "csv":
                    return None
                csv, listing = False, "[" + ", ".join(_quote(f) for f in files) + "]"
            table = f"read_csv({listing}, header = true, all_varchar = true)" if csv else f"read_parquet({listing})"
            self._run(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM {table}")
            return {str(r[0]): str(r[1]) for r in self._run(f"DESCRIBE {name}")}
        except (duckdb.Error, ExtractError, ConfigError) as exc:
            log.info("memberships %s: DuckDB does not read them (%s)", location, str(exc).splitlines()[0][:200])
            return None

    def describe_input(self, spells: Location) -> dict[str, object]:
        """What DuckDB reports of a remote extract, for ``run.json`` (never raises).

        Parquet: the files and their row counts from the footers
        (``parquet_file_metadata``); CSV: the files (``glob``). A local input
        is identified by :func:`~survival_invest.io.sources.input_identity`
        instead, so nothing is asked of the engine for it.
        """
        if remote_scheme(spells) is None:
            return {}
        try:
            if str(spells).lower().endswith(".csv"):
                rows = self._run(f"SELECT file, NULL FROM glob({_quote(spells)}) ORDER BY file")
            else:
                rows = self._run(
                    f"SELECT file_name, num_rows FROM parquet_file_metadata({_quote(spells)}) ORDER BY file_name"
                )
        except duckdb.Error as exc:
            return {"engine": "duckdb", "unavailable": str(exc).splitlines()[0][:200]}
        return engine_files_report("duckdb", [str(r[0]) for r in rows], [r[1] for r in rows])

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
        """Run a query into the table ``name``, kept by the engine for later queries.

        The tables are members-sized. For a small extract (:meth:`_small`) they
        are ``TEMP`` tables, held uncompressed by DuckDB's buffer manager,
        without the write-ahead log and compressed checkpoint a table of the
        database file costs (0.3 s of 2.3 s at 10^7 rows); beyond that they are
        tables of the database file in the spill folder, compressed and out of
        RAM (at 10^8 rows TEMP tables saved 0.7 s of 15 s but added 0.6 GB, at
        10^9 with ``memory_limit = "4GB"`` they took the peak from 4.4 to 5.0
        GB).
        """
        temp = "TEMP " if self._in_memory else ""
        self._run(f"CREATE OR REPLACE {temp}TABLE {name} AS {sql}")

    def close(self) -> None:
        """Release the engine's tables and connection (and temporary files)."""
        self.con.close()
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> DuckDBBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
