"""Wide DREAM extracts as delivered: SAS, SAS transport, Stata, CSV or Parquet, read in chunks, melted to weeks.

Decisions (the rules a real extract is read by):

* **Formats** by the file's suffix: ``.sas7bdat``, ``.xpt`` (SAS transport)
  and ``.dta`` (Stata) with :mod:`pyreadstat`; ``.csv``/``.txt``/``.gz``
  (``,`` or ``;``, UTF-8 or Windows-1252: :mod:`survival_invest.io.text`)
  with pandas; ``.parquet``/``.pq`` with pyarrow.
* **Chunks.** Only the id and week columns are read (``usecols``/``columns``),
  :data:`CHUNK_ROWS` persons at a time; each chunk is melted to long weeks at
  once, so the wide file is never held in memory, let alone twice.
* **Week columns** ``y_YYWW`` (any case) are ISO week ``WW`` of year
  ``19YY`` when ``YY >= 90`` and ``20YY`` otherwise (:func:`dream_year`;
  DREAM starts in 1991: the convention of the public R readers
  heaven::importDREAM and DREAMtoolsR). A ``y_`` column that is not such a
  week is an error naming it.
* **Other columns** — the monthly ``branche_YYYY_MM`` and ``grad_YYYY_MM``,
  the yearly ``akYY``, background columns — are not read; they are counted
  by family (:func:`column_families`), logged once and kept on
  :attr:`Spells.ignored` (for ``run.json``).
* **Id column**: ``[data] id_column`` when given (matched regardless of
  case, as SAS names are); else ``PNR``, else ``person_id``.
* **Blank = no benefit**: an empty cell, a SAS missing value (read as missing
  by pyreadstat: ``.``, ``.A``-``.Z``, ``._``; the same texts in a CSV
  export) or a cell of blanks has no row (counted in ``excluded`` as
  ``blank_weeks_no_benefit``). **SAS formats** are not applied: a code is
  the stored value (``111``), never its format's label; numbers stored as
  floats lose their ``.0``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pyreadstat

from survival_invest.errors import ExtractError
from survival_invest.io.extract import Spells, excluded_counts
from survival_invest.io.periods import parse_periods
from survival_invest.io.privacy import PLAIN, IdPolicy
from survival_invest.io.tables import clean_codes, columns_text, rows_text
from survival_invest.io.text import CsvDialect, non_utf8_encoding, sniff_csv

__all__ = [
    "CHUNK_ROWS",
    "DREAM_ID",
    "WideLayout",
    "column_families",
    "dream_long_chunks",
    "dream_wide_to_long",
    "dream_year",
    "read_dream_wide",
    "wide_layout",
]

log = logging.getLogger(__name__)

#: The id column of a DREAM file when ``[data] id_column`` is not given (``person_id`` is the fallback).
DREAM_ID = "PNR"
#: Persons (rows) read and melted at a time.
CHUNK_ROWS = 100_000
WEEK_COLUMN = re.compile(r"^y_(\d{2})(\d{2})$", re.IGNORECASE)
#: Known DREAM column families that are not benefit weeks: pattern -> family name.
FAMILIES = (
    (re.compile(r"^branche_\d{4}_\d{2}$", re.IGNORECASE), "branche_YYYY_MM"),
    (re.compile(r"^grad_\d{4}_\d{2}$", re.IGNORECASE), "grad_YYYY_MM"),
    (re.compile(r"^ak\d{2}$", re.IGNORECASE), "akYY"),
)
#: A SAS missing value written as text: ``.``, ``.A`` .. ``.Z``, ``._``.
SAS_MISSING = r"\.[A-Za-z_]?"
#: The pyreadstat reader of each suffix (typed Any: pyreadstat's overloads do not cover passing a reader on).
_READSTAT: dict[str, Any] = {
    ".sas7bdat": pyreadstat.read_sas7bdat,
    ".xpt": pyreadstat.read_xport,
    ".dta": pyreadstat.read_dta,
}


def dream_year(yy: np.ndarray) -> np.ndarray:
    """The calendar year of a DREAM two-digit year: ``1900 + YY`` when ``YY >= 90``, else ``2000 + YY``."""
    yy = np.asarray(yy, dtype=np.int64)
    return np.where(yy >= 90, 1900 + yy, 2000 + yy)


def column_families(columns: Sequence[str]) -> dict[str, int]:
    """Ignored columns by family: ``branche_YYYY_MM``, ``grad_YYYY_MM``, ``akYY``, else the column's own name."""
    out: dict[str, int] = {}
    for col in columns:  # the columns of one file (hundreds), not persons
        family = next((name for pattern, name in FAMILIES if pattern.match(col)), col)
        out[family] = out.get(family, 0) + 1
    return out


@dataclass(frozen=True)
class WideLayout:
    """The columns of a wide DREAM file: the id column, the week columns and their week numbers, the rest."""

    id_column: str
    week_columns: tuple[str, ...]
    weeks: np.ndarray
    ignored: tuple[str, ...]


def _id_column(columns: Sequence[str], id_column: str | None, source: str) -> str:
    """The id column: the configured one (any case), else ``PNR``, else ``person_id``."""
    lower = {c.lower(): c for c in columns}
    wanted = [id_column] if id_column else [DREAM_ID, "person_id"]
    for name in wanted:
        if name.lower() in lower:
            return lower[name.lower()]
    setting = "[data] id_column" if id_column else 'the default id column (set [data] id_column = "...")'
    raise ExtractError(
        f"{source}: missing the person id column {' or '.join(repr(w) for w in wanted)} ({setting}); "
        f"{columns_text(columns)}."
    )


def wide_layout(columns: Sequence[str], source: str, id_column: str | None = None) -> WideLayout:
    """Sort a wide DREAM file's columns into id, weeks (rule: module docstring) and ignored columns.

    Parameters
    ----------
    columns : sequence of str
        The file's column names.
    source : str
        File name, for messages.
    id_column : str, optional
        ``[data] id_column``; default ``PNR``, else ``person_id``.

    Returns
    -------
    WideLayout

    Raises
    ------
    ExtractError
        No id column, no week column, or ``y_`` columns that are not ISO weeks (named).
    """
    names = [str(c) for c in columns]
    ident = _id_column(names, id_column, source)
    week_cols = [c for c in names if c.lower().startswith("y_")]
    if not week_cols:
        raise ExtractError(
            f"{source}: no week columns; a wide DREAM extract has columns y_YYWW (e.g. y_9101, y_2001); "
            f"{columns_text(names)}."
        )
    parts = pd.Series(week_cols).str.extract(WEEK_COLUMN)
    year = pd.Series(dream_year(pd.to_numeric(parts[0], errors="coerce").fillna(0).to_numpy()))
    iso = (year.astype(str) + "-W" + parts[1]).where(parts[1].notna(), "x")
    weeks, _, bad = parse_periods(iso, "week")
    if bad.any():
        raise ExtractError(
            f"{source}: column{'s' if bad.sum() > 1 else ''} {[week_cols[i] for i in np.flatnonzero(bad)][:5]}: "
            "not a DREAM week column; expected y_YYWW with an ISO week 01-53 of year 19YY (YY >= 90) or 20YY."
        )
    ignored = tuple(c for c in names if c != ident and c not in set(week_cols))
    return WideLayout(ident, tuple(week_cols), np.asarray(weeks, dtype=np.int64), ignored)


def _filled_cells(block: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, pd.Series, int]:
    """``(rows, cols, codes, size)`` of the non-blank cells of the week block (``np.nonzero``; no loop)."""
    if all(block[c].dtype.kind in "fiu" for c in block.columns):
        values = block.to_numpy(dtype=float)
        rows, cols = np.nonzero(~np.isnan(values))
        return rows, cols, clean_codes(pd.Series(values[rows, cols])), values.size
    cells = block.astype("string").to_numpy(dtype=object)  # missing cells hold pd.NA
    rows, cols = np.nonzero(pd.notna(cells))
    codes = clean_codes(pd.Series(cells[rows, cols], dtype="string"))
    codes = clean_codes(pd.to_numeric(codes, errors="coerce")).where(codes.str.fullmatch(r"\d+\.0+"), codes)
    keep = ((codes != "") & ~codes.str.fullmatch(SAS_MISSING)).fillna(False).to_numpy(dtype=bool)
    return rows[keep], cols[keep], codes[keep], cells.size


def _melt(chunk: pd.DataFrame, layout: WideLayout) -> tuple[pd.DataFrame, int]:
    """One chunk's non-blank weeks as long rows ``person_id, period, benefit``, and its count of blank cells."""
    rows, cols, codes, size = _filled_cells(chunk[list(layout.week_columns)])
    order = np.lexsort((layout.weeks[cols], rows))
    ids = chunk[layout.id_column].to_numpy()
    out = pd.DataFrame(
        {
            "person_id": pd.array(ids[rows[order]], dtype="string"),
            "period": layout.weeks[cols][order],
            "benefit": pd.array(codes.to_numpy()[order], dtype="string"),
        }
    )
    return out, int(size - len(out))


def _clean_ids(chunk: pd.DataFrame, column: str, offset: int, source: str, ids: IdPolicy) -> pd.DataFrame:
    """The chunk with its ids pseudonymised (or stripped); blank ids are an error naming the rows of the file."""
    chunk = ids.apply(chunk, column, source, warn=offset == 0)
    clean = clean_codes(chunk[column])
    blank = (clean.isna() | (clean == "")).to_numpy(dtype=bool)
    if blank.any():
        rows = np.concatenate([np.zeros(offset, dtype=bool), blank])
        raise ExtractError(f"{source}: column '{column}', {rows_text(rows)}: empty person id.")
    chunk[column] = clean
    return chunk


def _melt_all(chunks: Iterator[pd.DataFrame], layout: WideLayout, source: str, ids: IdPolicy) -> Spells:
    """Melt every chunk (ids cleaned first), check one row per person across chunks, and join the long parts."""
    parts, id_parts, blank, offset = [], [], 0, 0
    for chunk in chunks:  # chunks of CHUNK_ROWS persons; each is vectorised
        chunk = _clean_ids(chunk, layout.id_column, offset, source, ids)
        long, n_blank = _melt(chunk, layout)
        parts.append(long)
        id_parts.append(chunk[layout.id_column].astype("string"))
        blank += n_blank
        offset += len(chunk)
        del chunk
    if not offset:
        raise ExtractError(f"{source}: the spells file has a header but no data rows; expected one row per person.")
    dup = pd.concat(id_parts, ignore_index=True).duplicated(keep=False).to_numpy()
    if dup.any():
        raise ExtractError(
            f"{source}: column '{layout.id_column}', {rows_text(dup)}: a person appears on several rows; "
            "a wide DREAM extract has one row per person."
        )
    out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    excluded = excluded_counts(identical_duplicate_rows=0, blank_weeks_no_benefit=blank)
    return Spells(out.reset_index(drop=True), "week", source, excluded, column_families(layout.ignored))


def dream_wide_to_long(
    frame: pd.DataFrame, source: str, *, id_column: str | None = None, ids: IdPolicy = PLAIN
) -> Spells:
    """Melt a wide DREAM frame already in memory (id column + ``y_YYWW`` columns) to long weeks.

    Rules: module docstring (two-digit years, ignored columns, blank = no
    benefit). Vectorised: the week block becomes one 2-D array and
    ``np.nonzero`` of its non-blank cells gives (person, week) pairs.

    Parameters
    ----------
    frame : DataFrame
        One row per person.
    source : str
        File name, for messages.
    id_column : str, optional
        The id column (default ``PNR``, else ``person_id``).
    ids : IdPolicy
        Pseudonymise declared CPR numbers (:mod:`survival_invest.io.privacy`).

    Returns
    -------
    Spells
        Weekly, sorted by person and week; ``ignored`` lists the other column families.
    """
    layout = wide_layout(list(frame.columns), source, id_column)
    used = frame[[layout.id_column, *layout.week_columns]].copy()
    return _finish(_melt_all(iter([used]), layout, source, ids), layout, source)


def _finish(spells: Spells, layout: WideLayout, source: str) -> Spells:
    """Log the ignored column families once; rename the id column to ``person_id``; sort by person and week."""
    if spells.ignored:
        listed = ", ".join(f"{k} ({v})" if v > 1 else k for k, v in list(spells.ignored.items())[:12])
        log.info("%s: %d columns are not DREAM weeks and were not read: %s", source, len(layout.ignored), listed)
    frame = spells.frame.sort_values(["person_id", "period"], kind="stable").reset_index(drop=True)
    return Spells(frame, "week", source, spells.excluded, spells.ignored)


def _file_columns(p: Path, suffix: str, dialect: CsvDialect | None) -> list[str]:
    """The column names of a file, from its header or metadata only."""
    if suffix in _READSTAT:
        _, meta = _READSTAT[suffix](p, metadataonly=True)
        return [str(c) for c in meta.column_names]
    if suffix in (".parquet", ".pq"):
        return [str(c) for c in pq.ParquetFile(p).schema_arrow.names]
    if dialect is None:  # a CSV always has its dialect here
        raise ExtractError(f"{p}: cannot read the header of the spells file.")
    return [str(c) for c in pd.read_csv(p, nrows=0, sep=dialect.sep, encoding=dialect.encoding).columns]


def _chunks(p: Path, suffix: str, columns: list[str], dialect: CsvDialect | None, rows: int) -> Iterator[pd.DataFrame]:
    """The file's ``columns``, ``rows`` persons at a time (pyreadstat, pyarrow or pandas chunks)."""
    if suffix in _READSTAT:
        reader = pyreadstat.read_file_in_chunks(
            _READSTAT[suffix], p, chunksize=rows, usecols=columns, disable_datetime_conversion=True
        )
        for chunk, _ in reader:
            yield chunk[columns]
    elif suffix in (".parquet", ".pq"):
        for batch in pq.ParquetFile(p).iter_batches(batch_size=rows, columns=columns):
            yield batch.to_pandas()
    elif dialect is not None:
        yield from pd.read_csv(
            p,
            usecols=columns,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            sep=dialect.sep,
            encoding=dialect.encoding,
            chunksize=rows,
        )


def _opened(path: str | Path) -> tuple[Path, str, CsvDialect | None]:
    """The file, its suffix (``.txt``/``.gz`` read as CSV) and its CSV dialect; missing or unknown files refused."""
    p = Path(path)
    if not p.is_file():
        raise ExtractError(f"{p}: spells file {'is a folder, not a file' if p.is_dir() else 'not found'}.")
    suffix = ".csv" if p.suffix.lower() in (".txt", ".gz") else p.suffix.lower()
    if suffix not in (*_READSTAT, ".parquet", ".pq", ".csv"):
        raise ExtractError(
            f"{p}: unknown file type {p.suffix!r} for a wide DREAM file; expected .sas7bdat, .xpt, .dta, .csv or .parquet."
        )
    return p, suffix, sniff_csv(p, "spells") if suffix == ".csv" else None


def dream_long_chunks(
    path: str | Path,
    *,
    id_column: str | None = None,
    ids: IdPolicy = PLAIN,
    chunk_rows: int = CHUNK_ROWS,
    encoding: str | None = None,
) -> tuple[WideLayout, Iterator[tuple[pd.DataFrame, int, pd.Series]]]:
    """A wide DREAM file streamed as long weeks, a chunk of persons at a time (``convert``; rules: module docstring).

    Parameters
    ----------
    path, id_column, ids, chunk_rows
        As for :func:`read_dream_wide`; ``encoding``: a CSV file's, when known (else as sniffed).

    Returns
    -------
    (WideLayout, iterator of (DataFrame, int, Series))
        The layout; per chunk its rows ``person_id, period`` (week number), ``benefit``, blank cells and ids.
    """
    p, suffix, dialect = _opened(path)
    dialect = CsvDialect(encoding, dialect.sep) if encoding is not None and dialect is not None else dialect
    layout = wide_layout(_file_columns(p, suffix, dialect), str(path), id_column)

    def chunks() -> Iterator[tuple[pd.DataFrame, int, pd.Series]]:  # each chunk melted as it is read
        offset = 0
        for chunk in _chunks(p, suffix, [layout.id_column, *layout.week_columns], dialect, chunk_rows):
            chunk = _clean_ids(chunk, layout.id_column, offset, str(path), ids)
            offset += len(chunk)
            yield (*_melt(chunk, layout), chunk[layout.id_column].astype("string"))

    return layout, chunks()


def read_dream_wide(
    path: str | Path, *, id_column: str | None = None, ids: IdPolicy = PLAIN, chunk_rows: int = CHUNK_ROWS
) -> Spells:
    """Read a wide DREAM file (SAS, transport, Stata, CSV or Parquet) in chunks, as long weeks.

    Parameters
    ----------
    path : str or Path
        ``.sas7bdat``, ``.xpt``, ``.dta``, ``.csv``/``.txt``/``.gz`` or ``.parquet``/``.pq``.
    id_column : str, optional
        ``[data] id_column`` (default ``PNR``, else ``person_id``).
    ids : IdPolicy
        Pseudonymise declared CPR numbers at read time (:mod:`survival_invest.io.privacy`).
    chunk_rows : int
        Persons read and melted at a time.

    Returns
    -------
    Spells
        Weekly spells; ``ignored`` counts the columns not read, by family.

    Raises
    ------
    ExtractError
        Missing or unreadable file, unknown suffix, no id or week column, blank or repeated ids.
    """
    p, suffix, dialect = _opened(path)
    source = str(path)
    try:
        for retry in (False, True):  # a CSV that is not UTF-8 is read again as Windows-1252
            try:
                layout = wide_layout(_file_columns(p, suffix, dialect), source, id_column)
                chunks = _chunks(p, suffix, [layout.id_column, *layout.week_columns], dialect, chunk_rows)
                spells = _melt_all(chunks, layout, source, ids)
                break
            except UnicodeDecodeError:
                if retry:
                    raise
                dialect = CsvDialect(non_utf8_encoding(p, "spells"), dialect.sep if dialect else ",")
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError, ValueError, OSError) as exc:
        if isinstance(exc, ExtractError):
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ExtractError(f"{p}: cannot read the spells file: {first[:200]}") from exc
    return _finish(spells, layout, source)
