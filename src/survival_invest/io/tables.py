"""Shared helpers of the readers: read a CSV/Parquet table, check its columns, name rows in messages.

CSV and Parquet are read with pandas (and pyarrow for Parquet); nothing here
parses text by hand. Every problem raises :class:`ExtractError` naming the
file, the column, the 1-based data row number(s) (the header is not counted)
and the value, and saying what was expected.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pandas.api.types import union_categoricals

from survival_invest.errors import ExtractError, plain_repr
from survival_invest.io.periods import Frequency, parse_periods
from survival_invest.io.sources import is_glob, local_path, part_files, remote_readers, remote_scheme
from survival_invest.io.text import CsvDialect, decimal_commas, non_utf8_encoding, sniff_csv

__all__ = [
    "ID_ALIASES",
    "ID_SETTING",
    "MAX_LISTED",
    "Problems",
    "clean_code_categories",
    "clean_codes",
    "columns_text",
    "parse_period_column",
    "read_table",
    "refuse_empty",
    "require_columns",
    "rows_text",
]

log = logging.getLogger(__name__)
T = TypeVar("T")
F = TypeVar("F")

#: How many row numbers (or column names) a message lists before cutting.
MAX_LISTED = 5

#: Lower-case names a register file may give a required column (Statistics Denmark's PNR, the CPR number).
ID_ALIASES = {
    "person_id": (
        "pnr",
        "cpr",
        "cpr_nr",
        "cprnr",
        "cpr_nummer",
        "cprnummer",
        "pnr_nr",
        "person",
        "personid",
        "person_nr",
        "id",
    )
}

#: The setting that names the person id column of the data files when it is not ``person_id``.
ID_SETTING = "[data] id_column"


class Problems:
    """Problems of one file collected in one pass: :meth:`attempt` runs a check, :meth:`done` raises them all.

    A reader checks every column it can on its own (blank ids, unreadable
    periods, non-numbers) and reports all of them at once, one line each
    (the :class:`ExtractError` message joins the lines).
    """

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, message: str) -> None:
        """Record one problem."""
        self.lines.append(message)

    def attempt(self, check: Callable[[], T], fallback: F) -> T | F:
        """Run one check; an :class:`ExtractError` is recorded and ``fallback`` returned."""
        try:
            return check()
        except ExtractError as exc:
            self.lines.extend(str(exc).splitlines())
            return fallback

    def done(self) -> None:
        """Raise :class:`ExtractError` with every recorded problem, one per line (nothing when there were none)."""
        if self.lines:
            raise ExtractError("\n".join(self.lines))


def rows_text(mask: np.ndarray) -> str:
    """Name the rows a boolean mask marks, for a message: ``'rows 3, 8, 10 (and 4 more)'``.

    Rule: row numbers are 1-based data rows (``index + 1``; the header is not
    counted), the first :data:`MAX_LISTED` are listed and the rest counted;
    ``'row'`` for one row, ``'rows'`` for several.
    """
    idx = np.flatnonzero(mask) + 1
    head = ", ".join(str(i) for i in idx[:MAX_LISTED])
    more = f" (and {len(idx) - MAX_LISTED} more)" if len(idx) > MAX_LISTED else ""
    return f"row{'s' if len(idx) > 1 else ''} {head}{more}"


def _read_csv(p: Path, dialect: CsvDialect, arrow: bool) -> pd.DataFrame:
    """One CSV read with pandas: every column a string, only an empty field missing."""
    return pd.read_csv(
        p,
        dtype="string[pyarrow]" if arrow else str,
        keep_default_na=False,
        na_values=[""],
        sep=dialect.sep,
        encoding=dialect.encoding,
    )


def _csv_table(p: Path, what: str, arrow: bool) -> pd.DataFrame:
    """A CSV file in UTF-8 or Windows-1252, comma- or semicolon-separated (rules: :mod:`survival_invest.io.text`)."""
    dialect = sniff_csv(p, what)
    try:
        frame = _read_csv(p, dialect, arrow)
    except UnicodeDecodeError:
        dialect = CsvDialect(non_utf8_encoding(p, what), dialect.sep)
        frame = _read_csv(p, dialect, arrow)
    if dialect.decimal == ",":
        log.info("%s: semicolon-separated with decimal commas (a Danish export)", p)
        frame = decimal_commas(frame)
    return frame


def read_table(path: str | Path, *, what: str, arrow: bool = False) -> pd.DataFrame:
    """Read a CSV or Parquet file with every column as it is stored (CSV: as strings).

    CSV files may be UTF-8 or Windows-1252 (read with a warning) and comma- or
    semicolon-separated (then with decimal commas): see :mod:`survival_invest.io.text`.

    Parameters
    ----------
    path : str or Path
        ``.parquet``/``.pq`` (read as stored) or ``.csv``/``.txt``/``.gz``
        (every column a string; only an empty field is missing).
    what : str
        What the file is (``"spells"``, ``"memberships"``, ...), for messages.
    arrow : bool
        Arrow-backed columns (no Python object per value; for files with tens
        of millions of rows, like a national memberships file).

    Returns
    -------
    DataFrame

    Raises
    ------
    ExtractError
        The file is missing, empty, unreadable or of an unknown type.
    """
    remote = remote_scheme(path)
    if remote is not None:
        raise ExtractError(
            f"{path}: the in-memory reader reads local files; {remote}:// {what} are read by "
            f"{remote_readers(remote)} ([engine] name, or --engine)."
        )
    p = local_path(path) or Path(path)
    if p.is_dir() or is_glob(p):  # a folder of Parquet parts or a glob: read the parts as one table
        return _parts_table(part_files(p, what), what, arrow)
    if not p.is_file():
        raise ExtractError(f"{p}: {what} file not found.")
    suffix = p.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(p, dtype_backend="pyarrow") if arrow else pd.read_parquet(p)
        if suffix in (".csv", ".txt", ".gz"):
            return _csv_table(p, what, arrow)
    except ExtractError:
        raise
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ExtractError(f"{p}: cannot read the {what} file: {first[:200]}") from exc
    raise ExtractError(f"{p}: unknown file type {suffix!r} for the {what} file; expected .csv or .parquet.")


def _parts_table(files: list[Path], what: str, arrow: bool) -> pd.DataFrame:
    """The parts of a folder or glob as one table (every part read as :func:`read_table` reads a file).

    A column that is categorical in every part (a Parquet dictionary column:
    codes, period labels) stays categorical, its categories the union of the
    parts' (``pandas.concat`` would expand it to one Python string per row).
    """
    if not arrow and len(files) > 1 and all(f.suffix.lower() in (".parquet", ".pq") for f in files):
        frame = _arrow_parts(files)
        if frame is not None:
            return frame
    parts = [read_table(f, what=what, arrow=arrow) for f in files]
    if len(parts) == 1:
        return parts[0]
    cats = [c for c in parts[0].columns if all(isinstance(p[c].dtype, pd.CategoricalDtype) for p in parts if c in p)]
    cats = [c for c in cats if all(c in p for p in parts)]
    frame = pd.concat([p.drop(columns=cats) for p in parts], ignore_index=True)
    for c in cats:  # a few columns
        frame[c] = pd.Series(union_categoricals([p[c] for p in parts]), index=frame.index)
    return frame[[c for c in parts[0].columns if c in frame] + [c for c in frame if c not in parts[0].columns]]


def _arrow_parts(files: list[Path]) -> pd.DataFrame | None:
    """Parquet parts of one schema as one table, converted to pandas once (dictionaries unified: categoricals).

    None when the parts do not read as one table (another schema, an unreadable
    part): the caller then reads part by part and names the part at fault.
    """
    try:
        table = pa.concat_tables([pq.read_table(f) for f in files]).unify_dictionaries()
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError, ValueError):
        return None
    return table.to_pandas()


def refuse_empty(frame: pd.DataFrame, source: str, what: str, expected: str) -> None:
    """Refuse a file with a header but no data rows.

    Parameters
    ----------
    frame : DataFrame
        The table as read.
    source : str
        File name used in the message.
    what : str
        What the file is (``"spells"``, ``"memberships"``).
    expected : str
        What a row is, e.g. ``"one row per person and period"``.

    Raises
    ------
    ExtractError
        When ``frame`` has no rows.
    """
    if len(frame) == 0:
        raise ExtractError(f"{source}: the {what} file has a header but no data rows; expected {expected}.")


def columns_text(columns: Sequence[object]) -> str:
    """The columns found, cut for a message: ``"found 261 columns: 'PNR', 'y_1727', … 'y_2221'"``.

    Rule: up to :data:`MAX_LISTED` + 1 columns are all listed; more are cut to the
    first two, an ellipsis and the last.
    """
    names = [repr(str(c)) for c in columns]
    n = len(names)
    if n <= MAX_LISTED + 1:
        return f"found {n} column{'s' if n != 1 else ''}: {', '.join(names)}"
    return f"found {n} columns: {names[0]}, {names[1]}, … {names[-1]}"


def _candidate(missing: str, present: Sequence[str]) -> str:
    """The hint for one missing column: a known alias (PNR for person_id) or the closest name."""
    lower = {c.lower(): c for c in present}
    for alias in ID_ALIASES.get(missing, ()):
        if alias in lower:
            return (
                f" ('{lower[alias]}' looks like it: rename the column '{lower[alias]}' to '{missing}' "
                f'in the file\'s first line, or set {ID_SETTING} = "{lower[alias]}")'
            )
    close = difflib.get_close_matches(missing, present, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _layout_hint(present: Sequence[str]) -> str:
    """A hint when the columns show another layout: DREAM week columns in a file read as long spells."""
    weeks = sum(1 for c in present if c.startswith("y_"))
    if weeks >= 2 and weeks >= len(present) // 2:
        return '; the y_YYWW columns are a wide DREAM extract: set [data] spells_format = "dream_wide"'
    if len(present) == 1 and ";" in present[0]:
        return "; the header holds ';': is the separator mixed within the file?"
    return ""


def require_columns(frame: pd.DataFrame, columns: Sequence[str], source: str) -> None:
    """Raise :class:`ExtractError` unless ``frame`` has every one of ``columns``.

    The message lists each missing column with a hint: a known alias present
    (``PNR``/``CPR`` for ``person_id``: rename it), else the closest present
    name (``difflib``, similarity >= 0.6); then the columns found, cut to a
    few (:func:`columns_text`), and the setting that would accept a wide
    DREAM file (``spells_format = "dream_wide"``) when the columns look like one.

    Parameters
    ----------
    frame : DataFrame
    columns : sequence of str
        The required column names.
    source : str
        File name (or ``"<DataFrame>"``) used in the message.

    Raises
    ------
    ExtractError
        Naming the missing columns.
    """
    missing = [c for c in columns if c not in frame.columns]
    if not missing:
        return
    present = [str(x) for x in frame.columns]
    hints = [f"'{c}'" + _candidate(c, present) for c in missing]
    raise ExtractError(
        f"{source}: missing column{'s' if len(missing) > 1 else ''} {', '.join(hints)}; "
        f"{columns_text(present)}{_layout_hint(present)}."
    )


def clean_codes(values: pd.Series) -> pd.Series:
    """Codes as stripped strings; integral floats (as Parquet stores an integer column with gaps) lose their '.0'."""
    if values.dtype.kind == "f":
        whole = values.notna() & (values == np.floor(values))
        out = values.astype("string")
        out[whole] = values[whole].astype("int64").astype("string")
        return out.str.strip()
    return values.astype("string").str.strip()


def clean_code_categories(values: pd.Series) -> pd.Categorical:
    """Codes as a categorical of :func:`clean_codes` strings, cleaned once per distinct value.

    A register column holds a few dozen codes over millions of rows: the
    distinct values are cleaned (stripped, integral floats without ``.0``) and
    values that become equal share one category; missing values get code -1;
    the categories are the codes that occur. A categorical column (Parquet dictionaries) is factorised on its codes.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes, uniq = values.cat.codes.to_numpy(), values.cat.categories
    else:
        codes, uniq = pd.factorize(values, use_na_sentinel=True)
    clean = clean_codes(pd.Series(uniq if isinstance(uniq, pd.Index) else np.asarray(uniq)))
    inverse, cats = pd.factorize(clean, use_na_sentinel=True)
    small = np.min_scalar_type(-max(len(cats), 1))  # rows keep one small integer each (int8 for a few codes)
    inverse = np.append(np.asarray(inverse, dtype=small), -1)  # code -1 (missing) stays -1
    present = np.zeros(len(inverse), dtype=bool)
    present[codes] = True  # the distinct values rows use (-1: the last slot); no count, no int64 copy
    used = np.zeros(len(cats) + 1, dtype=bool)
    used[inverse[present]] = True
    used = used[:-1]
    names = np.asarray(cats, dtype=object)
    if used.all() and np.array_equal(inverse[:-1], np.arange(len(cats))):  # clean already (Parquet dictionaries)
        return pd.Categorical.from_codes(codes, categories=pd.Index(names))
    merged = inverse[codes]  # fancy indexing by the codes as they are (``take`` copies them to int64 first)
    if not used.all():  # categories no row uses (a categorical column's unused ones) are dropped
        renumber = np.append(np.cumsum(used) - 1, -1).astype(small)
        merged = renumber[merged]
        names = names[used]
    return pd.Categorical.from_codes(merged, categories=pd.Index(names))


def parse_period_column(frame: pd.DataFrame, column: str, source: str, frequency: str) -> tuple[np.ndarray, Frequency]:
    """Period numbers of ``frame[column]`` (see :func:`survival_invest.io.periods.parse_periods`).

    Parameters
    ----------
    frame : DataFrame
    column : str
        The column of ``YYYY-MM`` or ``YYYY-Www`` labels.
    source : str
        File name used in the message.
    frequency : {"auto", "month", "week"}
        ``auto``: the frequency of the first label; every row must have it.

    Returns
    -------
    (ndarray of int64, {"month", "week"})
        The period numbers and the frequency.

    Raises
    ------
    ExtractError
        Naming the rows whose label cannot be read, and the first such value.
    """
    periods, freq, bad = parse_periods(frame[column], frequency)  # type: ignore[arg-type]  # str checked there
    if bad.any():
        first = frame[column].iloc[int(np.argmax(bad))]
        expected = "YYYY-MM (months)" if freq == "month" else "YYYY-Www (ISO weeks)"
        raise ExtractError(
            f"{source}: column '{column}', {rows_text(bad)}: cannot read period {plain_repr(first)}; "
            f"expected {expected} like all rows of the file."
        )
    return periods, freq
