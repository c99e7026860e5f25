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
from survival_invest.io.privacy import PLAIN, IdPolicy
from survival_invest.io.tables import (
    Problems,
    clean_codes,
    parse_period_column,
    read_table,
    refuse_empty,
    require_columns,
    rows_text,
)

__all__ = ["Spells", "read_spells", "spells_from_frame"]  # Spells lives in io.extract; kept importable here


def _has_duplicates(frame: pd.DataFrame, out: pd.DataFrame, source: str) -> bool:
    """Whether a person-period is listed twice; an error when its codes differ (rows listed)."""
    key = ["person_id", "period"]
    dup_any = out.duplicated(key, keep=False).to_numpy()
    if not dup_any.any():
        return False
    conflicting = out[dup_any].groupby(key)["benefit"].transform("nunique") > 1
    if conflicting.any():
        rows = np.zeros(len(out), dtype=bool)
        rows[np.flatnonzero(dup_any)[conflicting.to_numpy()]] = True
        first = np.flatnonzero(rows)[0]
        raise ExtractError(
            f"{source}: columns 'person_id', 'period', {rows_text(rows)}: the same person and period "
            f"appear with different benefit codes (e.g. period {frame['period'].iloc[first]!r}, codes "
            f"{sorted(out.loc[rows, 'benefit'].unique().tolist())[:4]}); expected one code per person and period."
        )
    return True  # identical duplicates only: the caller drops and counts them


def spells_from_frame(frame: pd.DataFrame, *, source: str = "<DataFrame>", frequency: str = "auto") -> Spells:
    """Validate a long spells DataFrame (columns ``person_id, period, benefit``).

    Rules: ids and codes not blank; periods parse (all of one frequency); a
    person-period appears once — identical duplicates are removed and counted,
    duplicates with different codes are an error listing the rows.

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
    out = pd.DataFrame({"person_id": frame["person_id"].astype("string").str.strip()})
    blank = out["person_id"].isna() | (out["person_id"] == "")
    if blank.any():
        problems.add(f"{source}: column 'person_id', {rows_text(blank.to_numpy())}: empty person id.")
    parsed = problems.attempt(lambda: parse_period_column(frame, "period", source, frequency), None)
    out["benefit"] = clean_codes(frame["benefit"])
    blank = out["benefit"].isna() | (out["benefit"] == "")
    if blank.any():
        problems.add(
            f"{source}: column 'benefit', {rows_text(blank.to_numpy())}: empty benefit code "
            "(a period without benefit has no row in long spells)."
        )
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
            out[col] = num.astype(float)
    problems.done()
    if parsed is None:  # problems.done() raised already; this keeps the type exact
        raise ExtractError(f"{source}: column 'period': cannot read the periods.")
    out["period"], freq = parsed
    out = out[["person_id", "period", "benefit", *[c for c in ("amount_kr", "refusion_kr") if c in out.columns]]]
    key = ["person_id", "period"]
    n_identical = 0
    if _has_duplicates(frame, out, source):
        identical = out.duplicated(key, keep="first").to_numpy()
        n_identical = int(identical.sum())
        out = out[~identical]
    out = out.sort_values(key, kind="stable").reset_index(drop=True)
    return Spells(out, freq, source, excluded_counts(identical_duplicate_rows=n_identical))


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
        ``person_id``, for DREAM wide; ``person_id`` for long files).
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
    frame = read_table(path, what="spells")
    refuse_empty(frame, str(path), "spells", "one row per person and period (long) or per person (DREAM wide)")
    if id_column and id_column != "person_id" and id_column in frame.columns:
        frame = frame.rename(columns={id_column: "person_id"})
    frame = ids.apply(frame, "person_id", str(path))
    return spells_from_frame(frame, source=str(path), frequency=frequency)
