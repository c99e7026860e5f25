"""Finance extract: the realised investment per case and year."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from survival_invest.errors import ExtractError, plain_repr
from survival_invest.io.tables import read_table, require_columns, rows_text

__all__ = ["read_finance"]


def read_finance(path: str | Path) -> pd.DataFrame:
    """Read a finance extract of realised investment: ``case_id, year, investment_mkr``.

    Amounts in mio. kr. at the report's price level. Rules: ``year`` and
    ``investment_mkr`` are numbers; one row per case and year.

    Returns
    -------
    DataFrame
        ``case_id`` (string), ``year`` (int64), ``investment_mkr`` (float).
    """
    frame = read_table(path, what="finance")
    src = str(path)
    require_columns(frame, ("case_id", "year", "investment_mkr"), src)
    out = pd.DataFrame({"case_id": frame["case_id"].astype("string").str.strip()})
    for col, kind in (("year", "a year like 2020"), ("investment_mkr", "an amount in mio. kr.")):
        num = pd.to_numeric(frame[col], errors="coerce")
        bad = num.isna().to_numpy()
        if bad.any():
            first = frame[col].iloc[int(np.argmax(bad))]
            raise ExtractError(f"{src}: column '{col}', {rows_text(bad)}: {plain_repr(first)} is not {kind}.")
        out[col] = num.astype(np.int64) if col == "year" else num.astype(float)
    dup = out.duplicated(["case_id", "year"], keep=False).to_numpy()
    if dup.any():
        raise ExtractError(f"{src}: columns 'case_id', 'year', {rows_text(dup)}: case and year listed more than once.")
    return out
