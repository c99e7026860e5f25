"""Check a portfolio's config and data without computing anything.

``validate(config_path, as_of=None)`` returns (what was found, every problem).
It does not stop at the first problem: each file and each case is checked on
its own, so one run lists everything to fix. It also says which engine a run
would use and why (a ``matched`` case needs the in-memory engine: with
``engine = "duckdb"`` that is a problem reported here, before any extract is
scanned by a run). No person id is printed, and no head count below
``min_persons`` (shown as ``<5``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

from survival_invest.cohort import build_cohort, refuse_short_extract, spell_status
from survival_invest.cohort.rules import case_members, refuse_empty_groups, refuse_late_entries, refuse_unfollowed
from survival_invest.cohort.status import Status
from survival_invest.config import CaseConfig, Portfolio, load_config, pseudonym_key
from survival_invest.engines import engine_choice
from survival_invest.engines.aggregates import spells_files
from survival_invest.engines.select import refuse_remote_in_memory, refuse_sql_format
from survival_invest.errors import SurvivalInvestError
from survival_invest.io import Spells, read_classification, read_memberships, read_persons, read_spells
from survival_invest.io.idcolumn import spells_id_column
from survival_invest.io.periods import Frequency, RunClock, month_label, period_label
from survival_invest.io.privacy import IdPolicy
from survival_invest.io.readers import read_finance
from survival_invest.io.sources import Location, extract_columns, remote_scheme
from survival_invest.io.text import csv_files_dialect, refuse_c1_bytes
from survival_invest.pipeline.inventory import file_inventory
from survival_invest.report.privacy import shown_count
from survival_invest.stats import case_statistics

__all__ = ["validate"]

T = TypeVar("T")


@dataclass
class _Findings:
    """What was found (one line per input and case), every problem (one line each), and the minimum count shown."""

    found: list[str]
    problems: list[str]
    min_persons: int

    def attempt(self, read: Callable[[], T]) -> T | None:
        """Run one check; a package error becomes problem lines (one per line of it) instead of stopping the others."""
        try:
            return read()
        except SurvivalInvestError as exc:
            self.problems.extend(str(exc).splitlines() or [type(exc).__name__])
            return None

    def passes(self, check: Callable[[], object]) -> bool:
        """Run one check (as :meth:`attempt`); whether it raised no package error."""
        before = len(self.problems)
        self.attempt(check)
        return len(self.problems) == before

    def count(self, n: int) -> int | str:
        """A head count as it may be shown (``<min_persons`` when below the minimum)."""
        return shown_count(n, self.min_persons)


def validate(
    config_path: str | Path, *, as_of: str | None = None, engine: str | None = None
) -> tuple[list[str], list[str]]:
    """Check config and data; return (report lines, problems). Problems are one line each.

    The checks are those a run makes before it computes: the configuration
    (every problem of it), the engine against the cases' comparison rules,
    each extract (several problems per file where the reader can go on), the
    extract against the cut-off, and per survival case the memberships
    against the run's rules: both groups present, no entry after the cut-off
    (and a cut-off before every entry named as such), members without spell
    data counted, and a group none of whose members is in the spells refused
    with the id forms compared. Head counts are shown as ``<min_persons``
    when below the minimum (:func:`~survival_invest.report.privacy.shown_count`).

    Parameters
    ----------
    config_path : str or Path
        The portfolio TOML file.
    as_of : str, optional
        The month a run would use (``YYYY-MM``): checks that the extract reaches its cut-off.
    engine : str, optional
        The engine a run would be asked for (as ``run --engine``); default the
        environment and the configuration.

    Returns
    -------
    (found, problems) : tuple of list of str
        Nothing of ``found`` is based on a person id; ``problems`` is empty when the run can go ahead.
    """
    f = _Findings([], [], 1)
    clock = f.attempt(lambda: _clock(as_of)) if as_of is not None else None
    portfolio = f.attempt(lambda: load_config(config_path))
    if portfolio is None:
        return f.found, f.problems
    run = portfolio.run
    f.min_persons = run.min_persons
    if clock is not None:
        clock = RunClock(clock.as_of, run.data_lag, clock.frequency)
    f.found.append(
        f"config {portfolio.source}: {len(portfolio.cases)} cases "
        f"({', '.join(f'{c.id} {c.method}' for c in portfolio.cases)}), price level {run.price_level}, "
        f"data lag {run.data_lag} months, minimum {run.min_persons} persons"
    )
    choice = f.attempt(lambda: engine_choice(portfolio, engine))
    if choice is not None:
        f.found.append(f"engine {choice.name}: {choice.reason}")
        _check_engine_inputs(f, portfolio, choice.name)
    ids = f.attempt(lambda: IdPolicy(pseudonym_key(portfolio.privacy, portfolio.source)))
    if ids is None:  # declared CPR numbers without a key: nothing may be read
        return f.found, f.problems
    f.found.append(f"person ids: {'CPR numbers, pseudonymised at read time' if ids.pseudonymised else 'as they are'}")
    spells, members = _read_extracts(f, portfolio, ids)
    persons = _optional_inputs(f, portfolio, ids)
    inventory, unreadable = file_inventory(portfolio, ids, spells, members)  # per file: pipeline.inventory
    f.found += inventory
    f.problems += unreadable
    classified = _check_clock(f, portfolio, spells, members, clock) if spells is not None else None
    if members is not None:
        for case in portfolio.cases:  # a handful of cases
            if case.method == "survival":
                _check_case(f, portfolio, case, members, spells, persons, clock, classified)
    return f.found, f.problems


def _read_extracts(f: _Findings, portfolio: Portfolio, ids: IdPolicy) -> tuple[Spells | None, pd.DataFrame | None]:
    """The spells and the memberships as a run reads them (a remote URI is left to the engine, said so)."""
    data = portfolio.data
    spells, members = None, None
    if remote_scheme(data.spells) is not None:  # only the engine can read it: checked by the run
        f.found.append(f"spells {data.spells}: on remote storage, read and checked by the engine in a run")
    else:
        spells = f.attempt(
            lambda: read_spells(data.spells, format=data.spells_format, id_column=data.id_column, ids=ids)
        )
    if spells is not None:
        d = spells.describe()
        f.found.append(
            f"spells {d['source']}: {f.count(int(str(d['persons'])))} persons, {d['rows']} rows, {d['codes']} codes, "
            f"{d['frequency']}s {d['first_period']} to {d['last_period']}"
        )
    if remote_scheme(data.memberships) is not None:
        f.found.append(f"memberships {data.memberships}: on remote storage, read and checked by the engine in a run")
    else:
        members = f.attempt(lambda: read_memberships(data.memberships, ids=ids, id_column=data.id_column))
    if members is not None:
        f.found.append(
            f"memberships {data.memberships}: {len(members)} rows, "
            f"{f.count(members['person_id'].nunique())} persons, cases {sorted(members['case_id'].unique())[:20]}"
        )
    return spells, members


def _check_engine_inputs(f: _Findings, portfolio: Portfolio, engine: str) -> None:
    """What the chosen engine refuses of the inputs before it computes, as a run would (no row is aggregated).

    In memory: remote URIs. DuckDB and Spark: a DREAM wide file; the extract's
    files, CSV dialect and columns (the id column included). DuckDB is asked
    itself (its view over the files, its extension for a remote scheme); Spark
    is not started, so its local inputs are checked by the same rules
    (:func:`~survival_invest.io.idcolumn.spells_id_column`) and a remote one is left to the run.
    """
    if engine == "memory":
        f.attempt(lambda: refuse_remote_in_memory(portfolio))
        return
    data = portfolio.data
    if not f.passes(lambda: refuse_sql_format(portfolio, engine)):
        return
    if engine == "duckdb":
        from survival_invest.engines.duckdb_engine import DuckDBBackend  # a second of import: only when asked

        f.attempt(lambda: DuckDBBackend(data.spells, id_column=data.id_column).close())
    elif remote_scheme(data.spells) is None:
        f.attempt(lambda: _spark_local_checks(data.spells, data.id_column))


def _spark_local_checks(spells: Location, id_column: str | None) -> None:
    """A local extract as the Spark engine checks it before starting a session: files, CSV dialect, columns."""
    kind, files = spells_files(spells)
    if kind == "csv" and csv_files_dialect(files, "spells").encoding == "cp1252":
        refuse_c1_bytes(files, "spells")
    spells_id_column(extract_columns(files[0]), id_column, str(spells))


def _clock(as_of: str) -> RunClock:
    """The as-of month with lag 0 (the config's lag is applied once the config is read)."""
    try:
        return RunClock.parse(as_of, 0, "month")
    except ValueError as exc:
        raise SurvivalInvestError(f"--as-of: {exc}") from exc


def _optional_inputs(f: _Findings, portfolio: Portfolio, ids: IdPolicy) -> pd.DataFrame | None:
    """The person table and the finance extract when the configuration names them."""
    persons = None
    if portfolio.data.persons:
        path = portfolio.data.persons
        persons = f.attempt(lambda: read_persons(path, ids=ids, id_column=portfolio.data.id_column))
        if persons is not None:
            imputed = int(persons["birth_date_imputed"].sum())
            f.found.append(
                f"persons {path}: {f.count(len(persons))} persons"
                + (f", {f.count(imputed)} birth dates from the year alone (1 July)" if imputed else "")
            )
    if portfolio.data.finance:
        fin_path = portfolio.data.finance
        fin = f.attempt(lambda: read_finance(fin_path))
        if fin is not None:
            f.found.append(f"finance {fin_path}: {len(fin)} rows")
    return persons


@dataclass
class _Classified:
    """The extract, its classification and its status per month rule (computed once per rule, as a run does)."""

    spells: Spells
    classification: pd.DataFrame
    frequency: Frequency
    status: dict[str, Status]

    def status_for(self, case: CaseConfig) -> Status:
        """The status a case's cohort is built on (its month rule matters only for weeks rolled up to months)."""
        rule = case.month_rule if self.spells.frequency != self.frequency else "any"
        if rule not in self.status:
            self.status[rule] = spell_status(self.spells, self.classification, self.frequency, rule)
        return self.status[rule]


def _check_clock(
    f: _Findings, portfolio: Portfolio, spells: Spells, members: pd.DataFrame | None, clock: RunClock | None
) -> _Classified | None:
    """Classify the extract (unknown codes are a problem) and check that it reaches the cut-off."""
    classification = f.attempt(lambda: read_classification(portfolio.data.classification))
    if classification is None:
        return None
    freq = members.attrs["frequency"] if members is not None else spells.frequency
    st = f.attempt(lambda: spell_status(spells, classification, freq))
    if st is None:
        return None
    classified = _Classified(spells, classification, freq, {"any": st})
    if clock is None or not st.period.size:
        return classified
    last = int(st.period.max())
    f.found.append(f"as-of {clock.as_of_label}: cut-off {clock.cutoff_label} (extract ends {month_label(last)})")
    if not f.passes(lambda: refuse_short_extract(spells.source, last, clock)):
        return None  # no cohort can be built to that cut-off
    return classified


def _check_entries(f: _Findings, case: CaseConfig, cm: pd.DataFrame, members: pd.DataFrame, clock: RunClock) -> None:
    """Entries after the cut-off (rows named), or a cut-off before every entry of the case (said as such)."""
    entry = cm["entry_period"].to_numpy()
    if entry.size and (entry > clock.cutoff).all():
        msrc = members.attrs.get("source", "memberships")
        f.problems.append(
            f"{msrc}: case {case.id!r}: the cut-off {clock.describe()} is before every entry of the case "
            f"(the first is {period_label(int(entry.min()), clock.frequency)}); run a later as-of month."
        )
        return
    f.attempt(lambda: refuse_late_entries(cm, members, case.id, clock))


def _check_cohort(
    f: _Findings, case: CaseConfig, members: pd.DataFrame, classified: _Classified, clock: RunClock
) -> None:
    """Build the case's cohort as the run would and refuse a group left empty by the exclusions at entry.

    A member is excluded at entry when they have no spell data or are censored
    at entry (e.g. not on support in the entry month, or the extract ends
    there); a group can be non-empty in the memberships and empty after that.
    """
    cohort = f.attempt(
        lambda: build_cohort(
            classified.spells,
            members,
            case_id=case.id,
            as_of=clock,
            durable_exit=case.durable_exit,
            classification=classified.classification,
            comparison=case.comparison,
            curve=case.curve,
            month_rule=case.month_rule,
            status=classified.status_for(case),
        )
    )
    if cohort is not None:
        stats = case_statistics(cohort)
        persons = {g: stats.persons(g) for g in ("comparison", "intervention")}
        f.attempt(lambda: refuse_empty_groups(case.id, persons, "the exclusions (no spell data, censored at entry)"))


def _check_case(
    f: _Findings,
    portfolio: Portfolio,
    case: CaseConfig,
    members: pd.DataFrame,
    spells: Spells | None,
    persons: pd.DataFrame | None,
    clock: RunClock | None,
    classified: _Classified | None = None,
) -> None:
    """The run's checks of one survival case's members (see :func:`validate`); counts, never ids."""
    picked = f.attempt(lambda: case_members(members, case.id, case.comparison))
    if picked is None:
        return
    cm = picked[0]
    before = len(f.problems)
    if clock is not None:
        _check_entries(f, case, cm, members, clock)
    groups = cm["group"].to_numpy()
    ids = cm["person_id"].to_numpy(dtype=str)
    n_c, n_i = int((groups == "comparison").sum()), int((groups == "intervention").sum())
    note = ""
    if spells is not None:
        no_spells = ~np.isin(ids, spells.frame["person_id"].to_numpy(dtype=str))
        sources = (str(members.attrs.get("source", portfolio.data.memberships)), spells.source)
        f.attempt(lambda: refuse_unfollowed(cm, no_spells, spells.frame["person_id"], case.id, sources))
        missing = int(no_spells.sum())
        note = f", {f.count(missing)} without spell data (will be excluded and counted)" if missing else ""
    if classified is not None and clock is not None and len(f.problems) == before:
        _check_cohort(f, case, members, classified, clock)
    if persons is not None:
        unknown = int((~np.isin(ids, persons["person_id"].to_numpy(dtype=str))).sum())
        if unknown:
            note += f", {f.count(unknown)} not in the person table (age and sex 'unknown', counted)"
    in_case = members["case_id"] == case.id
    n_t = int((in_case & (members["group"] == "target")).sum())
    f.found.append(
        f"case {case.id}: {f.count(n_t)} target and {f.count(n_i)} intervention members, "
        f"{f.count(n_c)} in the comparison group ({case.comparison}){note}"
    )
