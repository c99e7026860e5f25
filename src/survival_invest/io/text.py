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
* **Separator.** The separator is the one of ``,`` and ``;`` that occurs more
  often in the header line (a tie is ``,``). With ``;`` the file is taken to
  be a Danish export with **decimal commas**: cells that are a number written
  with a decimal comma (``12000,5``, ``-0,25``, ``1.234,5`` with thousands
  dots) become ``12000.5``, ``-0.25``, ``1234.5``; nothing else changes.
"""

from __future__ import annotations

import gzip
import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from survival_invest.errors import ExtractError

__all__ = ["CsvDialect", "decimal_commas", "non_utf8_encoding", "sniff_csv"]

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
        raise ExtractError(
            f"{path}: the {what} file is not text in UTF-8 (first at {where}, byte 0x{byte:02x}) nor in "
            f"Windows-1252 (byte 0x{data[exc.start]:02x} at data row {bad_row}); save it as 'CSV UTF-8' "
            "(Excel: Save as > CSV UTF-8) and run again."
        ) from exc
    log.warning(
        "%s: the %s file is not UTF-8 (first at %s, byte 0x%02x); read as Windows-1252, as Danish Excel "
        "saves CSV. Check the letters æ, ø, å in it, or save it as 'CSV UTF-8' to silence this warning.",
        path,
        what,
        where,
        byte,
    )
    return "cp1252"


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
    sep = ";" if header.count(";") > header.count(",") else ","
    return CsvDialect(encoding, sep)


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
