"""The person id column of a data file: ``person_id``, or the one ``[data] id_column`` names.

Decision: one setting, ``[data] id_column`` (parsed once in
:mod:`survival_invest.config.sections`), serves every data file that holds
person ids — the spells (long or DREAM wide), the memberships and the person
table — so a municipality whose files all say ``PNR`` (or ``CPR``,
``cpr_nummer``) sets it once. The rule, the same in memory and in the DuckDB
and Spark engines (which read the file's columns, not its rows):

* a file that has ``person_id`` is used as it is;
* otherwise the column ``id_column`` names, matched regardless of case (as SAS
  names are), is the person id;
* otherwise the file is refused naming the setting, the likely candidate
  (:data:`~survival_invest.io.tables.ID_ALIASES`: ``PNR``, ``CPR`` ...) and
  the columns found, cut to a few
  (:func:`~survival_invest.io.tables.columns_text`). Without the setting the
  missing ``person_id`` is reported by
  :func:`~survival_invest.io.tables.require_columns`, which names the same
  candidate and the setting.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from survival_invest.errors import ExtractError
from survival_invest.io.tables import ID_ALIASES, ID_SETTING, columns_text, require_columns

__all__ = ["spells_id_column", "with_person_id"]


def _likely(present: Sequence[str]) -> str:
    """The hint naming a present column that looks like a person id, or ``""``."""
    lower = {c.lower(): c for c in present}
    for alias in ID_ALIASES["person_id"]:
        if alias in lower:
            return f" ('{lower[alias]}' looks like it: set {ID_SETTING} = \"{lower[alias]}\")"
    return ""


def with_person_id(frame: pd.DataFrame, id_column: str | None, source: str) -> pd.DataFrame:
    """``frame`` with its person id column named ``person_id`` (rules: module docstring).

    Parameters
    ----------
    frame : DataFrame
        The file as read.
    id_column : str or None
        ``[data] id_column``.
    source : str
        File name used in the message.

    Returns
    -------
    DataFrame
        ``frame`` itself, or a renamed copy.

    Raises
    ------
    ExtractError
        ``id_column`` is set but neither it nor ``person_id`` is a column.
    """
    if not id_column or "person_id" in frame.columns:
        return frame
    lower = {str(c).lower(): c for c in frame.columns}
    found = lower.get(id_column.lower())
    if found is None:
        present = [str(c) for c in frame.columns]
        raise ExtractError(
            f"{source}: missing the person id column '{id_column}' ({ID_SETTING}) or 'person_id'"
            f"{_likely(present)}; {columns_text(present)}."
        )
    return frame.rename(columns={found: "person_id"})


def spells_id_column(columns: Sequence[str], id_column: str | None, source: str) -> str:
    """The column of a long spells extract that holds the person id, for an engine that reads the file itself.

    The rules of :func:`with_person_id` and
    :func:`~survival_invest.io.tables.require_columns` on the columns alone (no
    row is read), so the DuckDB and Spark engines accept and refuse what the
    in-memory reader does, with the same message.

    Parameters
    ----------
    columns : sequence of str
        The extract's columns (from the Parquet schema or the CSV header).
    id_column : str or None
        ``[data] id_column``.
    source : str
        The extract, named in the message.

    Returns
    -------
    str
        The id column's name in the file (``person_id``, or ``PNR`` ...).

    Raises
    ------
    ExtractError
        The id column, ``period`` or ``benefit`` is missing.
    """
    names = [str(c) for c in columns]
    frame = with_person_id(pd.DataFrame(columns=names), id_column, source)
    require_columns(frame, ("person_id", "period", "benefit"), source)
    return next(c for c, r in zip(names, frame.columns, strict=True) if r == "person_id")
