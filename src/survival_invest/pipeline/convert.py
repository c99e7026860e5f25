"""``survival-invest convert``: a wide DREAM file streamed to long Parquet parts the DuckDB and Spark engines read.

A national extract (5 million persons x 30 years of weeks) never has to fit in
memory: the wide file is read a chunk of persons at a time
(:func:`survival_invest.io.dream.dream_long_chunks`: SAS, transport, Stata,
CSV or Parquet), each chunk melted to long weeks and written as its own
Parquet part, then dropped.

Decisions:

* **Output**: a folder of parts ``part-00000.parquet``, ``part-00001.parquet``,
  ... with the long spells columns ``person_id`` (string), ``period``
  (``YYYY-Www``, dictionary-encoded) and ``benefit`` (string), rows sorted by
  person and week within a part; ``[data] spells`` names the folder and
  ``spells_format = "long"`` (:mod:`survival_invest.io.sources` reads a folder
  of parts). Written into ``OUT/.convert-<pid>`` first and renamed to ``OUT``
  at the end, so a failed conversion leaves no half folder that a run would read.
* **Ids**: the run's id policy (``[privacy] ids = "cpr"``: pseudonyms, so the
  parts never hold a CPR number and the engines that read files may run on them).
* **Checks** as the reader's: blank ids and non-week ``y_`` columns refused;
  a person on two rows of the wide file is refused after the pass (the ids of
  every row are kept as Arrow strings for that check, a few bytes per person).
* **Parts**: one per :data:`PART_PERSONS` persons (default 200,000: about 10^7
  long rows for an extract from 1991, some 50-100 MB of Parquet).
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from survival_invest.errors import ExtractError
from survival_invest.io.dream import column_families, dream_long_chunks
from survival_invest.io.periods import week_label
from survival_invest.io.privacy import PLAIN, IdPolicy
from survival_invest.io.tables import rows_text
from survival_invest.io.text import non_utf8_encoding

__all__ = ["PART_PERSONS", "Converted", "convert_dream"]

log = logging.getLogger(__name__)

#: Persons per Parquet part (one chunk of the wide file each).
PART_PERSONS = 200_000

_SCHEMA = pa.schema(
    [("person_id", pa.string()), ("period", pa.dictionary(pa.int32(), pa.string())), ("benefit", pa.string())]
)


@dataclass(frozen=True)
class Converted:
    """What a conversion wrote: the folder, its parts, long rows, persons (wide rows), blank cells, seconds, other columns."""

    folder: Path
    parts: int
    rows: int
    persons: int
    blank_cells: int
    seconds: float
    ignored: dict[str, int]

    def describe(self) -> str:
        """One line for the command line."""
        rate = self.persons / self.seconds if self.seconds > 0 else float("nan")
        return (
            f"{self.folder}: {self.parts} Parquet part(s), {self.rows:,} long rows from {self.persons:,} persons "
            f"in {self.seconds:.1f} s ({rate:,.0f} persons/s)"
        )


def _part_table(long: pd.DataFrame) -> pa.Table:
    """A chunk's long weeks as an Arrow table: week numbers to ``YYYY-Www`` labels (each distinct week once)."""
    codes, weeks = pd.factorize(long["period"].to_numpy(), sort=True)
    labels = pa.array(np.asarray(week_label(np.asarray(weeks, dtype=np.int64)), dtype=str).tolist(), pa.string())
    period = pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), labels)
    return pa.table(
        {
            "person_id": pa.array(long["person_id"].astype(str).to_numpy(), pa.string()),
            "period": period,
            "benefit": pa.array(long["benefit"].astype(str).to_numpy(), pa.string()),
        },
        schema=_SCHEMA,
    )


def _write_parts(
    source: Path, tmp: Path, id_column: str | None, ids: IdPolicy, persons: int, encoding: str | None
) -> Converted:
    """One pass over the wide file: every chunk to its own part; the repeated-id check at the end."""
    start = time.perf_counter()
    layout, chunks = dream_long_chunks(source, id_column=id_column, ids=ids, chunk_rows=persons, encoding=encoding)
    rows = blank = n_parts = 0
    id_chunks: list[pa.Array] = []
    for long, n_blank, chunk_ids in chunks:  # one chunk of persons at a time: the wide file is never held whole
        pq.write_table(_part_table(long), tmp / f"part-{n_parts:05d}.parquet", compression="zstd")
        id_chunks.append(pa.array(chunk_ids.to_numpy(dtype=object), pa.string()))
        rows, blank, n_parts = rows + len(long), blank + n_blank, n_parts + 1
        log.info("%s: part %d written (%d rows so far)", source, n_parts, rows)
    if not n_parts:
        raise ExtractError(f"{source}: the spells file has a header but no data rows; expected one row per person.")
    every = pa.chunked_array(id_chunks, pa.string()).to_pandas()
    dup = every.duplicated(keep=False).to_numpy()
    if dup.any():  # a person whose weeks fall in two chunks: on two rows of the wide file
        raise ExtractError(
            f"{source}: column '{layout.id_column}', {rows_text(dup)}: a person appears on several rows; "
            "a wide DREAM extract has one row per person."
        )
    ignored = column_families(layout.ignored)
    return Converted(tmp, n_parts, rows, len(every), blank, time.perf_counter() - start, ignored)


def convert_dream(
    source: str | Path,
    out: str | Path,
    *,
    id_column: str | None = None,
    ids: IdPolicy = PLAIN,
    persons_per_part: int = PART_PERSONS,
) -> Converted:
    """Stream a wide DREAM file to a folder of long Parquet parts (rules: module docstring).

    Parameters
    ----------
    source : str or Path
        The wide DREAM file (``.sas7bdat``, ``.xpt``, ``.dta``, CSV or Parquet).
    out : str or Path
        The folder to write (refused when it exists and is not empty).
    id_column : str, optional
        The id column (default ``PNR``, else ``person_id``).
    ids : IdPolicy
        Declared CPR numbers are pseudonymised before anything is written.
    persons_per_part : int
        Persons per chunk and part.

    Returns
    -------
    Converted

    Raises
    ------
    ExtractError
        The reader's problems (file, column, rows), or an ``out`` that holds files.
    """
    src, dest = Path(source), Path(out)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ExtractError(f"{dest}: the convert output must be a new or empty folder; it holds files.")
    if persons_per_part < 1:
        raise ExtractError(f"--persons-per-part: expected a positive number of persons, got {persons_per_part}.")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.parent / f".convert-{dest.name}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        try:
            done = _write_parts(src, tmp, id_column, ids, persons_per_part, None)
        except UnicodeDecodeError:  # a CSV that is not UTF-8: again as Windows-1252 (io.text)
            shutil.rmtree(tmp)
            tmp.mkdir()
            done = _write_parts(src, tmp, id_column, ids, persons_per_part, non_utf8_encoding(src, "spells"))
        if dest.exists():
            dest.rmdir()
        tmp.rename(dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Converted(dest, done.parts, done.rows, done.persons, done.blank_cells, done.seconds, done.ignored)
