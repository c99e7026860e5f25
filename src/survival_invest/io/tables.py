"""Shared helpers of the readers: read a CSV/Parquet table, check its columns, name rows in messages.

CSV and Parquet are read with pandas (and pyarrow for Parquet); nothing here
parses text by hand. Every problem raises :class:`ExtractError` naming the
file, the column, the 1-based data row number(s) (the header is not counted)
and the value, and saying what was expected.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from survival_invest.errors import ExtractError, plain_repr
from survival_invest.io.periods import Frequency, parse_periods

__all__ = ["MAX_LISTED", "clean_codes", "parse_period_column", "read_table", "require_columns", "rows_text"]

#: How many row numbers a message lists before "(and N more)".
MAX_LISTED = 5


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


def read_table(path: str | Path, *, what: str, arrow: bool = False) -> pd.DataFrame:
    """Read a CSV or Parquet file with every column as it is stored (CSV: as strings).

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
        The file is missing, unreadable or of an unknown type.
    """
    p = Path(path)
    if not p.is_file():
        raise ExtractError(f"{p}: {what} file not found.")
    suffix = p.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(p, dtype_backend="pyarrow") if arrow else pd.read_parquet(p)
        if suffix in (".csv", ".txt", ".gz"):
            return pd.read_csv(p, dtype="string[pyarrow]" if arrow else str, keep_default_na=False, na_values=[""])
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise ExtractError(f"{p}: cannot read the {what} file: {exc}") from exc
    raise ExtractError(f"{p}: unknown file type {suffix!r} for the {what} file; expected .csv or .parquet.")


def require_columns(frame: pd.DataFrame, columns: Sequence[str], source: str) -> None:
    """Raise :class:`ExtractError` unless ``frame`` has every one of ``columns``.

    The message lists each missing column with the closest present name
    (``difflib``, similarity >= 0.6) as a "did you mean" hint, and the columns found.

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
    hints = []
    for c in missing:
        close = difflib.get_close_matches(c, [str(x) for x in frame.columns], n=1, cutoff=0.6)
        hints.append(f"'{c}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
    raise ExtractError(
        f"{source}: missing column{'s' if len(missing) > 1 else ''} {', '.join(hints)}; "
        f"found {[str(c) for c in frame.columns]}."
    )


def clean_codes(values: pd.Series) -> pd.Series:
    """Codes as stripped strings; integral floats (as Parquet stores an integer column with gaps) lose their '.0'."""
    if values.dtype.kind == "f":
        whole = values.notna() & (values == np.floor(values))
        out = values.astype("string")
        out[whole] = values[whole].astype("int64").astype("string")
        return out.str.strip()
    return values.astype("string").str.strip()


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
