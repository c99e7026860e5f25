"""What the SQL engines share: the small relations built in pandas, input checks, and the run order.

An engine is a thin adaptor (:class:`SqlBackend`) that can register a pandas
DataFrame as a table, expose the extract as the relation ``spells``, run a
query into a DataFrame and materialise a query as a table. Everything else —
the cohort rules in SQL (:mod:`survival_invest.engines.sql`), the checks
and the assembly of the aggregates — is here, once, so DuckDB and Spark cannot
drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa

from survival_invest.choices import MONTH_RULES, SQL_COMPARISONS, Comparison, MonthRule
from survival_invest.cohort.rules import comparison_rows, lookback_reset, refuse_late_entries, refuse_short_extract
from survival_invest.cohort.status import first_week_of_month, unknown_codes_error
from survival_invest.engines import sql as Q
from survival_invest.engines.members_sql import MembershipsFile, StagedMemberships, engine_members, stage_memberships
from survival_invest.engines.sql_grouped import grouped_member_steps, grouped_units_sql
from survival_invest.engines.sql_spark import BROADCAST_MEMBERS, spark_member_steps
from survival_invest.errors import CohortError, ExtractError
from survival_invest.io.ids import integer_ids, integer_ids_where_canonical
from survival_invest.io.periods import Frequency, RunClock, parse_periods, week_to_month, weeks_in_month
from survival_invest.io.sources import Location, part_files
from survival_invest.stats import counted_and_spell, week_factor_of

__all__ = ["CaseSpec", "SqlBackend", "participant_lengths", "spells_files", "sql_aggregates"]


class SqlBackend(Protocol):
    """What an SQL engine provides: tables in, query results out (DuckDB and Spark implement it)."""

    name: str

    def register(self, name: str, frame: pd.DataFrame) -> None:
        """Make a pandas DataFrame available to queries as the table ``name``."""
        ...

    def query(self, sql: str) -> pd.DataFrame:
        """Run a query and return its (small) result."""
        ...

    def materialise(self, name: str, sql: str) -> None:
        """Run a query into the table ``name`` (kept by the engine, not returned)."""
        ...

    def id_kind(self) -> str:
        """``"integer"`` or ``"string"``: the type of the extract's person_id column."""
        ...

    def close(self) -> None:
        """Release the connection or session."""
        ...


@dataclass(frozen=True)
class CaseSpec:
    """One survival case as the SQL engines need it (``month_rule``: the case's exit clock of rolled-up months)."""

    case_id: str
    comparison: Comparison
    durable_exit: int
    month_rule: MonthRule = "any"


def spells_files(path: Location) -> tuple[str, list[Path]]:
    """The extract's format (``parquet``/``csv``) and local files: a file, a folder's parts, or a glob's files.

    Parameters
    ----------
    path : Path or str
        A local path, glob or ``file://`` URI (:func:`survival_invest.io.sources.part_files`).

    Returns
    -------
    (kind, files)
    """
    files = part_files(path, "spells")
    kinds = {"parquet" if f.suffix.lower() in (".parquet", ".pq") else f.suffix.lower() for f in files}
    if kinds <= {"parquet"}:
        return "parquet", files
    if kinds == {".csv"}:
        return "csv", files
    raise ExtractError(
        f"{path}: spells of type {sorted(kinds)}; the DuckDB and Spark engines read long spells "
        "(person_id, period, benefit) as .parquet (a file, a folder of parts or a glob) or .csv."
    )


def _profile(backend: SqlBackend, source: str) -> pd.DataFrame:
    """Rows per (period, benefit) and missing values: one cheap scan of two columns."""
    prof = backend.query(
        """
        SELECT CAST(period AS STRING) AS period, CAST(benefit AS STRING) AS benefit, COUNT(*) AS n,
               SUM(CASE WHEN person_id IS NULL THEN 1 ELSE 0 END) AS null_ids
        FROM spells GROUP BY CAST(period AS STRING), CAST(benefit AS STRING)
        """
    )
    nulls = int(prof["null_ids"].sum())
    no_period = int(prof.loc[prof["period"].isna(), "n"].sum())
    no_code = int(prof.loc[prof["benefit"].isna(), "n"].sum())
    for n, col in ((nulls, "person_id"), (no_period, "period"), (no_code, "benefit")):
        if n:
            raise ExtractError(
                f"{source}: column {col!r}: {n} rows have no value; every spell row needs a "
                "person_id, a period and a benefit code (run `survival-invest validate` with the "
                "in-memory engine on a sample to see the rows)."
            )
    return prof


def _period_map(prof: pd.DataFrame, source: str, frequency: Frequency) -> tuple[pd.DataFrame, Frequency, bool]:
    """Distinct period labels -> source period, analysis period and weeks in the month."""
    raw = pd.Series(pd.unique(prof["period"].astype(str)))
    periods, src_freq, bad = parse_periods(raw)
    if bad.any():
        examples = ", ".join(repr(v) for v in raw[bad].head(5))
        n_rows = int(prof.loc[prof["period"].isin(raw[bad]), "n"].sum())
        raise ExtractError(
            f"{source}: column 'period': {n_rows} rows hold labels that are not "
            f"{'YYYY-MM' if src_freq == 'month' else 'YYYY-Www'} periods, e.g. {examples}."
        )
    if src_freq == "month" and frequency == "week":
        raise CohortError(
            "memberships are weekly but the spells extract is monthly; weekly entry periods need weekly spells."
        )
    rollup = src_freq == "week" and frequency == "month"
    period = week_to_month(periods) if rollup else periods
    wim = weeks_in_month(period) if rollup else np.ones(periods.shape[0], dtype=np.int64)
    pmap = pd.DataFrame(
        {
            "raw_period": raw.astype(str),
            "src_period": periods.astype(np.int64),
            "period": np.asarray(period, dtype=np.int64),
            "wim": np.asarray(wim, dtype=np.int64),
        }
    )
    return pmap, src_freq, rollup


def _codes(prof: pd.DataFrame, classification: pd.DataFrame, source: str) -> pd.DataFrame:
    """The classification as integer flags; unknown codes of the extract are an error listing them."""
    table = classification.set_index("code")
    counts = prof.groupby("benefit")["n"].sum()
    unknown = [(str(c), int(n)) for c, n in counts.items() if c not in table.index]
    if unknown:
        raise unknown_codes_error(source, classification, unknown)
    codes = pd.DataFrame({"benefit": table.index.astype(str)})
    codes["code_id"] = np.arange(len(codes), dtype=np.int64)
    cls = table["class"].astype(str).to_numpy()
    codes["is_support"] = (cls == "support").astype(np.int64)
    codes["is_censor"] = (cls == "censor").astype(np.int64)
    codes["benefit_group"] = (
        table["benefit_group"].astype(object).where(table["benefit_group"].notna(), "").astype(str).to_numpy()
    )
    return codes


def _members(
    memberships: pd.DataFrame, cases: list[CaseSpec], clock: RunClock, id_kind: str, rollup: bool
) -> tuple[pd.DataFrame, list[str]]:
    """The members of every case (comparison rules of :func:`survival_invest.cohort.comparison_rows`) as one table.

    Built from row positions and integer keys computed once, so a national
    memberships table (tens of millions of rows) is never copied per case.
    """
    ints = integer_ids(memberships["person_id"])
    keys = ints if ints is not None else pd.factorize(memberships["person_id"])[0].astype(np.int64)
    entry = memberships["entry_period"].to_numpy().astype(np.int64)
    source_row = memberships["row"].to_numpy()
    rows, case_no, grp, k, rule = [], [], [], [], []
    for i, case in enumerate(cases):  # a handful of cases
        if case.comparison not in SQL_COMPARISONS:  # the configuration refuses this earlier; library callers too
            raise CohortError(
                f"case {case.case_id!r}: comparison {case.comparison!r} needs the in-memory engine "
                f'(engine = "memory"); the SQL engines implement {", ".join(SQL_COMPARISONS)}.'
            )
        if case.month_rule not in MONTH_RULES:
            raise CohortError(
                f"case {case.case_id!r}: month_rule must be one of {list(MONTH_RULES)}; got {case.month_rule!r}."
            )
        comp, inter, _ = comparison_rows(memberships, case.case_id, case.comparison, keys)
        r = np.concatenate([comp, inter])
        refuse_late_entries(
            pd.DataFrame({"entry_period": entry[r], "row": source_row[r]}), memberships, case.case_id, clock
        )
        rows.append(r)
        case_no.append(np.full(r.size, i, dtype=np.int64))
        grp.append(np.repeat(np.array([0, 1], dtype=np.int64), [comp.size, inter.size]))
        k.append(np.full(r.size, case.durable_exit, dtype=np.int64))
        rule.append(np.full(r.size, Q.MONTH_RULE_CODES[case.month_rule], dtype=np.int64))
    at = np.concatenate(rows)
    ids = memberships["person_id"].iloc[at]
    if id_kind == "integer":
        # ids that are not canonical integers ("x9", "0007") cannot equal an integer extract's ids as the
        # in-memory engine compares them (as text): missing, so they count as "no spell data"
        person = ints[at] if ints is not None else integer_ids_where_canonical(ids)
    else:
        person = ids.astype("string[pyarrow]").array
    members = pd.DataFrame(
        {
            "member": np.arange(at.size, dtype=np.int64),
            "case_id": np.concatenate(case_no),
            "grp": np.concatenate(grp),
            "person_id": person,
            "entry": entry[at],
            # the first source period of the entry: the entry month's first week when weeks are rolled up
            "entry_src": first_week_of_month(entry[at]) if rollup else entry[at],
            "k": np.concatenate(k),
            "rule": np.concatenate(rule),
        }
    )
    return members, [c.case_id for c in cases]


def participant_lengths(lengths: pd.DataFrame, participants: pd.DataFrame) -> pd.DataFrame:
    """Add the participants' ``counted`` and ``spell`` lengths to the ``lengths`` aggregate.

    The SQL groups participants by (entry, keys, event, duration, followed);
    :func:`survival_invest.stats.counted_and_spell` turns each group into its
    two lengths, so the rule exists once for every engine.

    Parameters
    ----------
    lengths : DataFrame
        ``case_id, grp, entry, benefit_group, prior_periods, kind, length, n`` (the ``followed`` rows).
    participants : DataFrame
        ``case_id, grp, entry, benefit_group, prior_periods, event, duration, followed, n``.

    Returns
    -------
    DataFrame
        ``lengths`` with the ``counted`` and ``spell`` rows appended (rows with the same key are summed later
        by :func:`survival_invest.stats.normalise_aggregates`).
    """
    event = participants["event"].to_numpy().astype(np.int64) == 1
    counted, spell = counted_and_spell(
        event,
        participants["duration"].to_numpy().astype(np.int64),
        participants["followed"].to_numpy().astype(np.int64),
    )
    keys = participants[["case_id", "grp", "entry", "benefit_group", "prior_periods"]]
    n = participants["n"].to_numpy()
    extra = [keys.assign(kind=kind, length=values, n=n) for kind, values in (("counted", counted), ("spell", spell))]
    return pd.concat([lengths, *extra], ignore_index=True)[list(lengths.columns)]


def _member_pass(
    backend: SqlBackend,
    source: str,
    status: str,
    rollup: bool,
    cutoff: int,
    horizon: int,
    freq: Frequency,
    src_freq: Frequency,
) -> None:
    """Materialise ``m_agg`` (one row per member) in the engine's dialect and refuse repeated person-period rows."""
    lookback, _ = lookback_reset(freq)
    src_lookback, src_reset = lookback_reset(src_freq)  # prior support at the source frequency (weeks for weekly data)
    if backend.name == "duckdb":  # per-member GROUP BY with bit strings
        steps = grouped_member_steps(
            rollup=rollup, status=status, cutoff=cutoff, lookback=lookback,
            src_lookback=src_lookback, src_reset=src_reset, horizon=horizon,
        )  # fmt: skip
    else:  # Spark SQL has no bitstring_agg: the same GROUP BY with bit masks in BIGINT words
        n_members = int(backend.query("SELECT COUNT(*) AS n FROM members")["n"].iloc[0])
        steps = spark_member_steps(
            rollup=rollup, status=status, cutoff=cutoff, lookback=lookback, src_lookback=src_lookback,
            src_reset=src_reset, horizon=horizon, broadcast=n_members <= BROADCAST_MEMBERS,
        )  # fmt: skip
    for name, text in steps:
        backend.materialise(name, text)
    dups = backend.query("SELECT COALESCE(SUM(dup_rows), 0) AS n FROM m_agg")["n"].iloc[0]
    if int(dups):
        raise ExtractError(
            f"{source}: {int(dups)} person-period rows of the cohorts' persons repeat an earlier row of the same person "
            "and period; the SQL engines need one row per person and period (the in-memory reader drops identical "
            "duplicates and lists conflicting ones: run it on the affected persons, or deduplicate the extract)."
        )


def _units(backend: SqlBackend, rollup: bool, lo: int, cutoff: int) -> pd.DataFrame:
    """The units aggregate: DuckDB's monthly units from the member pass's bits, else a scan joined with ``kept``."""
    if backend.name == "duckdb" and not rollup:  # monthly: the units are the bits the member pass kept
        return backend.query(grouped_units_sql())
    # monthly rows join the kept members directly; weekly rows are grouped per month for the members first
    units_status = Q.status_sql(rollup=rollup, lo=lo, hi=cutoff, members_only=rollup)
    return backend.query(Q.units_sql(status=units_status, cutoff=cutoff))


def sql_aggregates(
    backend: SqlBackend,
    *,
    source: str,
    memberships: pd.DataFrame | MembershipsFile,
    classification: pd.DataFrame,
    cases: list[CaseSpec],
    clock: RunClock,
) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Run the cohort rules in SQL on ``backend`` and return the four aggregates and run facts.

    Parameters
    ----------
    backend : SqlBackend
        Must already expose the extract as the relation ``spells``.
    source : str
        The extract's name, for messages.
    memberships : DataFrame or MembershipsFile
        From :func:`survival_invest.read_memberships` (freed here once the
        engine holds its members table when the caller kept no name for it),
        or the file for the engine to read and check
        (:mod:`survival_invest.engines.members_sql`, DuckDB).
    classification : DataFrame
        ``code, class, benefit_group`` table.
    cases : list of CaseSpec
        The survival cases (comparison rules in :data:`survival_invest.choices.SQL_COMPARISONS`), each with
        its month rule (applied per member, so the extract is scanned once for all rules).
    clock : RunClock
        The run's clock; its ``cutoff`` is the last complete period.

    Returns
    -------
    (aggregates, facts)
        The aggregates with case ids and group labels as in
        :mod:`survival_invest.stats`; facts: rows, source frequency, rollup,
        week factor.
    """
    # DuckDB reads and checks a memberships file itself; on any problem the pandas reader raises its exact message
    held = stage_memberships(backend, memberships) if isinstance(memberships, MembershipsFile) else memberships
    del memberships
    staged, frame = (held, None) if isinstance(held, StagedMemberships) else (None, held)
    freq: Frequency = held.frequency if isinstance(held, StagedMemberships) else held.attrs["frequency"]
    del held
    prof = _profile(backend, source)
    pmap, src_freq, rollup = _period_map(prof, source, freq)
    codes = _codes(prof, classification, source)
    cutoff = clock.cutoff
    if len(pmap):
        refuse_short_extract(source, int(pmap["period"].max()), clock)
    case_ids = [c.case_id for c in cases]
    if staged is not None:
        first, n_memberships, frame = engine_members(backend, staged, cases, cutoff, rollup)
    if frame is not None:
        members, _ = _members(frame, cases, clock, backend.id_kind(), rollup)
        n_memberships = len(frame)
        first = int(members["entry"].min())
        # free the caller's table when it passed it without keeping a name for it (national scale: GBs), and hand
        # Arrow's pooled memory back to the system before the engine needs it (mimalloc keeps freed pages otherwise)
        del frame
        pa.default_memory_pool().release_unused()
        backend.register("members", members)
        del members  # the engine holds its own copy; national scale: ~50 bytes per membership
    backend.register("pmap", pmap)
    backend.register("codes", codes)

    lookback, _ = lookback_reset(freq)
    lo = first - lookback
    horizon = cutoff - first
    _member_pass(
        backend, source, Q.status_sql(rollup=rollup, lo=lo, hi=cutoff), rollup, cutoff, horizon, freq, src_freq
    )
    backend.materialise("outcome", Q.outcome_sql(Q.persons_sql(cutoff=cutoff)))
    backend.materialise("kept", Q.kept_sql())
    out = {name: backend.query(text) for name, text in Q.aggregate_sqls().items()}
    out["units"] = _units(backend, rollup, lo, cutoff)
    out["lengths"] = participant_lengths(out["lengths"], out.pop("participants"))

    labels = np.array(case_ids, dtype=object)
    groups = np.array(["comparison", "intervention"], dtype=object)
    for frame in out.values():
        frame["case_id"] = labels[frame["case_id"].to_numpy().astype(np.int64)]
        frame["group"] = groups[frame["grp"].to_numpy().astype(np.int64)]
    s = out["summary"]
    items = [c for c in s.columns if c not in ("case_id", "grp", "group")]
    out["summary"] = s.melt(id_vars=["case_id", "group"], value_vars=items, var_name="item", value_name="n")
    facts = {
        "spells_rows": int(prof["n"].sum()),
        "memberships_rows": n_memberships,
        "source_frequency": src_freq,
        "weekly_units": rollup,
        "week_factor": week_factor_of(src_freq),
        "extract_periods_after_cut_off_rows": int(
            prof.loc[prof["period"].isin(pmap.loc[pmap["period"] > cutoff, "raw_period"]), "n"].sum()
        ),
    }
    return out, facts
