"""Person covariate table: year or date of birth and sex, one row per person."""

from __future__ import annotations

import difflib
from pathlib import Path

import numpy as np
import pandas as pd

from survival_invest.errors import ExtractError, plain_repr
from survival_invest.io.idcolumn import with_person_id
from survival_invest.io.privacy import PLAIN, IdPolicy
from survival_invest.io.tables import clean_codes, read_table, require_columns, rows_text

__all__ = ["BIRTH_YEARS", "SEXES", "persons_from_frame", "read_persons"]

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
#: The accepted range of years of birth (inclusive).
BIRTH_YEARS = (1900, 2030)


def _birth_year(frame: pd.DataFrame, source: str) -> np.ndarray:
    """``birth_year`` as floats, NaN where blank; an error names rows that are not a whole year in range."""
    raw = frame["birth_year"]
    given = (raw.notna() & (raw.astype("string").str.strip() != "")).to_numpy()
    num = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    lo, hi = BIRTH_YEARS
    bad = given & ~((num == np.floor(num)) & (num >= lo) & (num <= hi))
    if bad.any():
        first = raw.iloc[int(np.argmax(bad))]
        raise ExtractError(
            f"{source}: column 'birth_year', {rows_text(bad)}: {plain_repr(first)} is not a year of birth; "
            f"expected a whole year from {lo} to {hi}."
        )
    return np.where(given, num, np.nan)


def _birth_date(frame: pd.DataFrame, source: str, year: np.ndarray, has_year: bool) -> pd.Series:
    """``birth_date`` as datetime64 (NaT where blank); errors name unreadable dates and clashes with the year."""
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
            f"{source}: column 'birth_date', {rows_text(bad)}: {plain_repr(first)} is not a date of birth; "
            f"expected YYYY-MM-DD in the years {lo} to {hi}."
        )
    date = parsed.astype("datetime64[ns]")
    if has_year:
        both = given & ~np.isnan(year)
        clash = both & (date.dt.year.to_numpy(dtype=float, na_value=np.nan) != year)
        if clash.any():
            i = int(np.argmax(clash))
            raise ExtractError(
                f"{source}: columns 'birth_year', 'birth_date', {rows_text(clash)}: the year of birth "
                f"{plain_repr(frame['birth_year'].iloc[i])} does not match the date of birth "
                f"{plain_repr(frame['birth_date'].iloc[i])}; expected the same year (or one of the two left blank)."
            )
    return date


def _sex(frame: pd.DataFrame, source: str) -> pd.Series:
    """``sex`` mapped through :data:`SEXES`; an error names rows with another value."""
    text = frame["sex"].astype("string").str.strip().str.lower()
    if pd.api.types.is_numeric_dtype(frame["sex"]):  # Parquet integers 1/2, or floats 1.0/2.0
        text = clean_codes(frame["sex"]).str.lower()
    sex = text.map(SEXES).astype("string")
    bad = sex.isna().to_numpy()
    if bad.any():
        first = frame["sex"].iloc[int(np.argmax(bad))]
        raise ExtractError(
            f"{source}: column 'sex', {rows_text(bad)}: {plain_repr(first)} is not a sex; expected one of "
            "M/F/K, male/female, mand/kvinde or 1/2 (Statistics Denmark: 1 = man, 2 = woman)."
        )
    return sex


def _person_ids(frame: pd.DataFrame, source: str) -> pd.Series:
    """Stripped person ids; errors name blank ids and ids on several rows."""
    ids = frame["person_id"].astype("string").str.strip()
    blank = (ids.isna() | (ids == "")).to_numpy()
    if blank.any():
        raise ExtractError(f"{source}: column 'person_id', {rows_text(blank)}: empty person id.")
    dup = ids.duplicated(keep=False).to_numpy()
    if dup.any():
        raise ExtractError(
            f"{source}: column 'person_id', {rows_text(dup)}: a person appears on several rows; "
            "expected one row per person."
        )
    return ids


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
    require_columns(frame, ("person_id", "sex"), source)
    has_year, has_date = "birth_year" in frame.columns, "birth_date" in frame.columns
    if not (has_year or has_date):
        names = [str(c) for c in frame.columns]
        close = difflib.get_close_matches("birth_year", names, n=1, cutoff=0.6) or difflib.get_close_matches(
            "birth_date", names, n=1, cutoff=0.6
        )
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ExtractError(f"{source}: missing column 'birth_year' or 'birth_date'{hint}; found {names}.")
    out = pd.DataFrame({"person_id": _person_ids(frame, source)})
    year = _birth_year(frame, source) if has_year else np.full(len(frame), np.nan)
    date = (
        _birth_date(frame, source, year, has_year)
        if has_date
        else pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    )
    imputed = date.isna().to_numpy() & ~np.isnan(year)
    missing = date.isna().to_numpy() & ~imputed
    if missing.any():
        cols = " or ".join(f"'{c}'" for c, h in (("birth_date", has_date), ("birth_year", has_year)) if h)
        raise ExtractError(
            f"{source}: column {cols}, {rows_text(missing)}: no year or date of birth; every person needs one."
        )
    mid_year = pd.to_datetime(pd.Series(np.where(imputed, year, 2000).astype(np.int64)).astype(str) + "-07-01")
    out["birth_date"] = date.where(~imputed, mid_year.to_numpy()).to_numpy(dtype="datetime64[ns]")
    out["birth_date_imputed"] = imputed
    out["sex"] = _sex(frame, source)
    out.attrs["source"] = source
    return out.reset_index(drop=True)


def read_persons(path: str | Path, *, ids: IdPolicy = PLAIN, id_column: str | None = None) -> pd.DataFrame:
    """Read and validate a person covariate table (CSV or Parquet); see :func:`persons_from_frame`.

    Parameters
    ----------
    path : str or Path
        The person table.
    ids : IdPolicy
        Declared CPR numbers: the ``person_id`` column is pseudonymised as it is read.
    id_column : str, optional
        ``[data] id_column``: the id column when the file has no ``person_id``
        (:func:`~survival_invest.io.idcolumn.with_person_id`).

    Returns
    -------
    DataFrame
        As :func:`persons_from_frame`.
    """
    frame = with_person_id(read_table(path, what="persons"), id_column, str(path))
    return persons_from_frame(ids.apply(frame, "person_id", str(path)), source=str(path))
