"""Benefit-code classification: which code means support, self-support or the end of follow-up.

The shipped default is the DREAM code list (Aalborg University's public list,
about 2021) in ``survival_invest/data/dream_codes.csv``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from survival_invest.errors import ExtractError, plain_repr
from survival_invest.io.tables import clean_codes, read_table, require_columns, rows_text

__all__ = ["CLASSES", "classification_from_frame", "default_classification", "read_classification"]

#: The classes a code may have: on public support, self-supporting, or censoring (death, emigration).
CLASSES = ("support", "self_support", "censor")


def classification_from_frame(frame: pd.DataFrame, *, source: str = "<DataFrame>") -> pd.DataFrame:
    """Validate a benefit-code classification (``code``, ``class``; optional ``label``, ``benefit_group``).

    Rules: every ``class`` is one of :data:`CLASSES`; a code is listed once.
    Codes are stripped strings (integral floats lose their ``.0``). A shipped
    DREAM list uses the column name ``default_class``; it is accepted as ``class``.

    Returns
    -------
    DataFrame
        ``code, class, label, benefit_group`` (the last two missing where not
        given); ``attrs["source"]`` names the file.
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
