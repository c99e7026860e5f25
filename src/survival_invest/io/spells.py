"""Spells extracts: long person-period rows, or wide DREAM weeks melted to long.

Every problem raises :class:`ExtractError` naming the file, the column, the
1-based data row number(s) and the value (see :mod:`survival_invest.io.tables`).
Rows are never dropped silently: what the reader removes (identical duplicate
rows, blank DREAM weeks) is counted in :attr:`Spells.excluded`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from survival_invest.choices import SPELLS_FORMATS, SpellsFormat
from survival_invest.errors import ExtractError, plain_repr
from survival_invest.io.periods import Frequency, parse_periods, period_label
from survival_invest.io.tables import (
    Problems,
    clean_codes,
    parse_period_column,
    read_table,
    refuse_empty,
    require_columns,
    rows_text,
)

__all__ = ["Spells", "read_spells", "spells_from_frame"]


def _excluded(**counts: int) -> pd.DataFrame:
    return pd.DataFrame({"reason": list(counts), "rows": [int(v) for v in counts.values()]})


@dataclass(frozen=True)
class Spells:
    """Person-period spells on a benefit, in long form.

    Attributes
    ----------
    frame : DataFrame
        ``person_id`` (string), ``period`` (int64 period number, see
        :mod:`survival_invest.io.periods`), ``benefit`` (code, string), and
        ``amount_kr`` / ``refusion_kr`` when the source had them. One row per
        person and period.
    frequency : {"month", "week"}
    source : str
        File name (or ``"<DataFrame>"``) used in messages.
    excluded : DataFrame
        ``reason, rows``: rows the reader removed (identical duplicates), with counts.
    """

    frame: pd.DataFrame
    frequency: Frequency
    source: str
    excluded: pd.DataFrame = field(default_factory=lambda: _excluded())

    @property
    def first_period(self) -> int:
        """The smallest period number in the extract."""
        return int(self.frame["period"].min())

    @property
    def last_period(self) -> int:
        """The largest period number in the extract."""
        return int(self.frame["period"].max())

    def describe(self) -> dict[str, object]:
        """Persons, rows, codes and period range (for ``validate`` and logs; no person ids)."""
        return {
            "source": self.source,
            "frequency": self.frequency,
            "persons": int(self.frame["person_id"].nunique()),
            "rows": len(self.frame),
            "codes": int(self.frame["benefit"].nunique()),
            "first_period": str(period_label(self.first_period, self.frequency)) if len(self.frame) else None,
            "last_period": str(period_label(self.last_period, self.frequency)) if len(self.frame) else None,
        }


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
    return Spells(out, freq, source, _excluded(identical_duplicate_rows=n_identical))


def _dream_weeks(frame: pd.DataFrame, week_cols: list[str], source: str) -> np.ndarray:
    """Week numbers of the ``y_YYWW`` columns; an error names the columns that are not DREAM weeks."""
    labels = pd.Series([str(c) for c in week_cols])
    parts = labels.str.extract(r"^y_(\d{2})(\d{2})$")
    iso = "20" + parts[0] + "-W" + parts[1]
    weeks, _, bad = parse_periods(iso.fillna("x"), "week")
    if bad.any():
        raise ExtractError(
            f"{source}: column{'s' if bad.sum() > 1 else ''} {[week_cols[i] for i in np.flatnonzero(bad)][:5]}: "
            "not a DREAM week column; expected y_YYWW with an ISO week 01-53 of year 20YY."
        )
    other = [c for c in frame.columns if c != "person_id" and c not in week_cols]
    if other:
        raise ExtractError(
            f"{source}: unexpected column{'s' if len(other) > 1 else ''} {other[:5]} in a wide DREAM extract; "
            "expected person_id and y_YYWW week columns only."
        )
    return weeks


def _filled_cells(block: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, pd.Series, int]:
    """``(rows, cols, codes, size)`` of the non-blank cells of the week block (``np.nonzero``; no loop)."""
    if all(block[c].dtype.kind == "f" for c in block.columns):
        values = block.to_numpy(dtype=float)
        rows, cols = np.nonzero(~np.isnan(values))
        return rows, cols, pd.Series(values[rows, cols]).astype("int64").astype("string"), values.size
    cells = block.astype("string").to_numpy(dtype=object)  # missing cells hold pd.NA
    rows, cols = np.nonzero(pd.notna(cells))
    codes = pd.Series(cells[rows, cols], dtype="string").str.strip()
    nonblank = (codes != "").to_numpy()
    return rows[nonblank], cols[nonblank], codes[nonblank], cells.size


def dream_wide_to_long(frame: pd.DataFrame, source: str) -> Spells:
    """Melt a wide DREAM extract (``person_id`` + ``y_YYWW`` columns) to long weeks.

    Column ``y_YYWW`` is ISO week ``WW`` of year ``20YY``; a blank cell is a
    week without benefit (no row; counted in ``excluded`` as
    ``blank_weeks_no_benefit``). One row per person. Vectorised: the week block
    becomes one 2-D array and ``np.nonzero`` of its non-blank cells gives
    (person, week) pairs; no loop over persons.
    """
    id_col = "person_id"
    require_columns(frame, (id_col,), source)
    week_cols = [c for c in frame.columns if str(c).startswith("y_")]
    if not week_cols:
        raise ExtractError(f"{source}: no week columns; a wide DREAM extract has columns y_YYWW (e.g. y_2001).")
    weeks = _dream_weeks(frame, week_cols, source)
    ids = frame[id_col].astype("string").str.strip()
    blank_id = ids.isna() | (ids == "")
    if blank_id.any():
        raise ExtractError(f"{source}: column 'person_id', {rows_text(blank_id.to_numpy())}: empty person id.")
    dup = ids.duplicated(keep=False)
    if dup.any():
        raise ExtractError(
            f"{source}: column 'person_id', {rows_text(dup.to_numpy())}: a person appears on several rows; "
            "a wide DREAM extract has one row per person."
        )
    rows, cols, codes, size = _filled_cells(frame[week_cols])
    order = np.lexsort((weeks[cols], rows))
    out = pd.DataFrame(
        {
            "person_id": ids.to_numpy()[rows[order]],
            "period": weeks[cols][order],
            "benefit": codes.to_numpy()[order],
        }
    )
    out["person_id"] = out["person_id"].astype("string")
    out["benefit"] = out["benefit"].astype("string")
    blank_weeks = int(size - len(out))
    return Spells(out, "week", source, _excluded(identical_duplicate_rows=0, blank_weeks_no_benefit=blank_weeks))


def read_spells(path: str | Path, format: SpellsFormat = "long", *, frequency: str = "auto") -> Spells:
    """Read a spells extract.

    Parameters
    ----------
    path : str or Path
        CSV or Parquet file.
    format : {"long", "dream_wide"}
        ``long``: columns ``person_id, period, benefit`` (+ optional
        ``amount_kr, refusion_kr``), periods ``YYYY-MM`` or ``YYYY-Www``.
        ``dream_wide``: ``person_id`` and one ``y_YYWW`` column per ISO week,
        blank = no benefit that week; melted to long weeks.
    frequency : {"auto", "month", "week"}
        Period frequency of a long file (``auto``: from the first label).

    Returns
    -------
    Spells
    """
    if format not in SPELLS_FORMATS:
        raise ExtractError(f"{path}: unknown spells format {format!r}; expected 'long' or 'dream_wide'.")
    frame = read_table(path, what="spells")
    refuse_empty(frame, str(path), "spells", "one row per person and period (long) or per person (DREAM wide)")
    if format == "dream_wide":
        return dream_wide_to_long(frame, str(path))
    return spells_from_frame(frame, source=str(path), frequency=frequency)
