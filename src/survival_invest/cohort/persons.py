"""Baseline covariates of a cohort's persons from a person table: age at entry, age band and sex."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from survival_invest.errors import CohortError
from survival_invest.io.periods import Frequency
from survival_invest.io.readers import persons_from_frame

__all__ = ["AGE_BANDS", "AGE_LABELS", "attach_persons", "entry_dates"]

#: Age bands at entry (years; lower limits) for ``age_band``; persons absent from the table are "unknown".
AGE_BANDS = (25, 35, 45, 55)
#: Labels of the age bands (one more than ``AGE_BANDS``: below the first limit).
AGE_LABELS = ("<25", "25-34", "35-44", "45-54", "55+")


def entry_dates(entry: np.ndarray, frequency: Frequency) -> np.ndarray:
    """First day of each entry period (the month's 1st, or the ISO week's Monday) as ``datetime64[D]``."""
    e = np.asarray(entry, dtype=np.int64)
    if frequency == "month":
        return (e - 1970 * 12).astype("datetime64[M]").astype("datetime64[D]")
    return np.datetime64("1970-01-05", "D") + e * 7


def attach_persons(
    persons: pd.DataFrame,
    table: pd.DataFrame,
    frequency: Frequency,
    *,
    missing: Literal["unknown", "error"] = "unknown",
    case_id: str = "",
) -> tuple[pd.DataFrame, dict[str, dict[str, int]]]:
    """Join a person table (:func:`survival_invest.io.readers.read_persons`) to a cohort's persons.

    Parameters
    ----------
    persons : DataFrame
        ``Cohort.persons`` (``person_id, group, entry``).
    table : DataFrame
        The person table (``person_id, birth_date, sex``), read or as a frame.
    frequency : {"month", "week"}
        The cohort's frequency (entry periods are dated at their first day).
    missing : {"unknown", "error"}
        What to do with persons absent from the table (see the rules).
    case_id : str
        The case, named in messages.

    Rules
    -----
    * ``age``: years from the date of birth to the first day of the entry
      period (days / 365.25); a year of birth alone is dated 1 July.
      ``age_band``: ``<25, 25-34, 35-44, 45-54, 55+`` (an ordered categorical).
    * ``sex``: ``"female"`` / ``"male"``.
    * A person of the cohort who is **absent from the table** is kept, with
      ``sex = "unknown"``, ``age_band = "unknown"`` and ``age`` missing (NaN),
      and counted per group (``missing="unknown"``, the default: an explicit
      category rather than a silent drop, so the balance table and the
      propensity model show how many there are); with ``missing="error"`` any
      absent person is a :class:`CohortError` giving the counts.
      :func:`survival_invest.adjust.balance.baseline_covariates` then uses
      ``age_band`` instead of ``age``.
    * Rows of the table for persons outside the cohort are ignored.

    Returns
    -------
    (persons, counts)
        The persons with the three columns (replacing earlier ones) and
        ``counts[item][group]`` for ``person_table_missing`` and
        ``person_table_birth_year_only``.
    """
    if missing not in ("unknown", "error"):
        raise CohortError(f"missing must be 'unknown' or 'error'; got {missing!r}.")
    if "birth_date_imputed" not in table.columns:
        table = persons_from_frame(table, source=str(table.attrs.get("source", "<DataFrame>")))
    src = table.attrs.get("source", "the person table")
    pos = pd.Index(table["person_id"].astype(str)).get_indexer(pd.Index(persons["person_id"].astype(str)))
    found = pos >= 0
    idx = np.where(found, pos, len(table))  # one extra slot for "absent" (also when the table is empty)
    imputed = np.append(table["birth_date_imputed"].to_numpy(dtype=bool), False)[idx]
    birth = np.append(table["birth_date"].to_numpy(dtype="datetime64[D]"), np.datetime64("NaT", "D"))[idx]
    sex = np.append(table["sex"].to_numpy(dtype=object), "unknown")[idx]
    group = persons["group"].to_numpy()
    counts = {
        "person_table_missing": {g: int((~found & (group == g)).sum()) for g in ("comparison", "intervention")},
        "person_table_birth_year_only": {
            g: int((imputed & (group == g)).sum()) for g in ("comparison", "intervention")
        },
    }
    if missing == "error" and not found.all():
        c = counts["person_table_missing"]
        raise CohortError(
            f"case {case_id!r}: {int((~found).sum())} of {len(found)} persons of the cohort are not in {src} "
            f"({c['comparison']} comparison, {c['intervention']} intervention); add them to the table, or pass "
            "missing='unknown' to keep them with age and sex 'unknown'."
        )
    with np.errstate(invalid="ignore"):
        days = (entry_dates(persons["entry"].to_numpy(), frequency) - birth).astype(np.float64)
    age = np.where(found, days / 365.25, np.nan)
    band = np.asarray(AGE_LABELS, dtype=object)[
        np.searchsorted(np.asarray(AGE_BANDS), np.nan_to_num(age), side="right")
    ]
    out = persons.drop(columns=["age", "age_band", "sex"], errors="ignore").copy()
    out["age"] = age
    out["age_band"] = pd.Categorical(
        np.where(found, band, "unknown"), categories=(*AGE_LABELS, "unknown"), ordered=True
    )
    out["sex"] = pd.Series(sex, index=out.index, dtype="string")
    return out, counts
