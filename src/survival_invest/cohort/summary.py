"""The cohort's summary table: nothing leaves the cohort without a line here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import SupportsFloat

import numpy as np
import pandas as pd

from survival_invest.cohort.status import Status
from survival_invest.io.readers import Spells

__all__ = ["summary_table"]


def _count_in(mask: np.ndarray, group: np.ndarray, g: str) -> int:
    """Rows where ``mask`` holds and ``group == g``."""
    return int((mask & (group == g)).sum())


GROUPS = ["comparison", "intervention"]


def summary_table(
    members: pd.DataFrame,
    persons: pd.DataFrame,
    status: pd.DataFrame,
    excluded: Mapping[str, np.ndarray],
    by_code: np.ndarray,
    by_participation: np.ndarray,
    notes: Mapping[str, int],
    spells: Spells,
    st: Status,
    cutoff: int,
    extra_rows: Mapping[str, tuple[int, int]],
    *,
    matched: bool = False,
) -> pd.DataFrame:
    """Counts per group: memberships, exclusions, persons, person-periods, events and censorings.

    Parameters
    ----------
    members : DataFrame
        The case's members (``group``) before exclusions; their count is the
        ``memberships`` row.
    persons : DataFrame
        ``Cohort.persons``.
    status : DataFrame
        ``Cohort.status`` (``member, share``).
    excluded : mapping of str to ndarray of bool
        Exclusion masks over ``members``, one row each (``excluded_<reason>``).
    by_code, by_participation : ndarray of bool
        Per person: censored by a code, or by the own participation start.
    notes : mapping of str to int
        Notes of the comparison rule (rows ``memberships_note_<name>``).
    spells : Spells
        The extract (rows removed while reading, by reason).
    st : Status
        The classified extract (periods after the cut-off).
    cutoff : int
        The data cut-off.
    extra_rows : mapping of str to (int, int)
        More rows as (comparison, intervention) counts (matching).
    matched : bool
        Add the row ``censored_participation_start``.

    Returns
    -------
    DataFrame
        Index ``item``, columns ``comparison, intervention, all``; items
        counted over the whole extract have only ``all``.
    """
    mg = members["group"].to_numpy()
    pg = persons["group"].to_numpy()
    p_int = (pg == "intervention").astype(np.int64)
    on_by_group = np.bincount(p_int[status["member"].to_numpy()], weights=status["share"].to_numpy(), minlength=2)
    items: dict[str, list[float]] = {}

    def per_group(values_by_group: Callable[[str], SupportsFloat]) -> list[float]:
        vals = [float(values_by_group(g)) for g in GROUPS]
        return [*vals, sum(vals)]

    items["memberships"] = per_group(lambda g: (mg == g).sum())
    for name, mask in excluded.items():
        items[name] = per_group(partial(_count_in, mask, mg))
    items["persons"] = per_group(lambda g: (pg == g).sum())
    items["off_support_at_entry"] = per_group(
        lambda g: ((persons["duration"] == 0) & (persons["event"] == 1) & (pg == g)).sum()
    )
    items["person_periods_on_support"] = per_group(lambda g: on_by_group[GROUPS.index(g)])
    items["person_periods_followed"] = per_group(lambda g: persons["followed"].to_numpy()[pg == g].sum())
    items["events"] = per_group(lambda g: persons["event"].to_numpy()[pg == g].sum())
    ev = persons["event"].to_numpy() == 1
    items["censored_cut_off"] = per_group(lambda g: (~ev & ~by_code & ~by_participation & (pg == g)).sum())
    items["censored_code"] = per_group(lambda g: (by_code & (pg == g)).sum())
    if matched:
        items["censored_participation_start"] = per_group(lambda g: (by_participation & (pg == g)).sum())
    for name, (c, i) in extra_rows.items():
        items[name] = [float(c), float(i), float(c + i)]
    out = pd.DataFrame.from_dict(items, orient="index", columns=[*GROUPS, "all"])
    extra = {f"memberships_note_{k}": v for k, v in notes.items()}
    for reason, n in zip(spells.excluded["reason"], spells.excluded["rows"], strict=True):
        extra[f"extract_rows_removed_{reason}"] = n
    extra["extract_periods_after_cut_off"] = int((st.period > cutoff).sum())
    add = pd.DataFrame({"comparison": np.nan, "intervention": np.nan, "all": list(extra.values())}, index=list(extra))
    out = pd.concat([out, add])
    out.index.name = "item"
    return out
