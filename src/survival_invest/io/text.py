"""CSV files as Danish offices write them: the encoding, the separator and decimal commas.

Decisions (also in the README's data section):

* **Encoding.** A CSV file is read as UTF-8 (a byte-order mark is allowed).
  A file that is not valid UTF-8 is read as Windows-1252, the encoding Danish
  Excel uses for "CSV (semikolonsepareret)", with a warning that names the
  file and the first data row that is not UTF-8 — Windows-1252 gives every
  Danish letter (æ, ø, å) its meaning, and refusing would only make the user
  re-save the file. A file that is neither (bytes Windows-1252 leaves
  undefined) is refused with the row number and the hint to save it as
  "CSV UTF-8".
* **The SQL engines** (DuckDB, Spark) read a CSV extract by the same rules
  (:func:`csv_files_dialect`): the separator from each file's header (the
  files of one extract must agree), the encoding from one streaming pass
  over the bytes (no parsing, no file held in memory; UTF-8, else
  Windows-1252 with the same warning, else refused with the row). DuckDB is
  given a UTF-8 copy of a Windows-1252 file in its spill folder (its own CSV
  reader knows UTF-8 and Latin-1 only, and Latin-1 is not Windows-1252);
  Spark 4's CSV reader knows no Windows-1252, so Spark reads such a file as
  Latin-1 when that is exact (no byte 0x80-0x9F, where the two differ: €, –,
  ’) and refuses it otherwise, naming the row and the fix (save as CSV UTF-8,
  or Parquet). They read only
  ``person_id``, ``period`` and ``benefit``, so decimal commas never reach
  them. A remote CSV (``hdfs://``...) cannot be scanned by the driver: Spark
  takes its separator from the header line and reads it as UTF-8.
* **Separator.** The separator is the one of ``,`` and ``;`` that occurs more
  often in the header line (a tie is ``,``). With ``;`` the file is taken to
  be a Danish export with **decimal commas**: cells that are a number written
  with a decimal comma (``12000,5``, ``-0,25``, ``1.234,5`` with thousands
  dots) become ``12000.5``, ``-0.25``, ``1234.5``; nothing else changes.
"""

from __future__ import annotations

import codecs
import gzip
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from survival_invest.errors import ExtractError

__all__ = [
    "CsvDialect",
    "csv_files_dialect",
    "decimal_commas",
    "first_c1_byte",
    "non_utf8_encoding",
    "refuse_c1_bytes",
    "separator_of",
    "sniff_csv",
    "streamed_encoding",
    "to_utf8",
]

log = logging.getLogger(__name__)

#: A number written with a decimal comma, optionally with thousands dots: ``-1.234,5``, ``12000,5``.
DECIMAL_COMMA = r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+),\d+"
_HEAD_BYTES = 1 << 16


@dataclass(frozen=True)
class CsvDialect:
    """How to read one CSV file: its text encoding and field separator (``decimal`` is ``","`` with ``;``)."""

    encoding: str
    sep: str

    @property
    def decimal(self) -> str:
        """The decimal mark of numbers in the file: ``","`` in a semicolon file, else ``"."``."""
        return "," if self.sep == ";" else "."


def _raw_bytes(path: Path, limit: int | None) -> bytes:
    """The file's bytes (decompressed for ``.gz``), the first ``limit`` of them when given."""
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "rb") as fh:
        return fh.read() if limit is None else fh.read(limit)


def non_utf8_encoding(path: Path, what: str) -> str:
    """The encoding of a file that failed to read as UTF-8: ``cp1252`` with a warning, or refused (rules above).

    Called only after UTF-8 failed, so a UTF-8 file is never scanned twice.
    Returns ``utf-8-sig`` if the file turns out to be UTF-8 after all.

    Raises
    ------
    ExtractError
        Text in neither encoding, naming the data row and the byte.
    """
    data = _raw_bytes(path, None)
    try:
        data.decode("utf-8-sig")
        return "utf-8-sig"
    except UnicodeDecodeError as exc:
        row = data[: exc.start].count(b"\n")  # lines before the bad byte = its data row (header is line 0)
        byte = data[exc.start]
    where = f"data row {row}" if row else "the header"
    try:
        data.decode("cp1252")
    except UnicodeDecodeError as exc:
        bad_row = data[: exc.start].count(b"\n")
        raise _refuse_undecodable(path, what, where, byte, bad_row, data[exc.start]) from exc
    _warn_cp1252(path, what, where, byte)
    return "cp1252"


def _refuse_undecodable(path: Path, what: str, where: str, byte: int, bad_row: int, bad: int) -> ExtractError:
    return ExtractError(
        f"{path}: the {what} file is not text in UTF-8 (first at {where}, byte 0x{byte:02x}) nor in "
        f"Windows-1252 (byte 0x{bad:02x} at data row {bad_row}); save it as 'CSV UTF-8' "
        "(Excel: Save as > CSV UTF-8) and run again."
    )


def _warn_cp1252(path: Path, what: str, where: str, byte: int) -> None:
    log.warning(
        "%s: the %s file is not UTF-8 (first at %s, byte 0x%02x); read as Windows-1252, as Danish Excel "
        "saves CSV. Check the letters æ, ø, å in it, or save it as 'CSV UTF-8' to silence this warning.",
        path,
        what,
        where,
        byte,
    )


def _first_undecodable(path: Path, encoding: str) -> tuple[int, int] | None:
    """(data row, byte) of the first byte ``encoding`` cannot decode, in one streaming pass; ``None`` when all decode."""
    decoder = codecs.getincrementaldecoder(encoding)()
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    rows = 0
    with opener(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            pending = decoder.getstate()[0]  # the start of a character cut by the last chunk (never a newline)
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                data = pending + chunk  # what the decoder saw: exc.start counts from here
                return rows + data[: exc.start].count(b"\n"), data[exc.start]
            rows += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return rows, 0  # a multi-byte character cut off by the end of the file
    return None


def streamed_encoding(path: Path, what: str) -> str:
    """The encoding of a CSV file by the rules above, found in one streaming pass (for files larger than memory).

    Returns ``utf-8-sig`` or ``cp1252`` (with the warning :func:`non_utf8_encoding` gives).

    Raises
    ------
    ExtractError
        Text in neither encoding, naming the data row and the byte.
    """
    first = _first_undecodable(path, "utf-8-sig")
    if first is None:
        return "utf-8-sig"
    row, byte = first
    where = f"data row {row}" if row else "the header"
    bad = _first_undecodable(path, "cp1252")
    if bad is not None:
        raise _refuse_undecodable(path, what, where, byte, *bad)
    _warn_cp1252(path, what, where, byte)
    return "cp1252"


def separator_of(header: str) -> str:
    """The separator of a header line: the one of ``;`` and ``,`` that occurs more often (a tie is ``,``).

    >>> separator_of("person_id;period;benefit"), separator_of("person_id,period,benefit")
    (';', ',')
    """
    return ";" if header.count(";") > header.count(",") else ","


def csv_files_dialect(files: Sequence[Path], what: str) -> CsvDialect:
    """The one dialect of the CSV files of an extract, for the SQL engines (rules: module docstring).

    Parameters
    ----------
    files : sequence of Path
        The extract's CSV files (one, or the parts of a folder or glob).
    what : str
        What the files are (``"spells"``), for messages.

    Returns
    -------
    CsvDialect
        UTF-8 unless some file is Windows-1252 (each such file warned about).

    Raises
    ------
    ExtractError
        An empty file, undecodable text, or files with different separators.
    """
    seps = {f: sniff_csv(f, what).sep for f in files}
    if len(set(seps.values())) > 1:
        semi = [f.name for f, sep in seps.items() if sep == ";"][:3]
        raise ExtractError(
            f"{files[0].parent}: the {what} files mix separators ({', '.join(semi)} use ';', others ','); "
            "save every part with the same separator."
        )
    encodings = {streamed_encoding(f, what) for f in files}
    return CsvDialect("cp1252" if "cp1252" in encodings else "utf-8-sig", next(iter(seps.values())))


def first_c1_byte(path: Path) -> int | None:
    """The data row of the first byte 0x80-0x9F (where Windows-1252 and Latin-1 differ: €, –, ’ ...), else ``None``.

    A Windows-1252 file without such bytes reads the same as Latin-1, which
    every CSV reader knows (Spark 4's reader knows no Windows-1252).
    """
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    rows = 0
    with opener(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            hit = next((i for i, b in enumerate(chunk) if 0x80 <= b <= 0x9F), None) if _has_c1(chunk) else None
            if hit is not None:
                return rows + chunk[:hit].count(b"\n")
            rows += chunk.count(b"\n")
    return None


def refuse_c1_bytes(files: Sequence[Path], what: str) -> None:
    """Refuse Windows-1252 CSV files that Spark would misread as Latin-1 (rules: module docstring).

    Raises
    ------
    ExtractError
        A file holds a byte 0x80-0x9F (€, –, ’ ...), naming the file and the row.
    """
    for f in files:
        row = first_c1_byte(f)
        if row is not None:
            raise ExtractError(
                f"{f}: the {what} file is Windows-1252 text with characters such as € or – (data row {row}), "
                "which Spark's CSV reader cannot decode; save it as 'CSV UTF-8' or convert it to Parquet "
                '(docs/scaling.md), or use engine "duckdb" or "memory".'
            )


def _has_c1(chunk: bytes) -> bool:
    """Whether a chunk holds a byte 0x80-0x9F (one C-level pass: ``bytes.translate`` deletes them)."""
    return len(chunk.translate(None, _C1)) != len(chunk)


_C1 = bytes(range(0x80, 0xA0))


def to_utf8(source: Path, target: Path, encoding: str) -> Path:
    """Copy a text file into ``target`` as UTF-8, decoding it as ``encoding`` (streamed; for DuckDB's CSV reader).

    Parameters
    ----------
    source : Path
        The file as found (``.gz`` is decompressed on the fly).
    target : Path
        Where the UTF-8 copy is written.
    encoding : str
        The source's encoding (e.g. ``"cp1252"``, from :func:`non_utf8_encoding`).

    Returns
    -------
    Path
        ``target``.
    """
    opener = gzip.open if source.suffix.lower() == ".gz" else open
    with (
        opener(source, "rt", encoding=encoding, newline="") as src,
        open(target, "w", encoding="utf-8", newline="") as dst,
    ):
        for chunk in iter(lambda: src.read(1 << 20), ""):
            dst.write(chunk)
    return target


def sniff_csv(path: Path, what: str) -> CsvDialect:
    """The separator of a CSV file, with UTF-8 assumed (rules: module docstring; see :func:`non_utf8_encoding`).

    Parameters
    ----------
    path : Path
        A ``.csv``, ``.txt`` or ``.gz`` file.
    what : str
        What the file is (``"spells"``, ...), for messages.

    Returns
    -------
    CsvDialect

    Raises
    ------
    ExtractError
        The file is empty.
    """
    encoding = "utf-8-sig"
    head = _raw_bytes(path, _HEAD_BYTES).decode(encoding, errors="replace")
    header = head.lstrip("\ufeff").split("\n", 1)[0]
    if not header.strip():
        raise ExtractError(f"{path}: the {what} file is empty; expected a header line with the column names.")
    return CsvDialect(encoding, separator_of(header))


def decimal_commas(frame: pd.DataFrame) -> pd.DataFrame:
    """Cells that are numbers with a decimal comma (:data:`DECIMAL_COMMA`) rewritten with a decimal point.

    Rule: ``-1.234,5`` -> ``-1234.5`` (thousands dots dropped, the comma made a
    point); only cells that match the whole pattern change; a column without
    a comma is not touched. Vectorised per column (``str.fullmatch``).
    """
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if s.dtype.kind != "O" and not isinstance(s.dtype, pd.StringDtype):
            continue
        text = s.astype("string")
        if not text.str.contains(",", regex=False).fillna(False).any():
            continue
        hit = text.str.fullmatch(DECIMAL_COMMA).fillna(False).to_numpy(dtype=bool)
        if hit.any():
            fixed = text[hit].str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
            text = text.copy()
            text[hit] = fixed
            out[col] = text.astype(s.dtype)
    return out
