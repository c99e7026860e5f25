"""Memberships read and checked by the SQL engine: a national memberships file never held in Python.

A national memberships file has tens of millions of rows (29 million in the
10^9-row benchmark: 5 GB as Arrow strings in pandas). For DuckDB the file is
a view, ``mship_raw``, and every rule of
:func:`survival_invest.io.memberships.memberships_from_frame` and of the
comparison rules (:func:`survival_invest.cohort.comparison_rows`) runs as SQL:

1. a *profile*, one row per distinct (case id, group, entry label) with its
   row count, its blank person ids and its person ids with surrounding white
   space; the distinct values are cleaned and parsed in pandas by the very
   functions the in-memory reader uses (:func:`survival_invest.io.ids.categories`,
   :func:`survival_invest.io.tables.parse_period_column`), so an id, a group or
   a label means the same in every engine;
2. ``mship``: one aggregate per person and case (a hash ``GROUP BY``, the
   only pass over the rows after the profile) counting the person's target and
   intervention rows with their entries: a count above one is a person listed
   twice in the same case and group;
3. ``members``: the survival cases' comparison and intervention members, read
   off those counts by the comparison rules (``non_participants``: a target
   row of a person with no intervention row; ``target_all``: the target row,
   or the intervention row of a participant with none), with the same columns
   as the table the pandas path registers (:mod:`survival_invest.engines.aggregates`).

**Decision: the exact messages come from the in-memory reader.** The SQL checks
only decide *whether* something is wrong (a count per rule). When one finds a
problem -- a missing column, a blank or padded id, an unknown group, an
unreadable or late entry label, a repeated person, a case without members or
an empty group, a CSV file that is not UTF-8 -- the file is read by
:func:`survival_invest.read_memberships` and checked there, which raises the
error with file, column, rows and value exactly as for the in-memory engine
(the bad-input tests run through both). That path holds the file in Python, but
only for a file that is refused anyway; a good file never leaves the engine.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd

from survival_invest.choices import MONTH_RULES, SQL_COMPARISONS
from survival_invest.cohort.status import first_week_of_month
from survival_invest.engines import sql as Q
from survival_invest.errors import ExtractError
from survival_invest.io.idcolumn import with_person_id
from survival_invest.io.ids import categories
from survival_invest.io.memberships import GROUPS
from survival_invest.io.periods import Frequency
from survival_invest.io.sources import Location
from survival_invest.io.tables import parse_period_column, require_columns

__all__ = ["MembershipsFile", "StagedMemberships", "engine_members", "members_in_engine", "stage_memberships"]

log = logging.getLogger(__name__)

#: Column types read here; any other (floats, dates, unsigned 64-bit) goes through the in-memory reader.
_TYPES = frozenset({"VARCHAR", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER"})

#: Unicode white space as Arrow's ``utf8_trim_whitespace`` trims it (RE2 ``\s`` is ASCII only).
_SPACE = r"[\s\x0b\x85\p{Z}]"


class Tables(Protocol):
    """The part of an SQL engine used here (:class:`~survival_invest.engines.aggregates.SqlBackend` has it)."""

    def query(self, sql: str) -> pd.DataFrame:
        """Run a query and return its (small) result."""
        ...

    def materialise(self, name: str, sql: str) -> None:
        """Run a query into the table ``name``."""
        ...

    def register(self, name: str, frame: pd.DataFrame) -> None:
        """Make a pandas DataFrame available to queries as the table ``name``."""
        ...

    def id_kind(self) -> str:
        """``"integer"`` or ``"string"``: the extract's person_id type."""
        ...


class CaseLike(Protocol):
    """A survival case as the SQL engines see it (:class:`~survival_invest.engines.aggregates.CaseSpec`)."""

    @property
    def case_id(self) -> str:
        """The case id."""
        ...

    @property
    def comparison(self) -> str:
        """The comparison rule."""
        ...

    @property
    def durable_exit(self) -> int:
        """Periods off support that make an exit."""
        ...

    @property
    def month_rule(self) -> str:
        """The month rule."""
        ...


@dataclass(frozen=True)
class MembershipsFile:
    """A memberships file for the engine to read (instead of a DataFrame read by :func:`read_memberships`).

    ``read`` reads and checks it in pandas: the path for a file the engine's
    checks refuse (it raises the exact message), and for engines without
    a ``memberships_view`` (Spark).
    """

    location: Location
    id_column: str | None
    read: Callable[[], pd.DataFrame] = field(repr=False)


@dataclass(frozen=True)
class StagedMemberships:
    """The memberships held by the engine as ``mship``: per person and case, the target and intervention rows.

    Columns ``pkey, case_label, n_target, n_inter`` and the entry (``e_``) and
    first source period (``s_``) of the target and intervention rows.
    """

    source: str
    frequency: Frequency
    rows: int
    combos: pd.DataFrame  # one row per distinct (case, group, entry): case_label, is_inter, entry, n
    integer_ids: bool  # the file's person id column is an integer type
    read: Callable[[], pd.DataFrame] = field(repr=False)  # the pandas reader, for a refused file's message


def _columns_ok(columns: list[str], file: MembershipsFile) -> dict[str, str] | None:
    """The file's column for each of person_id, case_id, group, entry_period (``[data] id_column`` applied)."""
    frame = pd.DataFrame(columns=columns)
    try:
        renamed = with_person_id(frame, file.id_column, str(file.location))
        require_columns(renamed, ("person_id", "case_id", "group", "entry_period"), str(file.location))
    except ExtractError:
        return None
    original = dict(zip(renamed.columns, frame.columns, strict=True))
    return {c: original[c] for c in ("person_id", "case_id", "group", "entry_period")}


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def stage_memberships(backend: Tables, file: MembershipsFile) -> StagedMemberships | pd.DataFrame:
    """Read and check the memberships in the engine (rules: module docstring), or fall back to pandas.

    Parameters
    ----------
    backend : Tables
        The engine; it reads the file when it has ``memberships_view(location, name)`` (DuckDB: creates the
        view ``name`` and returns the columns and their types, or ``None`` when it cannot read the file).
    file : MembershipsFile

    Returns
    -------
    StagedMemberships or DataFrame
        The staged table, or -- when the engine cannot read the file or its
        checks find a problem -- the DataFrame of ``file.read()`` (which raises
        on the problem with the in-memory reader's message).
    """
    source = str(file.location)
    view = getattr(backend, "memberships_view", None)
    types: dict[str, str] | None = None if view is None else view(file.location, "mship_file")
    cols = None if types is None else _columns_ok(list(types), file)
    if cols is None or types is None:
        return _fallback(file, "the engine cannot read the file, or a column is missing")
    if any(types[c].upper() not in _TYPES for c in cols.values()):  # floats, dates ...: the reader's own rules
        return _fallback(file, "a column is neither text nor integer")
    raw = (
        f"(SELECT {_ident(cols['person_id'])} AS pkey, {_ident(cols['case_id'])} AS case_raw, "
        f"{_ident(cols['group'])} AS group_raw, {_ident(cols['entry_period'])} AS entry_raw FROM mship_file)"
    )
    integer = types[cols["person_id"]].upper() != "VARCHAR"
    # blank or padded ids: only text ids can be (an integer column's missing values are NULL)
    blank = "pkey IS NULL" if integer else "pkey IS NULL OR CAST(pkey AS VARCHAR) = ''"
    padded = "FALSE" if integer else f"regexp_matches(CAST(pkey AS VARCHAR), '^{_SPACE}|{_SPACE}$')"
    prof = backend.query(
        f"""
        SELECT case_raw, group_raw, entry_raw, COUNT(*) AS n,
               SUM(CASE WHEN {blank} THEN 1 ELSE 0 END) AS blank, SUM(CASE WHEN {padded} THEN 1 ELSE 0 END) AS padded
        FROM {raw} AS r GROUP BY ALL
        """
    )
    combos = _combos(prof, source)
    if combos is None:
        return _fallback(file, "the checks found a problem")
    backend.register("mship_combos", combos.drop(columns=["n"]))
    # one row per person and case: a repeated person and each comparison rule read off its two counts
    backend.materialise(
        "mship",
        f"""
        SELECT r.pkey, c.case_label,
               COUNT(*) FILTER (WHERE c.is_inter = 0) AS n_target, COUNT(*) FILTER (WHERE c.is_inter = 1) AS n_inter,
               MAX(c.entry) FILTER (WHERE c.is_inter = 0) AS e_target,
               MAX(c.entry_src) FILTER (WHERE c.is_inter = 0) AS s_target,
               MAX(c.entry) FILTER (WHERE c.is_inter = 1) AS e_inter,
               MAX(c.entry_src) FILTER (WHERE c.is_inter = 1) AS s_inter
        FROM {raw} AS r JOIN mship_combos c ON r.case_raw IS NOT DISTINCT FROM c.case_raw
            AND r.group_raw IS NOT DISTINCT FROM c.group_raw AND r.entry_raw IS NOT DISTINCT FROM c.entry_raw
        GROUP BY r.pkey, c.case_label
        """,
    )
    repeated = backend.query("SELECT COUNT(*) AS n FROM mship WHERE n_target > 1 OR n_inter > 1")["n"].iloc[0]
    if int(repeated):
        return _fallback(file, "a person is listed twice in a case and group")
    freq: Frequency = combos.attrs["frequency"]
    kept = combos[["case_label", "is_inter", "entry", "n"]]
    return StagedMemberships(source, freq, int(combos["n"].sum()), kept, integer, file.read)


def _combos(prof: pd.DataFrame, source: str) -> pd.DataFrame | None:
    """The distinct (case, group, entry) values cleaned and parsed as the pandas reader does; ``None`` on a problem."""
    if prof.empty or int(prof["blank"].sum()) or int(prof["padded"].sum()):
        return None
    cases = categories(prof["case_raw"].reset_index(drop=True))
    groups = categories(prof["group_raw"].reset_index(drop=True), lower=True)
    if (cases.isna() | (cases == "")).any() or not groups.isin(GROUPS).fillna(False).all():
        return None
    try:
        entry, freq = parse_period_column(
            pd.DataFrame({"entry_period": prof["entry_raw"].reset_index(drop=True)}), "entry_period", source, "auto"
        )
    except ExtractError:
        return None
    out = pd.DataFrame(
        {
            "case_raw": prof["case_raw"].to_numpy(),
            "group_raw": prof["group_raw"].to_numpy(),
            "entry_raw": prof["entry_raw"].to_numpy(),
            "case_label": cases.astype(str).to_numpy(),
            "is_inter": (groups == "intervention").to_numpy(dtype=np.int64),
            "entry": entry.astype(np.int64),
            # the first week of the entry month, used when weekly spells are rolled up to monthly memberships
            "entry_src": (first_week_of_month(entry) if freq == "month" else entry).astype(np.int64),
            "n": prof["n"].to_numpy().astype(np.int64),
        }
    )
    out.attrs["frequency"] = freq
    return out


def _fallback(file: MembershipsFile, why: str) -> pd.DataFrame:
    log.info("memberships %s: read in Python (%s)", file.location, why)
    return file.read()


def engine_members(
    backend: Tables, staged: StagedMemberships, cases: Sequence[CaseLike], cutoff: int, rollup: bool
) -> tuple[int, int, pd.DataFrame | None]:
    """``members`` built by the engine: (first entry, memberships rows, ``None``), or the file read by pandas.

    The pandas frame comes back when the engine's checks find a case without
    members, an empty group or a late entry (:func:`members_in_engine`): the
    pandas path then raises the in-memory reader's exact message.

    Parameters
    ----------
    backend : Tables
        Holding ``mship`` and the extract (its ``id_kind()``).
    staged : StagedMemberships
    cases : sequence of CaseSpec
    cutoff : int
    rollup : bool
        See :func:`members_in_engine`.

    Returns
    -------
    (first_entry, rows, frame)
    """
    specs = [(c.case_id, str(c.comparison), c.durable_exit, str(c.month_rule)) for c in cases]
    first, ok = members_in_engine(backend, staged, specs, cutoff, backend.id_kind(), rollup)
    return first, staged.rows, None if ok else staged.read()


def members_in_engine(
    backend: Tables,
    staged: StagedMemberships,
    cases: Sequence[tuple[str, str, int, str]],
    cutoff: int,
    id_kind: str,
    rollup: bool,
) -> tuple[int, bool]:
    """Materialise ``members`` (the columns of the pandas path's table) from ``mship`` by the comparison rules.

    Rules (:func:`survival_invest.cohort.comparison_rows`): ``non_participants``:
    the case's target rows of persons not in its intervention group;
    ``target_all``: every target row, plus the intervention rows of participants
    missing from the target group; the intervention rows. Persons are compared
    by the file's id (text equality; an integer column's values equal where
    their text does). ``person_id`` is the extract's type: for an integer
    extract, text ids that are not canonical integers (``"0007"``, ``"x9"``)
    are missing (no spell data), as in the in-memory engine.

    Parameters
    ----------
    backend : Tables
        Holding ``mship`` (:func:`stage_memberships`).
    staged : StagedMemberships
    cases : list of (case_id, comparison, durable_exit, month_rule)
        The survival cases in order (their position is ``members.case_id``).
    cutoff : int
        The last complete period; an entry after it is refused.
    id_kind : {"integer", "string"}
        The extract's person_id type.
    rollup : bool
        Weekly spells rolled up to monthly memberships: ``entry_src`` is the entry month's first week.

    Returns
    -------
    (min_entry, ok)
        The first entry period of any member, and ``False`` when a case has no
        memberships, an empty group or a late entry (the caller then runs the
        pandas path, which raises with the exact message).
    """
    spec = pd.DataFrame(
        {
            "case_no": np.arange(len(cases), dtype=np.int64),
            "case_label": [c[0] for c in cases],
            "target_all": [int(c[1] == "target_all") for c in cases],
            "k": np.array([c[2] for c in cases], dtype=np.int64),
            "rule": np.array([Q.MONTH_RULE_CODES[c[3]] for c in cases], dtype=np.int64),
        }
    )
    if any(c[1] not in SQL_COMPARISONS or c[3] not in MONTH_RULES for c in cases):
        return 0, False
    present = set(staged.combos["case_label"])
    if any(c[0] not in present for c in cases):
        return 0, False
    backend.register("mship_cases", spec)
    person = _person_sql(staged, id_kind)
    entry_src = "entry_src" if rollup else "entry"
    backend.materialise(
        "members",
        f"""
        WITH m AS (SELECT s.*, c.case_no, c.target_all, c.k, c.rule FROM mship s JOIN mship_cases c USING (case_label)),
        rows AS (
            SELECT pkey, case_no, k, rule, 0 AS grp, e_target AS entry, s_target AS entry_src FROM m
            WHERE n_target = 1 AND (target_all = 1 OR n_inter = 0)
            UNION ALL
            SELECT pkey, case_no, k, rule, 0 AS grp, e_inter AS entry, s_inter AS entry_src FROM m
            WHERE n_target = 0 AND target_all = 1
            UNION ALL
            SELECT pkey, case_no, k, rule, 1 AS grp, e_inter AS entry, s_inter AS entry_src FROM m WHERE n_inter = 1
        )
        SELECT CAST(row_number() OVER () - 1 AS BIGINT) AS member, case_no AS case_id, CAST(grp AS BIGINT) AS grp,
               {person} AS person_id, entry, {entry_src} AS entry_src, k, rule
        FROM rows
        """,
    )
    check = backend.query(
        f"""
        SELECT c.case_no, COALESCE(SUM(CASE WHEN m.grp = 0 THEN 1 ELSE 0 END), 0) AS comparison,
               COALESCE(SUM(CASE WHEN m.grp = 1 THEN 1 ELSE 0 END), 0) AS intervention,
               COALESCE(SUM(CASE WHEN m.entry > {int(cutoff)} THEN 1 ELSE 0 END), 0) AS late,
               MIN(m.entry) AS first_entry
        FROM mship_cases c LEFT JOIN members m ON m.case_id = c.case_no GROUP BY c.case_no
        """
    )
    ok = bool((check["comparison"] > 0).all() and (check["intervention"] > 0).all() and (check["late"] == 0).all())
    return (int(check["first_entry"].min()) if ok else 0), ok


def _person_sql(staged: StagedMemberships, id_kind: str) -> str:
    """The members' ``person_id`` in the extract's type (canonical integers only for an integer extract)."""
    if id_kind == "integer":
        if staged.integer_ids:
            return "CAST(pkey AS BIGINT)"
        return "CASE WHEN CAST(TRY_CAST(pkey AS BIGINT) AS VARCHAR) = pkey THEN TRY_CAST(pkey AS BIGINT) END"
    return "CAST(pkey AS VARCHAR)"
