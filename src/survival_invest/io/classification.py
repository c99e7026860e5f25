"""Benefit-code classification: which code means support, self-support or the end of follow-up.

The shipped default is the DREAM code list (Aalborg University's public list,
about 2021) in ``survival_invest/data/dream_codes.csv``.

Destinations (where a person goes when leaving support)
-------------------------------------------------------
Every ``self_support`` code has a **destination**, one of :data:`DESTINATIONS`:
``job`` (ordinary work and other self-support), ``education`` (SU), ``flex_job``
(fleksjob) or ``other`` (a benefit outside the follow-up, e.g. 114 "ledighed
uden dagpenge"). A period without any row (a blank week/month, the usual sign
of work in DREAM) has the destination :data:`BLANK_DESTINATION` (``job``).
A classification may carry a ``destination`` column to set them (this is how
they are configured); where it is blank, a ``self_support`` code gets the
default of its benefit group (:data:`GROUP_DESTINATIONS`: ``su`` -> education,
``fleksjob`` -> flex_job), else ``other``. ``support`` and ``censor`` codes have
no destination (an exit cannot begin with them), and giving one is an error.
The cohort records each person's destination at exit
(:mod:`survival_invest.cohort.destinations`).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from survival_invest.errors import ExtractError, plain_repr
from survival_invest.io.tables import clean_codes, read_table, require_columns, rows_text

__all__ = [
    "BLANK_DESTINATION",
    "CLASSES",
    "DESTINATIONS",
    "GROUP_DESTINATIONS",
    "classification_from_frame",
    "default_classification",
    "read_classification",
]

#: The classes a code may have: on public support, self-supporting, or censoring (death, emigration).
CLASSES = ("support", "self_support", "censor")

#: Where a person goes at exit, in the order of the report's tables and stacked plots.
DESTINATIONS = ("job", "education", "flex_job", "other")

#: The destination of a period without any code (a blank week or month).
BLANK_DESTINATION = "job"

#: Default destination of a ``self_support`` code by its benefit group (others: ``other``).
GROUP_DESTINATIONS = {"su": "education", "fleksjob": "flex_job"}


def _destinations(frame: pd.DataFrame, out: pd.DataFrame, source: str) -> pd.Series:
    """The ``destination`` column: given values checked, blanks of self-support codes from their benefit group."""
    given = (
        frame["destination"].astype("string").str.strip()
        if "destination" in frame.columns
        else pd.Series(pd.NA, index=frame.index, dtype="string")
    )
    given = given.mask(given == "")
    given.index = out.index
    bad = (given.notna() & ~given.isin(DESTINATIONS).fillna(False)).to_numpy()
    if bad.any():
        first = given.iloc[int(np.argmax(bad))]
        raise ExtractError(
            f"{source}: column 'destination', {rows_text(bad)}: {plain_repr(first)} is not a destination; "
            f"expected one of {list(DESTINATIONS)} (or blank)."
        )
    self_support = (out["class"] == "self_support").fillna(False).to_numpy()
    misplaced = given.notna().to_numpy() & ~self_support
    if misplaced.any():
        first = out["class"].iloc[int(np.argmax(misplaced))]
        raise ExtractError(
            f"{source}: column 'destination', {rows_text(misplaced)}: a destination for a code of class "
            f"{plain_repr(first)}; expected a destination only for self_support codes (blank otherwise)."
        )
    default = out["benefit_group"].map(GROUP_DESTINATIONS).astype("string").fillna("other")
    return given.where(given.notna() | ~self_support, default).astype("string")


def classification_from_frame(frame: pd.DataFrame, *, source: str = "<DataFrame>") -> pd.DataFrame:
    """Validate a benefit-code classification (``code``, ``class``; optional ``label``, ``benefit_group``, ``destination``).

    Rules: every ``class`` is one of :data:`CLASSES`; a code is listed once;
    a ``destination`` is one of :data:`DESTINATIONS`, given only for
    ``self_support`` codes, and defaults as the module docstring says.
    Codes are stripped strings (integral floats lose their ``.0``). A shipped
    DREAM list uses the column name ``default_class``; it is accepted as ``class``.

    Returns
    -------
    DataFrame
        ``code, class, label, benefit_group, destination`` (label and group
        missing where not given; destination missing for support and censor
        codes); ``attrs["source"]`` names the file.
    """
    if "class" not in frame.columns and "default_class" in frame.columns:
        frame = frame.rename(columns={"default_class": "class"})
    require_columns(frame, ("code", "class"), source)
    out = pd.DataFrame({"code": clean_codes(frame["code"]), "class": frame["class"].astype("string").str.strip()})
    for col in ("label", "benefit_group"):
        out[col] = (
            frame[col].astype("string") if col in frame.columns else pd.Series(pd.NA, index=frame.index, dtype="string")
        )
    bad = ~out["class"].isin(CLASSES).fillna(False).to_numpy()
    if bad.any():
        first = frame["class"].iloc[int(np.argmax(bad))]
        raise ExtractError(
            f"{source}: column 'class', {rows_text(bad)}: {plain_repr(first)} is not a class; expected one of {list(CLASSES)}."
        )
    out["destination"] = _destinations(frame, out, source)
    dup = out["code"].duplicated(keep=False).to_numpy()
    if dup.any():
        raise ExtractError(f"{source}: column 'code', {rows_text(dup)}: code listed more than once.")
    out.attrs["source"] = source
    return out.reset_index(drop=True)


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
    return classification_from_frame(read_table(path, what="classification"), source=str(path))
