"""Readers for register extracts, memberships and benefit-code tables.

CSV and Parquet are read with pandas (and pyarrow for Parquet); nothing here
parses text by hand. Every problem raises :class:`ExtractError` naming the
file, the column, the 1-based data row number(s) (the header is not counted)
and the value, and saying what was expected. Rows are never dropped silently:
what a reader removes (identical duplicate rows, blank DREAM weeks) is counted
in the returned object's ``excluded`` table.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from survival_invest.errors import ExtractError, plain_repr
from survival_invest.io.ids import arrow_strings, categories, person_keys
from survival_invest.io.periods import Frequency, parse_periods, period_label

__all__ = [
    "SEXES",
    "Spells",
    "classification_from_frame",
    "default_classification",
    "memberships_from_frame",
    "persons_from_frame",
    "read_classification",
    "read_finance",
    "read_memberships",
    "read_persons",
    "read_spells",
    "spells_from_frame",
]

CLASSES = ("support", "self_support", "censor")
GROUPS = ("target", "intervention")
_MAX_LISTED = 5


def _rows_text(mask: np.ndarray) -> str:
    """'rows 3, 8, 10 (and 4 more)' for a boolean mask over data rows (1-based)."""
    idx = np.flatnonzero(mask) + 1
    head = ", ".join(str(i) for i in idx[:_MAX_LISTED])
    more = f" (and {len(idx) - _MAX_LISTED} more)" if len(idx) > _MAX_LISTED else ""
    return f"row{'s' if len(idx) > 1 else ''} {head}{more}"


def _read_table(path: str | Path, *, what: str, arrow: bool = False) -> pd.DataFrame:
    """Read a CSV or Parquet file with every column as it is stored (CSV: as strings).

    ``arrow``: Arrow-backed columns (no Python object per value; for files
    with tens of millions of rows, like a national memberships file).
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


def _require(frame: pd.DataFrame, columns: tuple[str, ...], source: str) -> None:
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


def _clean_codes(values: pd.Series) -> pd.Series:
    """Benefit codes as stripped strings; integral floats from Parquet lose their '.0'."""
    if values.dtype.kind == "f":
        whole = values.notna() & (values == np.floor(values))
        out = values.astype("string")
        out[whole] = values[whole].astype("int64").astype("string")
        return out.str.strip()
    return values.astype("string").str.strip()


def _parse_period_column(frame: pd.DataFrame, column: str, source: str, frequency: str) -> tuple[np.ndarray, Frequency]:
    periods, freq, bad = parse_periods(frame[column], frequency)  # type: ignore[arg-type]
    if bad.any():
        first = frame[column].iloc[int(np.argmax(bad))]
        expected = "YYYY-MM (months)" if freq == "month" else "YYYY-Www (ISO weeks)"
        raise ExtractError(
            f"{source}: column '{column}', {_rows_text(bad)}: cannot read period {plain_repr(first)}; "
            f"expected {expected} like all rows of the file."
        )
    return periods, freq


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
        return int(self.frame["period"].min())

    @property
    def last_period(self) -> int:
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


def spells_from_frame(frame: pd.DataFrame, *, source: str = "<DataFrame>", frequency: str = "auto") -> Spells:
    """Validate a long spells DataFrame (columns ``person_id, period, benefit``).

    Rules: ids and codes not blank; periods parse (all of one frequency); a
    person-period appears once — identical duplicates are removed and counted,
    duplicates with different codes are an error listing the rows.
    """
    _require(frame, ("person_id", "period", "benefit"), source)
    out = pd.DataFrame({"person_id": frame["person_id"].astype("string").str.strip()})
    blank = out["person_id"].isna() | (out["person_id"] == "")
    if blank.any():
        raise ExtractError(f"{source}: column 'person_id', {_rows_text(blank.to_numpy())}: empty person id.")
    out["period"], freq = _parse_period_column(frame, "period", source, frequency)
    out["benefit"] = _clean_codes(frame["benefit"])
    blank = out["benefit"].isna() | (out["benefit"] == "")
    if blank.any():
        raise ExtractError(
            f"{source}: column 'benefit', {_rows_text(blank.to_numpy())}: empty benefit code "
            "(a period without benefit has no row in long spells)."
        )
    for col in ("amount_kr", "refusion_kr"):
        if col in frame.columns:
            num = pd.to_numeric(frame[col], errors="coerce")
            bad = num.isna() & frame[col].notna()
            if bad.any():
                first = frame[col][bad].iloc[0]
                raise ExtractError(
                    f"{source}: column '{col}', {_rows_text(bad.to_numpy())}: {plain_repr(first)} is not a number."
                )
            out[col] = num.astype(float)
    key = ["person_id", "period"]
    dup_any = out.duplicated(key, keep=False).to_numpy()
    n_identical = 0
    if dup_any.any():
        conflicting = out[dup_any].groupby(key)["benefit"].transform("nunique") > 1
        if conflicting.any():
            rows = np.zeros(len(out), dtype=bool)
            rows[np.flatnonzero(dup_any)[conflicting.to_numpy()]] = True
            first = np.flatnonzero(rows)[0]
            raise ExtractError(
                f"{source}: columns 'person_id', 'period', {_rows_text(rows)}: the same person and period "
                f"appear with different benefit codes (e.g. period {frame['period'].iloc[first]!r}, codes "
                f"{sorted(out.loc[rows, 'benefit'].unique().tolist())[:4]}); expected one code per person and period."
            )
        identical = out.duplicated(key, keep="first").to_numpy()
        n_identical = int(identical.sum())
        out = out[~identical]
    out = out.sort_values(key, kind="stable").reset_index(drop=True)
    return Spells(out, freq, source, _excluded(identical_duplicate_rows=n_identical))


def _dream_wide_to_long(frame: pd.DataFrame, source: str) -> Spells:
    """Melt a wide DREAM extract (``person_id`` + ``y_YYWW`` columns) to long weeks.

    Vectorised: the week block becomes one 2-D array and ``np.nonzero`` of its
    non-blank cells gives (person, week) pairs; no loop over persons.
    """
    id_col = "person_id"
    _require(frame, (id_col,), source)
    week_cols = [c for c in frame.columns if str(c).startswith("y_")]
    other = [c for c in frame.columns if c != id_col and c not in week_cols]
    if not week_cols:
        raise ExtractError(f"{source}: no week columns; a wide DREAM extract has columns y_YYWW (e.g. y_2001).")
    labels = pd.Series([str(c) for c in week_cols])
    parts = labels.str.extract(r"^y_(\d{2})(\d{2})$")
    iso = "20" + parts[0] + "-W" + parts[1]
    weeks, _, bad = parse_periods(iso.fillna("x"), "week")
    if bad.any():
        raise ExtractError(
            f"{source}: column{'s' if bad.sum() > 1 else ''} {[week_cols[i] for i in np.flatnonzero(bad)][:5]}: "
            "not a DREAM week column; expected y_YYWW with an ISO week 01-53 of year 20YY."
        )
    if other:
        raise ExtractError(
            f"{source}: unexpected column{'s' if len(other) > 1 else ''} {other[:5]} in a wide DREAM extract; "
            "expected person_id and y_YYWW week columns only."
        )
    ids = frame[id_col].astype("string").str.strip()
    blank_id = ids.isna() | (ids == "")
    if blank_id.any():
        raise ExtractError(f"{source}: column 'person_id', {_rows_text(blank_id.to_numpy())}: empty person id.")
    dup = ids.duplicated(keep=False)
    if dup.any():
        raise ExtractError(
            f"{source}: column 'person_id', {_rows_text(dup.to_numpy())}: a person appears on several rows; "
            "a wide DREAM extract has one row per person."
        )
    block = frame[week_cols]
    if all(block[c].dtype.kind == "f" for c in week_cols):
        values = block.to_numpy(dtype=float)
        filled = ~np.isnan(values)
        rows, cols = np.nonzero(filled)
        codes = pd.Series(values[rows, cols]).astype("int64").astype("string")
    else:
        values = block.astype("string").to_numpy(dtype=object, na_value=None)
        filled = pd.notna(values)
        rows, cols = np.nonzero(filled)
        codes = pd.Series(values[rows, cols], dtype="string").str.strip()
        nonblank = (codes != "").to_numpy()
        rows, cols, codes = rows[nonblank], cols[nonblank], codes[nonblank]
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
    blank_weeks = int(values.size - len(out))
    return Spells(out, "week", source, _excluded(identical_duplicate_rows=0, blank_weeks_no_benefit=blank_weeks))


def read_spells(path: str | Path, format: Literal["long", "dream_wide"] = "long", *, frequency: str = "auto") -> Spells:
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
    if format not in ("long", "dream_wide"):
        raise ExtractError(f"{path}: unknown spells format {format!r}; expected 'long' or 'dream_wide'.")
    frame = _read_table(path, what="spells")
    if format == "dream_wide":
        return _dream_wide_to_long(frame, str(path))
    return spells_from_frame(frame, source=str(path), frequency=frequency)


def memberships_from_frame(
    frame: pd.DataFrame, *, source: str = "<DataFrame>", frequency: str = "auto"
) -> pd.DataFrame:
    """Validate group memberships: ``person_id, case_id, group, entry_period``.

    Returns a DataFrame with those columns (``entry_period`` as int64 period
    number), a ``row`` column with the 1-based source row, and the frequency in
    ``frame.attrs["frequency"]``. ``group`` must be ``target`` or
    ``intervention``; the same person may appear in several cases, but only once
    per case and group.
    """
    _require(frame, ("person_id", "case_id", "group", "entry_period"), source)
    # Arrow-backed strings and integer keys: a national file has tens of millions of rows (see io.ids)
    out = pd.DataFrame(
        {
            "person_id": arrow_strings(frame["person_id"]),
            "case_id": categories(frame["case_id"]),
            "group": categories(frame["group"], lower=True),
        }
    )
    for col in ("person_id", "case_id"):
        blank = out[col].isna() | (out[col] == "")
        if blank.any():
            raise ExtractError(f"{source}: column '{col}', {_rows_text(blank.to_numpy())}: empty value.")
    bad = ~out["group"].isin(GROUPS).fillna(False).to_numpy()
    if bad.any():
        first = frame["group"].iloc[int(np.argmax(bad))]
        raise ExtractError(
            f"{source}: column 'group', {_rows_text(bad)}: {plain_repr(first)} is not a group; expected 'target' or 'intervention'."
        )
    periods, freq = _parse_period_column(frame, "entry_period", source, frequency)
    out["entry_period"] = periods
    out["row"] = np.arange(1, len(out) + 1)
    dup = _repeated(person_keys(out["person_id"])[0], pd.factorize(out["case_id"])[0], pd.factorize(out["group"])[0])
    if dup.any():
        raise ExtractError(
            f"{source}: columns 'person_id', 'case_id', 'group', {_rows_text(dup)}: the same person is listed "
            "twice in the same case and group; expected one entry per person, case and group."
        )
    out.attrs["frequency"] = freq
    out.attrs["source"] = source
    return out


def _repeated(*keys: np.ndarray) -> np.ndarray:
    """Rows whose combination of integer keys occurs more than once (all of them, like ``keep=False``).

    The keys are packed into one int64 (after factorising when the product
    would not fit) and sorted once.
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


def read_memberships(path: str | Path, *, frequency: str = "auto") -> pd.DataFrame:
    """Read and validate a memberships file (CSV or Parquet); see :func:`memberships_from_frame`."""
    return memberships_from_frame(
        _read_table(path, what="memberships", arrow=True), source=str(path), frequency=frequency
    )


def classification_from_frame(frame: pd.DataFrame, *, source: str = "<DataFrame>") -> pd.DataFrame:
    """Validate a benefit-code classification (``code``, ``class``; optional ``label``, ``benefit_group``).

    A shipped DREAM list uses the column name ``default_class``; it is accepted as ``class``.
    """
    if "class" not in frame.columns and "default_class" in frame.columns:
        frame = frame.rename(columns={"default_class": "class"})
    _require(frame, ("code", "class"), source)
    out = pd.DataFrame({"code": _clean_codes(frame["code"]), "class": frame["class"].astype("string").str.strip()})
    for col in ("label", "benefit_group"):
        out[col] = (
            frame[col].astype("string") if col in frame.columns else pd.Series(pd.NA, index=frame.index, dtype="string")
        )
    bad = ~out["class"].isin(CLASSES).fillna(False).to_numpy()
    if bad.any():
        first = frame["class"].iloc[int(np.argmax(bad))]
        raise ExtractError(
            f"{source}: column 'class', {_rows_text(bad)}: {plain_repr(first)} is not a class; expected one of {list(CLASSES)}."
        )
    dup = out["code"].duplicated(keep=False).to_numpy()
    if dup.any():
        raise ExtractError(f"{source}: column 'code', {_rows_text(dup)}: code listed more than once.")
    out.attrs["source"] = source
    return out.reset_index(drop=True)


def read_finance(path: str | Path) -> pd.DataFrame:
    """Read a finance extract of realised investment: ``case_id, year, investment_mkr``.

    Amounts in mio. kr. at the report's price level. One row per case and year.
    """
    frame = _read_table(path, what="finance")
    src = str(path)
    _require(frame, ("case_id", "year", "investment_mkr"), src)
    out = pd.DataFrame({"case_id": frame["case_id"].astype("string").str.strip()})
    for col, kind in (("year", "a year like 2020"), ("investment_mkr", "an amount in mio. kr.")):
        num = pd.to_numeric(frame[col], errors="coerce")
        bad = num.isna().to_numpy()
        if bad.any():
            first = frame[col].iloc[int(np.argmax(bad))]
            raise ExtractError(f"{src}: column '{col}', {_rows_text(bad)}: {plain_repr(first)} is not {kind}.")
        out[col] = num.astype(np.int64) if col == "year" else num.astype(float)
    dup = out.duplicated(["case_id", "year"], keep=False).to_numpy()
    if dup.any():
        raise ExtractError(f"{src}: columns 'case_id', 'year', {_rows_text(dup)}: case and year listed more than once.")
    return out


#: Accepted spellings of sex (case-insensitive) -> the value the package uses.
#: ``1``/``2`` is Statistics Denmark's KOEN coding (1 = man, 2 = woman).
SEXES = {
    "m": "male",
    "male": "male",
    "mand": "male",
    "1": "male",
    "f": "female",
    "female": "female",
    "k": "female",
    "kvinde": "female",
    "2": "female",
}
BIRTH_YEARS = (1900, 2030)


def persons_from_frame(frame: pd.DataFrame, *, source: str = "<DataFrame>") -> pd.DataFrame:
    """Validate a person covariate table: ``person_id``, ``sex`` and ``birth_year`` and/or ``birth_date``.

    Rules
    -----
    * One row per person: a person id on several rows is an error listing the rows.
    * ``birth_date`` (``YYYY-MM-DD``, or a date column from Parquet) is used where
      given; otherwise ``birth_year`` (a whole year in 1900-2030), dated at 1 July
      of that year (the middle of the year, so ages are off by at most half a
      year) and flagged in ``birth_date_imputed``. Where both are given they must
      agree on the year. Every row needs one of them.
    * ``sex``: ``M``/``F``/``K``, ``male``/``female``, ``mand``/``kvinde`` or
      Statistics Denmark's ``1``/``2`` (any case), stored as ``"male"``/``"female"``.
    * Blank ids, sexes or birth values are errors naming the rows: a person who
      is in the table must be complete (a person who is *absent* from it is
      handled when the table is attached to a cohort, see
      :meth:`survival_invest.Cohort.with_persons`). Nothing is dropped.

    Returns
    -------
    DataFrame
        ``person_id`` (string), ``birth_date`` (datetime64), ``birth_date_imputed``
        (bool), ``sex`` (string); ``attrs["source"]`` names the file.
    """
    _require(frame, ("person_id", "sex"), source)
    has_year, has_date = "birth_year" in frame.columns, "birth_date" in frame.columns
    if not (has_year or has_date):
        names = [str(c) for c in frame.columns]
        close = difflib.get_close_matches("birth_year", names, n=1, cutoff=0.6) or difflib.get_close_matches(
            "birth_date", names, n=1, cutoff=0.6
        )
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ExtractError(f"{source}: missing column 'birth_year' or 'birth_date'{hint}; found {names}.")
    out = pd.DataFrame({"person_id": frame["person_id"].astype("string").str.strip()})
    blank = (out["person_id"].isna() | (out["person_id"] == "")).to_numpy()
    if blank.any():
        raise ExtractError(f"{source}: column 'person_id', {_rows_text(blank)}: empty person id.")
    dup = out["person_id"].duplicated(keep=False).to_numpy()
    if dup.any():
        raise ExtractError(
            f"{source}: column 'person_id', {_rows_text(dup)}: a person appears on several rows; "
            "expected one row per person."
        )
    n = len(frame)
    year = np.full(n, np.nan)
    if has_year:
        raw = frame["birth_year"]
        given = (raw.notna() & (raw.astype("string").str.strip() != "")).to_numpy()
        num = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
        lo, hi = BIRTH_YEARS
        bad = given & ~((num == np.floor(num)) & (num >= lo) & (num <= hi))
        if bad.any():
            first = raw.iloc[int(np.argmax(bad))]
            raise ExtractError(
                f"{source}: column 'birth_year', {_rows_text(bad)}: {plain_repr(first)} is not a year of birth; "
                f"expected a whole year from {lo} to {hi}."
            )
        year = np.where(given, num, np.nan)
    date = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    if has_date:
        raw = frame["birth_date"]
        if pd.api.types.is_datetime64_any_dtype(raw):
            given = raw.notna().to_numpy()
            parsed = pd.to_datetime(raw).dt.tz_localize(None) if getattr(raw.dt, "tz", None) else pd.to_datetime(raw)
        else:
            text = raw.astype("string").str.strip()
            given = (text.notna() & (text != "")).to_numpy()
            parsed = pd.to_datetime(text.where(given), format="%Y-%m-%d", errors="coerce")
        lo, hi = BIRTH_YEARS
        bad = given & ~(parsed.notna() & parsed.dt.year.between(lo, hi)).to_numpy()
        if bad.any():
            first = raw.iloc[int(np.argmax(bad))]
            raise ExtractError(
                f"{source}: column 'birth_date', {_rows_text(bad)}: {plain_repr(first)} is not a date of birth; "
                f"expected YYYY-MM-DD in the years {lo} to {hi}."
            )
        date = parsed.astype("datetime64[ns]")
        if has_year:
            both = given & ~np.isnan(year)
            clash = both & (date.dt.year.to_numpy(dtype=float, na_value=np.nan) != year)
            if clash.any():
                i = int(np.argmax(clash))
                raise ExtractError(
                    f"{source}: columns 'birth_year', 'birth_date', {_rows_text(clash)}: the year of birth "
                    f"{plain_repr(frame['birth_year'].iloc[i])} does not match the date of birth "
                    f"{plain_repr(frame['birth_date'].iloc[i])}; expected the same year (or one of the two left blank)."
                )
    imputed = date.isna().to_numpy() & ~np.isnan(year)
    missing = date.isna().to_numpy() & ~imputed
    if missing.any():
        cols = " or ".join(f"'{c}'" for c, h in (("birth_date", has_date), ("birth_year", has_year)) if h)
        raise ExtractError(
            f"{source}: column {cols}, {_rows_text(missing)}: no year or date of birth; every person needs one."
        )
    mid_year = pd.to_datetime(pd.Series(np.where(imputed, year, 2000).astype(np.int64)).astype(str) + "-07-01")
    out["birth_date"] = date.where(~imputed, mid_year.to_numpy()).to_numpy(dtype="datetime64[ns]")
    out["birth_date_imputed"] = imputed
    text = frame["sex"].astype("string").str.strip().str.lower()
    if pd.api.types.is_numeric_dtype(frame["sex"]):  # Parquet integers 1/2, or floats 1.0/2.0
        text = _clean_codes(frame["sex"]).str.lower()
    sex = text.map(SEXES).astype("string")
    bad = sex.isna().to_numpy()
    if bad.any():
        first = frame["sex"].iloc[int(np.argmax(bad))]
        raise ExtractError(
            f"{source}: column 'sex', {_rows_text(bad)}: {plain_repr(first)} is not a sex; expected one of "
            "M/F/K, male/female, mand/kvinde or 1/2 (Statistics Denmark: 1 = man, 2 = woman)."
        )
    out["sex"] = sex
    out.attrs["source"] = source
    return out.reset_index(drop=True)


def read_persons(path: str | Path) -> pd.DataFrame:
    """Read and validate a person covariate table (CSV or Parquet); see :func:`persons_from_frame`."""
    return persons_from_frame(_read_table(path, what="persons"), source=str(path))


def default_classification() -> pd.DataFrame:
    """The shipped DREAM code list (Aalborg University's public list, about 2021) with default classes."""
    ref = resources.files("survival_invest") / "data" / "dream_codes.csv"
    with resources.as_file(ref) as p:
        frame = pd.read_csv(p, dtype=str, keep_default_na=False)
    return classification_from_frame(frame, source="survival_invest/data/dream_codes.csv")


def read_classification(path: str | Path | None = None) -> pd.DataFrame:
    """Read a code classification file, or the shipped DREAM list when ``path`` is None."""
    if path is None:
        return default_classification()
    return classification_from_frame(_read_table(path, what="classification"), source=str(path))
