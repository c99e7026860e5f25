"""Check a portfolio's config and data without computing anything.

``validate(config_path, as_of=None)`` returns (what was found, every problem).
It does not stop at the first problem: each file and each case is checked on
its own, so one run lists everything to fix. It also says which engine a run
would use and why (a ``matched`` case needs the in-memory engine: with
``engine = "duckdb"`` that is a problem reported here, before any extract is
scanned by a run). No person id is printed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

from survival_invest.cohort import refuse_short_extract, spell_status
from survival_invest.config import Portfolio, load_config
from survival_invest.engines import engine_choice
from survival_invest.errors import SurvivalInvestError
from survival_invest.io import Spells, read_classification, read_memberships, read_persons, read_spells
from survival_invest.io.periods import RunClock, month_label
from survival_invest.io.readers import read_finance

__all__ = ["validate"]

T = TypeVar("T")


@dataclass
class _Findings:
    """What was found (one line per input and case) and every problem (one line each)."""

    found: list[str]
    problems: list[str]

    def attempt(self, read: Callable[[], T]) -> T | None:
        """Run one check; a package error becomes a problem line instead of stopping the others."""
        try:
            return read()
        except SurvivalInvestError as exc:
            self.problems.append(str(exc))
            return None


def validate(
    config_path: str | Path, *, as_of: str | None = None, engine: str | None = None
) -> tuple[list[str], list[str]]:
    """Check config and data; return (report lines, problems). Problems are one line each.

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
    f = _Findings([], [])
    portfolio = f.attempt(lambda: load_config(config_path))
    if portfolio is None:
        return f.found, f.problems
    run = portfolio.run
    f.found.append(
        f"config {portfolio.source}: {len(portfolio.cases)} cases "
        f"({', '.join(f'{c.id} {c.method}' for c in portfolio.cases)}), price level {run.price_level}, "
        f"data lag {run.data_lag} months, minimum {run.min_persons} persons"
    )
    choice = f.attempt(lambda: engine_choice(portfolio, engine))
    if choice is not None:
        f.found.append(f"engine {choice.name}: {choice.reason}")
    clock = f.attempt(lambda: _clock(as_of, portfolio)) if as_of is not None else None
    spells = f.attempt(lambda: read_spells(portfolio.data.spells, format=portfolio.data.spells_format))
    if spells is not None:
        d = spells.describe()
        f.found.append(
            f"spells {d['source']}: {d['persons']} persons, {d['rows']} rows, {d['codes']} codes, "
            f"{d['frequency']}s {d['first_period']} to {d['last_period']}"
        )
    members = f.attempt(lambda: read_memberships(portfolio.data.memberships))
    if members is not None:
        f.found.append(
            f"memberships {portfolio.data.memberships}: {len(members)} rows, "
            f"{members['person_id'].nunique()} persons, cases {sorted(members['case_id'].unique())}"
        )
    persons = _optional_inputs(f, portfolio)
    if spells is not None:
        _check_clock(f, portfolio, spells, members, clock)
    if members is not None:
        for case in portfolio.cases:  # a handful of cases
            if case.method == "survival":
                _check_case(f, portfolio, case.id, members, spells, persons)
    return f.found, f.problems


def _clock(as_of: str, portfolio: Portfolio) -> RunClock:
    try:
        return RunClock.parse(as_of, portfolio.run.data_lag, "month")
    except ValueError as exc:
        raise SurvivalInvestError(f"--as-of: {exc}") from exc


def _optional_inputs(f: _Findings, portfolio: Portfolio) -> pd.DataFrame | None:
    """The person table and the finance extract when the configuration names them."""
    persons = None
    if portfolio.data.persons:
        path = portfolio.data.persons
        persons = f.attempt(lambda: read_persons(path))
        if persons is not None:
            imputed = int(persons["birth_date_imputed"].sum())
            f.found.append(
                f"persons {path}: {len(persons)} persons"
                + (f", {imputed} birth dates from the year alone (1 July)" if imputed else "")
            )
    if portfolio.data.finance:
        fin_path = portfolio.data.finance
        fin = f.attempt(lambda: read_finance(fin_path))
        if fin is not None:
            f.found.append(f"finance {fin_path}: {len(fin)} rows")
    return persons


def _check_clock(
    f: _Findings, portfolio: Portfolio, spells: Spells, members: pd.DataFrame | None, clock: RunClock | None
) -> None:
    """Classify the extract (unknown codes are a problem) and check that it reaches the cut-off."""
    classification = f.attempt(lambda: read_classification(portfolio.data.classification))
    if classification is None:
        return
    freq = members.attrs["frequency"] if members is not None else spells.frequency
    st = f.attempt(lambda: spell_status(spells, classification, freq))
    if st is None or clock is None or not st.period.size:
        return
    last = int(st.period.max())
    f.found.append(f"as-of {clock.as_of_label}: cut-off {clock.cutoff_label} (extract ends {month_label(last)})")
    f.attempt(lambda: refuse_short_extract(spells.source, last, clock))


def _check_case(
    f: _Findings,
    portfolio: Portfolio,
    case_id: str,
    members: pd.DataFrame,
    spells: Spells | None,
    persons: pd.DataFrame | None,
) -> None:
    """Both groups present; members without spell data or absent from the person table (counted, not listed)."""
    rows = members[members["case_id"] == case_id]
    n_t = int((rows["group"] == "target").sum())
    n_i = int((rows["group"] == "intervention").sum())
    if n_t == 0 or n_i == 0:
        empty = " and ".join(g for g, n in (("target", n_t), ("intervention", n_i)) if n == 0)
        f.problems.append(f"case {case_id!r}: no {empty} members in {portfolio.data.memberships}")
        return
    ids = rows["person_id"].to_numpy(dtype=str)
    note = ""
    if spells is not None:
        missing = int((~np.isin(ids, spells.frame["person_id"].to_numpy(dtype=str))).sum())
        note = f", {missing} without spell data (will be excluded and counted)" if missing else ""
    if persons is not None:
        unknown = int((~np.isin(ids, persons["person_id"].to_numpy(dtype=str))).sum())
        if unknown:
            note += f", {unknown} not in the person table (age and sex 'unknown', counted)"
    f.found.append(f"case {case_id}: {n_t} target and {n_i} intervention members{note}")
