"""Where an input is: a local file, a folder of parts, a glob, or a URI for an engine to read.

The rules (one place for ``run``, ``validate``, the library and every engine):

* A text with a scheme (``scheme://...``: ``file://``, ``hdfs://``, ``s3a://``,
  ``abfss://``, ``s3://``, ``https://``) is a **URI**: never joined to the
  configuration's folder, passed to the engine untouched. ``file://`` is local
  storage (the in-memory and DuckDB engines read it as the path it names).
* Anything else is a **local path** (relative paths are relative to the
  configuration's folder): a file, a folder of Parquet parts (found at any
  depth, so hive-style ``year=2020/part-0.parquet`` folders work; names
  starting with ``_`` or ``.`` such as Spark's ``_SUCCESS`` are skipped), or a
  glob (``*``, ``?``, ``[``; ``**`` matches folders at any depth).

:func:`input_identity` is what ``run.json`` records of an input: for a file its
SHA-256; for a folder or glob the sorted part names (relative), sizes and
modification times and a SHA-256 over the parts' Parquet footers (the footer
holds the schema, row counts and column statistics of every row group, so it
changes when the data do; hashing whole national extracts would cost a second
full read) or contents (CSV parts); for a URI the URI itself.
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlparse

from survival_invest.errors import ExtractError
from survival_invest.io.text import sniff_csv

__all__ = [
    "DUCKDB_EXTENSIONS",
    "HADOOP_SCHEMES",
    "MAX_REPORTED_FILES",
    "Location",
    "engine_files_report",
    "extract_columns",
    "file_sha256",
    "input_identity",
    "is_glob",
    "is_uri",
    "local_path",
    "part_files",
    "remote_readers",
    "remote_scheme",
]

#: An input as the configuration gives it: a local path, or a URI kept as text.
Location = Path | str

#: Schemes Spark reads through Hadoop file systems (the in-memory and DuckDB engines cannot).
HADOOP_SCHEMES = ("hdfs", "s3a", "s3n", "abfs", "abfss", "wasb", "wasbs", "gs", "viewfs", "dbfs")

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_PARQUET = (".parquet", ".pq")


def is_uri(text: str | Path) -> bool:
    """Whether ``text`` has a scheme (``scheme://``); a ``Path`` is never a URI.

    >>> is_uri("hdfs://nn:9000/x"), is_uri("data/spells.parquet"), is_uri("C:/data")
    (True, False, False)
    """
    return isinstance(text, str) and _URI.match(text) is not None


def is_glob(path: Location) -> bool:
    """Whether a local path holds glob characters (``*``, ``?``, ``[``)."""
    return not is_uri(path) and any(c in str(path) for c in "*?[")


def remote_scheme(location: Location) -> str | None:
    """The scheme of a URI that is not on local storage (``hdfs``, ``s3a``, ``https`` ...), else ``None``."""
    if not is_uri(location):
        return None
    scheme = str(location).split("://", 1)[0].lower()
    return None if scheme == "file" else scheme


#: Schemes DuckDB reads through an extension (``httpfs`` or ``azure``), when it can be loaded.
DUCKDB_EXTENSIONS = {
    "s3": "httpfs",
    "http": "httpfs",
    "https": "httpfs",
    "gcs": "httpfs",
    "r2": "httpfs",
    "az": "azure",
}


def remote_readers(scheme: str) -> str:
    """The engines that can read a remote scheme, as a phrase for messages.

    >>> remote_readers("hdfs"), remote_readers("s3")
    ("engine 'spark'", "engine 'spark' or 'duckdb' (with its httpfs extension)")
    """
    if scheme in DUCKDB_EXTENSIONS:
        return f"engine 'spark' or 'duckdb' (with its {DUCKDB_EXTENSIONS[scheme]} extension)"
    return "engine 'spark'"


def local_path(location: Location) -> Path | None:
    """The local path of an input (``file://`` URIs become paths); ``None`` for remote URIs."""
    if not is_uri(location):
        return Path(location)
    if remote_scheme(location) is not None:
        return None
    return Path(unquote(urlparse(str(location)).path))


#: How many file names an engine's report of a remote input lists in ``run.json`` (the count is always given).
MAX_REPORTED_FILES = 1000


def engine_files_report(engine: str, files: list[str], rows: list[object] | None = None) -> dict[str, object]:
    """An engine's report of a remote input for ``run.json``: the files it read (sorted), their count, the rows.

    Parameters
    ----------
    engine : str
        ``duckdb`` or ``spark``.
    files : list of str
        The files the engine resolved the URI to.
    rows : list, optional
        Rows per file where the engine knows them without reading (Parquet footers); ``None`` entries unknown.

    Returns
    -------
    dict
        ``{"engine", "file_count", "files"}`` (at most :data:`MAX_REPORTED_FILES` names,
        ``"files_cut": True`` when more), and ``"rows"`` when every file's count is known.

    Examples
    --------
    >>> engine_files_report("duckdb", ["s3://b/p1.parquet", "s3://b/p0.parquet"], [5, 7])["rows"]
    12
    """
    order = sorted(range(len(files)), key=files.__getitem__)
    report: dict[str, object] = {
        "engine": engine,
        "file_count": len(files),
        "files": [files[i] for i in order[:MAX_REPORTED_FILES]],
    }
    if len(files) > MAX_REPORTED_FILES:
        report["files_cut"] = True
    known = [r for r in (rows or []) if isinstance(r, int)]
    if rows is not None and files and len(known) == len(files):
        report["rows"] = int(sum(known))
    return report


def _visible(p: Path, root: Path) -> bool:
    return not any(part.startswith(("_", ".")) for part in p.relative_to(root).parts)


def part_files(location: Location, what: str = "spells") -> list[Path]:
    """The local files of an input: the file itself, a folder's Parquet parts, or a glob's files (sorted).

    Parameters
    ----------
    location : Path or str
        A local path, glob or ``file://`` URI.
    what : str
        What the input is (``"spells"``, ``"memberships"``), for messages.

    Returns
    -------
    list of Path

    Raises
    ------
    ExtractError
        A remote URI, a missing path, a folder without Parquet parts, or a glob matching no file.
    """
    p = local_path(location)
    if p is None:
        raise ExtractError(f"{location}: the {what} are on remote storage; only an engine can read them.")
    if is_glob(p):
        files = sorted(Path(f) for f in glob.glob(str(p), recursive=True) if Path(f).is_file())
        if not files:
            raise ExtractError(f"{location}: the {what} pattern matches no file.")
        return files
    if p.is_dir():
        files = sorted(q for q in p.rglob("*") if q.suffix.lower() in _PARQUET and q.is_file() and _visible(q, p))
        if not files:
            raise ExtractError(
                f"{location}: the {what} folder holds no .parquet files (parts are found at any depth, "
                "e.g. year=2020/part-0.parquet)."
            )
        return files
    if not p.exists():
        raise ExtractError(f"{location}: the {what} file does not exist.")
    return [p]


def extract_columns(path: Path) -> list[str]:
    """The column names of one local Parquet or CSV file, from its schema or header (no row is read).

    A CSV header is split by the separator rule of :mod:`survival_invest.io.text`
    and read as UTF-8, else Windows-1252.

    Raises
    ------
    ExtractError
        The file cannot be read.
    """
    import pandas as pd
    import pyarrow.parquet as pq

    try:
        if path.suffix.lower() in _PARQUET:
            return [str(c) for c in pq.read_schema(path).names]
        sep = sniff_csv(path, "spells").sep
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                return [str(c) for c in pd.read_csv(path, nrows=0, sep=sep, encoding=encoding).columns]
            except UnicodeDecodeError:
                continue
    except (OSError, ValueError) as exc:
        raise ExtractError(f"{path}: cannot read the columns: {str(exc).splitlines()[0][:200]}") from exc
    raise ExtractError(f"{path}: the header is neither UTF-8 nor Windows-1252 text.")


def _sha256(path: Path, footer_only: bool) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        if footer_only:
            # Parquet ends with <footer><4-byte little-endian footer length>"PAR1"
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(size - 8, 0))
            n = int.from_bytes(fh.read(4), "little")
            fh.seek(max(size - 8 - n, 0))
            h.update(fh.read())
        else:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def file_sha256(path: Path) -> str:
    """SHA-256 of a whole file's contents (hex)."""
    return _sha256(path, False)


def input_identity(location: Location, what: str = "spells") -> dict[str, object]:
    """What identifies an input in ``run.json`` (rules in the module docstring).

    Parameters
    ----------
    location : Path or str
        A local file, folder, glob, or a URI.
    what : str
        What the input is, for messages.

    Returns
    -------
    dict
        ``{"kind": "file", "sha256"}``; ``{"kind": "parts", "parts": [{"name", "bytes",
        "modified_utc"}], "sha256", "hashed": "parquet footers" | "contents"}``; or
        ``{"kind": "uri", "uri"}``.
    """
    if remote_scheme(location) is not None:
        return {"kind": "uri", "uri": str(location)}
    p = local_path(location)
    if p is not None and p.is_file() and not is_glob(p):
        return {"kind": "file", "sha256": file_sha256(p)}
    files = part_files(location, what)
    root = p if p is not None and p.is_dir() else Path(os.path.commonpath([f.parent for f in files]))
    footers = all(f.suffix.lower() in _PARQUET for f in files)
    h = hashlib.sha256()
    parts = []
    for f in files:  # one entry per part file (hundreds), not per row
        st = f.stat()
        name = f.relative_to(root).as_posix()
        parts.append(
            {
                "name": name,
                "bytes": st.st_size,
                "modified_utc": datetime.fromtimestamp(st.st_mtime, UTC).replace(tzinfo=None).isoformat(),
            }
        )
        h.update(f"{name}\0{st.st_size}\0{_sha256(f, footers)}\n".encode())
    return {
        "kind": "parts",
        "parts": parts,
        "sha256": h.hexdigest(),
        "hashed": "parquet footers" if footers else "contents",
    }
