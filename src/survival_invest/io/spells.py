"""Spells extracts: long person-period rows, or wide DREAM weeks melted to long.

Every problem raises :class:`ExtractError` naming the file, the column, the
1-based data row number(s) and the value (see :mod:`survival_invest.io.tables`).
Rows are never dropped silently: what the reader removes (identical duplicate
rows, blank DREAM weeks) is counted in :attr:`Spells.excluded`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from survival_invest.choices import SPELLS_FORMATS, SpellsFormat
from survival_invest.errors import ExtractError, plain_repr
from survival_invest.io.dream import read_dream_wide
from survival_invest.io.extract import Spells, excluded_counts
from survival_invest.io.idcolumn import with_person_id
from survival_invest.io.ids import arrow_strings, integer_ids
from survival_invest.io.privacy import PLAIN, IdPolicy
from survival_invest.io.tables import (
    Problems,
    clean_code_categories,
    parse_period_column,
    read_table,
    refuse_empty,
    require_columns,
    rows_text,
)

__all__ = ["Spells", "read_spells", "spells_from_frame"]  # Spells lives in io.extract; kept importable here


def _person_column(values: pd.Series) -> tuple[np.ndarray | pd.Series, np.ndarray]:
    """Person ids as int64 when every id is a canonical integer, else stripped ``string[pyarrow]``; and the blanks.

    Integers are an internal form only: an id is an integer here exactly when
    its text is the integer's decimal text (:func:`~survival_invest.io.ids.integer_ids`),
    so equal integers mean equal texts and ids keep their meaning as text.
    """
    if values.dtype.kind in "iu":
        return values.to_numpy().astype(np.int64, copy=False), np.zeros(len(values), dtype=bool)
    text = arrow_strings(values)
    blank = (text.isna() | (text == "")).to_numpy(dtype=bool, na_value=True)
    ints = None if blank.any() else integer_ids(text)
    return (text.reset_index(drop=True) if ints is None else ints), blank


def _sort_keys(person: np.ndarray | pd.Series) -> np.ndarray:
    """Integer keys whose order is the ids' order (the integers themselves, or ranks of the sorted texts)."""
    if isinstance(person, np.ndarray):
        return person
    codes, _ = pd.factorize(person, sort=True)
    return np.asarray(codes, dtype=np.int64)


def _order(key: np.ndarray, period: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """(order, same): the permutation sorting rows by (person, period) (None when already sorted) and, on the
    sorted rows, whether a row repeats the previous row's person and period.

    O(n) when the rows arrive sorted (as a register extract does); a stable
    sort only when they do not, so the first of equal rows stays first.
    """
    n = key.shape[0]
    order = None
    if not _sorted(key, period):
        order = np.lexsort((period, key))
        key, period = key[order], period[order]
    same = np.zeros(n, dtype=bool)
    np.equal(key[1:], key[:-1], out=same[1:])
    same[1:] &= period[1:] == period[:-1]
    return order, same


def _sorted(key: np.ndarray, period: np.ndarray) -> bool:
    """Whether rows are sorted by (key, period): keys never fall, and where a key repeats its period does not.

    Boolean passes only (no copy of the rows of a repeated key): at 10^8 rows that copy cost seconds.
    """
    if key.shape[0] < 2:
        return True
    if not bool(np.all(key[1:] >= key[:-1])):
        return False
    rises = key[1:] > key[:-1]
    rises |= period[1:] >= period[:-1]
    return bool(rises.all())


def _refuse_conflicts(
    frame: pd.DataFrame, code: np.ndarray, cats: np.ndarray, order: np.ndarray | None, same: np.ndarray, source: str
) -> None:
    """An error listing the rows of person-periods that appear with different benefit codes."""
    c = code if order is None else code[order]
    differs = np.zeros(c.shape[0], dtype=bool)
    np.not_equal(c[1:], c[:-1], out=differs[1:])
    differs &= same
    if not differs.any():
        return
    group = np.cumsum(~same) - 1  # runs of equal (person, period) on the sorted rows
    bad_group = np.zeros(int(group[-1]) + 1, dtype=bool)
    bad_group[group[differs]] = True
    marked = bad_group[group]
    rows = np.zeros(c.shape[0], dtype=bool)
    rows[np.flatnonzero(marked) if order is None else order[marked]] = True
    first = np.flatnonzero(rows)[0]
    listed = sorted(str(x) for x in cats[np.unique(code[rows])])[:4]
    raise ExtractError(
        f"{source}: columns 'person_id', 'period', {rows_text(rows)}: the same person and period "
        f"appear with different benefit codes (e.g. period {frame['period'].iloc[first]!r}, codes "
        f"{listed}); expected one code per person and period."
    )


def _amounts(frame: pd.DataFrame, source: str, problems: Problems) -> dict[str, np.ndarray]:
    """The optional ``amount_kr`` / ``refusion_kr`` columns as floats (non-numbers recorded as problems)."""
    out = {}
    for col in ("amount_kr", "refusion_kr"):
        if col in frame.columns:
            num = pd.to_numeric(frame[col], errors="coerce")
            bad = (num.isna() & frame[col].notna()) | np.isinf(num.to_numpy(dtype=float, na_value=np.nan))
            if bad.any():
                first = frame[col][bad].iloc[0]
                problems.add(
                    f"{source}: column '{col}', {rows_text(bad.to_numpy())}: {plain_repr(first)} is not a "
                    "finite number; expected kroner like 12000.5 (or 12000,5 in a semicolon file)."
                )
            out[col] = num.to_numpy(dtype=np.float64, na_value=np.nan)
    return out


def spells_from_frame(frame: pd.DataFrame, *, source: str = "<DataFrame>", frequency: str = "auto") -> Spells:
    """Validate a long spells DataFrame (columns ``person_id, period, benefit``).

    Rules: ids and codes not blank; periods parse (all of one frequency); a
    person-period appears once — identical duplicates are removed and counted,
    duplicates with different codes are an error listing the rows.

    Representation (a speed-up, not a change of meaning): person ids that are
    all canonical integers are kept as int64 (else stripped ``string[pyarrow]``),
    codes as a categorical cleaned once per distinct code, periods parsed once
    per distinct label; sortedness and duplicates are checked in O(n) on the
    sorted keys and the rows are sorted only when they arrive unsorted.

    Parameters
    ----------
    frame : DataFrame
        ``person_id, period, benefit`` and optionally ``amount_kr, refusion_kr``
        (numbers).
    source : str
        File name used in messages.
    frequency : {"auto", "month", "week"}
        Period frequency (``auto``: from the first label).

    Returns
    -------
    Spells
        Sorted by person and period; ``excluded`` counts the identical duplicates removed.
    """
    require_columns(frame, ("person_id", "period", "benefit"), source)
    problems = Problems()
    person, blank = _person_column(frame["person_id"])
    if blank.any():
        problems.add(f"{source}: column 'person_id', {rows_text(blank)}: empty person id.")
    parsed = problems.attempt(lambda: parse_period_column(frame, "period", source, frequency), None)
    benefit = clean_code_categories(frame["benefit"])
    code = np.asarray(benefit.codes)  # the categorical's small integer type (int64 would be 800 MB at 10^8 rows)
    cats = np.asarray(benefit.categories, dtype=object)
    blank_cat = np.flatnonzero(cats == "")
    blank = (code < 0) | (np.isin(code, blank_cat) if blank_cat.size else False)
    if blank.any():
        problems.add(
            f"{source}: column 'benefit', {rows_text(blank)}: empty benefit code "
            "(a period without benefit has no row in long spells)."
        )
    amounts = _amounts(frame, source, problems)
    problems.done()
    if parsed is None:  # problems.done() raised already; this keeps the type exact
        raise ExtractError(f"{source}: column 'period': cannot read the periods.")
    period, freq = parsed
    order, same = _order(_sort_keys(person), period)
    _refuse_conflicts(frame, code, cats, order, same, source)
    keep = None if order is None else order
    if same.any():  # identical duplicates: the first of each stays
        keep = (np.arange(len(frame)) if order is None else order)[~same]
    n_identical = int(same.sum())
    columns = {"person_id": person, "period": period, "benefit": code, **amounts}
    out: dict[str, object] = {k: _take(v, keep) for k, v in columns.items()}
    out["benefit"] = pd.Categorical.from_codes(np.asarray(out["benefit"]), categories=benefit.categories)
    return Spells(pd.DataFrame(out, copy=False), freq, source, excluded_counts(identical_duplicate_rows=n_identical))


def _take(values: np.ndarray | pd.Series, rows: np.ndarray | None) -> np.ndarray | pd.Series:
    """``values`` at ``rows`` (all of them when None), positionally, with a fresh index."""
    if rows is None:
        return values
    if isinstance(values, pd.Series):
        return values.take(rows).reset_index(drop=True)
    return values[rows]


def read_spells(
    path: str | Path,
    format: SpellsFormat = "long",
    *,
    frequency: str = "auto",
    id_column: str | None = None,
    ids: IdPolicy = PLAIN,
) -> Spells:
    """Read a spells extract.

    Parameters
    ----------
    path : str or Path
        Long: a CSV or Parquet file (or parts, :func:`~survival_invest.io.tables.read_table`).
        DREAM wide: ``.sas7bdat``, ``.xpt``, ``.dta``, CSV or Parquet (:mod:`survival_invest.io.dream`).
    format : {"long", "dream_wide"}
        ``long``: columns ``person_id, period, benefit`` (+ optional
        ``amount_kr, refusion_kr``), periods ``YYYY-MM`` or ``YYYY-Www``.
        ``dream_wide``: an id column (``PNR`` or ``person_id``) and one
        ``y_YYWW`` column per ISO week (``YY >= 90``: 19YY), blank = no
        benefit that week; other columns ignored; read in chunks and melted to long weeks.
    frequency : {"auto", "month", "week"}
        Period frequency of a long file (``auto``: from the first label).
    id_column : str, optional
        ``[data] id_column``: the person id column (default: ``PNR``, else
        ``person_id``, for DREAM wide; ``person_id`` for long files, else this
        column, matched regardless of case: :func:`~survival_invest.io.idcolumn.with_person_id`).
    ids : IdPolicy
        Declared CPR numbers are pseudonymised at read time (:mod:`survival_invest.io.privacy`).

    Returns
    -------
    Spells
    """
    if format not in SPELLS_FORMATS:
        raise ExtractError(f"{path}: unknown spells format {format!r}; expected 'long' or 'dream_wide'.")
    if format == "dream_wide":
        return read_dream_wide(path, id_column=id_column, ids=ids)
    # CSV columns as Arrow strings (no Python object per cell); Parquet as stored (dictionaries -> categoricals)
    frame = read_table(path, what="spells", arrow=Path(str(path)).suffix.lower() in (".csv", ".txt", ".gz"))
    refuse_empty(frame, str(path), "spells", "one row per person and period (long) or per person (DREAM wide)")
    frame = with_person_id(frame, id_column, str(path))
    frame = ids.apply(frame, "person_id", str(path))
    return spells_from_frame(frame, source=str(path), frequency=frequency)
