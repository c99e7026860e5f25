"""Check a portfolio's config and data without computing anything.

``validate(config_path, as_of=None)`` returns (what was found, every problem).
It does not stop at the first problem: each file and each case is checked on
its own, so one run lists everything to fix. No person id is printed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from survival_invest.cohort.status import spell_status
from survival_invest.config import load_config
from survival_invest.errors import SurvivalInvestError
from survival_invest.io.periods import month_label, parse_as_of
from survival_invest.io.readers import read_classification, read_finance, read_memberships, read_persons, read_spells

__all__ = ["validate"]


def validate(config_path: str | Path, *, as_of: str | None = None) -> tuple[list[str], list[str]]:
    """Check config and data; return (report lines, problems). Problems are one line each."""
    found: list[str] = []
    problems: list[str] = []
    try:
        portfolio = load_config(config_path)
    except SurvivalInvestError as exc:
        return found, [str(exc)]
    found.append(
        f"config {portfolio.source}: {len(portfolio.cases)} cases "
        f"({', '.join(f'{c.id} {c.method}' for c in portfolio.cases)}), price level {portfolio.run.price_level}, "
        f"data lag {portfolio.run.data_lag} months, minimum {portfolio.run.min_persons} persons"
    )
    spells = members = classification = None
    try:
        spells = read_spells(portfolio.data.spells, format=portfolio.data.spells_format)  # type: ignore[arg-type]
        d = spells.describe()
        found.append(
            f"spells {d['source']}: {d['persons']} persons, {d['rows']} rows, {d['codes']} codes, "
            f"{d['frequency']}s {d['first_period']} to {d['last_period']}"
        )
    except SurvivalInvestError as exc:
        problems.append(str(exc))
    try:
        members = read_memberships(portfolio.data.memberships)
        found.append(
            f"memberships {portfolio.data.memberships}: {len(members)} rows, "
            f"{members['person_id'].nunique()} persons, cases {sorted(members['case_id'].unique())}"
        )
    except SurvivalInvestError as exc:
        problems.append(str(exc))
    try:
        classification = read_classification(portfolio.data.classification)
    except SurvivalInvestError as exc:
        problems.append(str(exc))
    persons = None
    if portfolio.data.persons:
        try:
            persons = read_persons(portfolio.data.persons)
            imputed = int(persons["birth_date_imputed"].sum())
            found.append(
                f"persons {portfolio.data.persons}: {len(persons)} persons"
                + (f", {imputed} birth dates from the year alone (1 July)" if imputed else "")
            )
        except SurvivalInvestError as exc:
            problems.append(str(exc))
    if portfolio.data.finance:
        try:
            fin = read_finance(portfolio.data.finance)
            found.append(f"finance {portfolio.data.finance}: {len(fin)} rows")
        except SurvivalInvestError as exc:
            problems.append(str(exc))
    if spells is not None and classification is not None:
        try:
            freq = members.attrs["frequency"] if members is not None else spells.frequency
            st = spell_status(spells, classification, freq)
            last = int(st.period.max()) if st.period.size else None
            if as_of is not None and last is not None:
                cutoff = parse_as_of(as_of, "month") - portfolio.run.data_lag
                found.append(f"as-of {as_of}: cut-off {month_label(cutoff)} (extract ends {month_label(last)})")
                if cutoff > last:
                    problems.append(
                        f"{spells.source}: the extract ends {month_label(last)} but as-of {as_of} with a lag of "
                        f"{portfolio.run.data_lag} months gives the cut-off {month_label(cutoff)}"
                    )
        except (SurvivalInvestError, ValueError) as exc:
            problems.append(str(exc))
    if members is not None:
        for case in portfolio.cases:
            if case.method != "survival":
                continue
            rows = members[members["case_id"] == case.id]
            n_t = int((rows["group"] == "target").sum())
            n_i = int((rows["group"] == "intervention").sum())
            if n_t == 0 or n_i == 0:
                empty = " and ".join(g for g, n in (("target", n_t), ("intervention", n_i)) if n == 0)
                problems.append(f"case {case.id!r}: no {empty} members in {portfolio.data.memberships}")
            else:
                if spells is not None:
                    known = np.isin(
                        rows["person_id"].to_numpy(dtype=str), spells.frame["person_id"].to_numpy(dtype=str)
                    )
                    missing = int((~known).sum())
                    note = f", {missing} without spell data (will be excluded and counted)" if missing else ""
                else:
                    note = ""
                if persons is not None:
                    unknown = int(
                        (
                            ~np.isin(rows["person_id"].to_numpy(dtype=str), persons["person_id"].to_numpy(dtype=str))
                        ).sum()
                    )
                    if unknown:
                        note += f", {unknown} not in the person table (age and sex 'unknown', counted)"
                found.append(f"case {case.id}: {n_t} target and {n_i} intervention members{note}")
    return found, problems
