"""Group memberships: which person is in which case's target or intervention group, from when.

A national memberships file has tens of millions of rows, so the columns are
Arrow-backed strings and integer keys (:mod:`survival_invest.io.ids`) and the
repeated-entry check is one sort of packed integer keys (:func:`repeated_keys`).
Every problem raises :class:`ExtractError` naming the file, the column, the rows
and the value.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from survival_invest.errors import ExtractError, plain_repr
from survival_invest.io.idcolumn import with_person_id
from survival_invest.io.ids import arrow_strings, categories, person_keys
from survival_invest.io.privacy import PLAIN, IdPolicy
from survival_invest.io.sources import remote_scheme
from survival_invest.io.tables import (
    Problems,
    parse_period_column,
    read_table,
    refuse_empty,
    require_columns,
    rows_text,
)

__all__ = ["GROUPS", "memberships_from_frame", "read_memberships", "repeated_keys"]

#: The groups a membership row may name.
GROUPS = ("target", "intervention")


def memberships_from_frame(
    frame: pd.DataFrame, *, source: str = "<DataFrame>", frequency: str = "auto"
) -> pd.DataFrame:
    """Validate group memberships: ``person_id, case_id, group, entry_period``.

    Rules: ids not blank; ``group`` is ``target`` or ``intervention`` (any
    case); entry periods parse, all of one frequency; the same person may
    appear in several cases, but only once per case and group.

    Parameters
    ----------
    frame : DataFrame
        The four columns above.
    source : str
        File name used in messages.
    frequency : {"auto", "month", "week"}
        Frequency of ``entry_period`` (``auto``: from the first label).

    Returns
    -------
    DataFrame
        Those columns (``entry_period`` as int64 period number, ``group`` lower
        case), a ``row`` column with the 1-based source row, and the frequency
        and source in ``attrs["frequency"]`` and ``attrs["source"]``.
    """
    require_columns(frame, ("person_id", "case_id", "group", "entry_period"), source)
    # Arrow-backed strings and integer keys: a national file has tens of millions of rows (see io.ids)
    out = pd.DataFrame(
        {
            "person_id": arrow_strings(frame["person_id"]),
            "case_id": categories(frame["case_id"]),
            "group": categories(frame["group"], lower=True),
        }
    )
    problems = Problems()
    for col in ("person_id", "case_id"):
        blank = out[col].isna() | (out[col] == "")
        if blank.any():
            problems.add(f"{source}: column '{col}', {rows_text(blank.to_numpy())}: empty value.")
    bad = ~out["group"].isin(GROUPS).fillna(False).to_numpy()
    if bad.any():
        first = frame["group"].iloc[int(np.argmax(bad))]
        problems.add(
            f"{source}: column 'group', {rows_text(bad)}: {plain_repr(first)} is not a group; expected 'target' or 'intervention'."
        )
    parsed = problems.attempt(lambda: parse_period_column(frame, "entry_period", source, frequency), None)
    problems.done()
    if parsed is None:  # problems.done() raised already; this keeps the type exact
        raise ExtractError(f"{source}: column 'entry_period': cannot read the periods.")
    periods, freq = parsed
    out["entry_period"] = periods
    out["row"] = np.arange(1, len(out) + 1)
    dup = repeated_keys(
        person_keys(out["person_id"])[0], pd.factorize(out["case_id"])[0], pd.factorize(out["group"])[0]
    )
    if dup.any():
        raise ExtractError(
            f"{source}: columns 'person_id', 'case_id', 'group', {rows_text(dup)}: the same person is listed "
            "twice in the same case and group; expected one entry per person, case and group."
        )
    out.attrs["frequency"] = freq
    out.attrs["source"] = source
    return out


def repeated_keys(*keys: np.ndarray) -> np.ndarray:
    """Rows whose combination of integer keys occurs more than once (all of them, like ``keep=False``).

    Rule: the keys are packed into one int64, ``packed = packed * (max(k) + 1) + k``
    after shifting each key to start at 0 (and factorising when the product
    would not fit below ``2**62``), then sorted once; a packed value equal to
    its sorted neighbour is repeated.

    Parameters
    ----------
    *keys : ndarray of int
        One or more key columns of equal length.

    Returns
    -------
    ndarray of bool
        True on every row whose key combination occurs more than once.
    """
    packed = np.zeros(len(keys[0]), dtype=np.int64)
    if not packed.size:
        return np.zeros(0, dtype=bool)
    for key in keys:
        k = np.asarray(key, dtype=np.int64)
        lo, hi = int(k.min()), int(k.max())
        k = pd.factorize(k)[0].astype(np.int64) if hi - lo >= 2**62 else k - lo  # Python ints: no overflow
        if int(packed.max()) * (int(k.max()) + 1) + int(k.max()) >= 2**62:
            packed = pd.factorize(packed)[0].astype(np.int64)
            k = pd.factorize(k)[0].astype(np.int64)  # both below the row count now: the product fits
        packed = packed * (int(k.max()) + 1) + k
    ordered = np.sort(packed)  # a sort beats pandas' hash-based duplicated(keep=False) several times here
    repeats = ordered[1:][ordered[1:] == ordered[:-1]]
    return np.isin(packed, repeats) if repeats.size else np.zeros(packed.size, dtype=bool)


def read_memberships(
    path: str | Path,
    *,
    frequency: str = "auto",
    ids: IdPolicy = PLAIN,
    id_column: str | None = None,
    remote: Callable[[str | Path, str], pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Read and validate a memberships file (CSV or Parquet, Arrow-backed); see :func:`memberships_from_frame`.

    Parameters
    ----------
    path : str or Path
        The memberships file.
    frequency : {"auto", "month", "week"}
        Frequency of ``entry_period``.
    ids : IdPolicy
        Declared CPR numbers are pseudonymised as the file is read (:mod:`survival_invest.io.privacy`).
    id_column : str, optional
        ``[data] id_column``: the person id column when the file has no ``person_id``
        (:func:`~survival_invest.io.idcolumn.with_person_id`).
    remote : callable, optional
        ``remote(uri, "memberships")`` reads a file on remote storage (``hdfs://`` ...)
        as a DataFrame: the DuckDB or Spark engine's ``read_frame``. The file is then
        checked here like a local one. Without it a remote URI is refused naming the engines.

    Returns
    -------
    DataFrame
        As :func:`memberships_from_frame`.
    """
    if remote is not None and remote_scheme(path) is not None:
        frame = remote(path, "memberships")
    else:
        frame = read_table(path, what="memberships", arrow=True)
    refuse_empty(frame, str(path), "memberships", "one row per person, case and group")
    frame = with_person_id(frame, id_column, str(path))
    frame = ids.apply(frame, "person_id", str(path))
    return memberships_from_frame(frame, source=str(path), frequency=frequency)
