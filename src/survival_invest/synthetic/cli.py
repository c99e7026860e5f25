"""Regenerate the bundled synthetic data (``make synthetic``), byte-identically for a seed."""

from __future__ import annotations

import argparse
import json
import tomllib
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from survival_invest._atomic import write_text
from survival_invest.synthetic.adjusted_case import adjusted_case
from survival_invest.synthetic.extracts import NORDDJURS_CASES, dream_wide, simulate_portfolio
from survival_invest.synthetic.payments import finance_extract, payment_file
from survival_invest.synthetic.simple import write_demo_data

__all__ = [
    "ADJUSTED_CASE",
    "PARTIAL_MONTHS",
    "add_adjusted_case",
    "main",
    "person_table",
    "template_budget",
    "write_portfolio",
    "write_synthetic_portfolio",
]

#: Share of spell starts and ends that fall mid-month in the weekly DREAM file (:func:`dream_wide`).
PARTIAL_MONTHS = 0.5


def write_portfolio(out: Path, *, seed: int = 20200101, as_of: str = "2022-06", data_lag: int = 2) -> list[Path]:
    """Write the Norddjurs-shaped synthetic portfolio to ``out``.

    Files: ``spells_monthly.csv`` (long, monthly), ``dream_weekly.csv`` (wide
    DREAM, weekly, with partly supported months: :data:`PARTIAL_MONTHS`), ``memberships.csv``, ``persons.csv`` (person covariate
    table, see :func:`person_table`), ``truth.json`` (settings and per-case
    true RMST and areas) and ``truth_curves.csv`` (true S(t)). Byte-identical
    for the same arguments.

    Parameters
    ----------
    out : Path
        Folder (created if missing).
    seed : int
        Seed of the simulation (:func:`~survival_invest.synthetic.extracts.simulate_portfolio`).
    as_of : str
        Month of the run (``YYYY-MM``); the extract ends at ``as_of - data_lag``.
    data_lag : int
        Months of data lag.

    Returns
    -------
    list of Path
        The files written.
    """
    out.mkdir(parents=True, exist_ok=True)
    spells, members, truth = simulate_portfolio(NORDDJURS_CASES, as_of=as_of, data_lag=data_lag, seed=seed)
    files = {
        "spells_monthly.csv": spells.to_csv(index=False, lineterminator="\n"),
        "dream_weekly.csv": dream_wide(spells, partial=PARTIAL_MONTHS, seed=seed).to_csv(
            index=False, lineterminator="\n"
        ),
        "memberships.csv": members.to_csv(index=False, lineterminator="\n"),
        "persons.csv": person_table(members["person_id"], seed=seed).to_csv(index=False, lineterminator="\n"),
        "truth_curves.csv": truth.curves(48).to_csv(index=False, lineterminator="\n", float_format="%.12g"),
    }
    meta = truth.to_dict()
    meta["effects"] = truth.effects().round(12).to_dict(orient="records")
    files["truth.json"] = json.dumps(meta, indent=2, sort_keys=True) + "\n"
    paths = []
    for name, text in files.items():
        write_text(out / name, text)
        paths.append(out / name)
    return paths


def person_table(person_ids: pd.Series, *, seed: int) -> pd.DataFrame:
    """A person covariate table for the synthetic persons: ``person_id, birth_date, sex``.

    Ages 18-60 at 2020-01-01 (uniform) and sex (half ``F``, half ``M``), drawn
    from their own random stream (``default_rng([seed, 1])``) so that the other
    files of the portfolio do not change; independent of exits and selection.
    """
    ids = np.unique(np.asarray(person_ids, dtype=str))
    rng = np.random.default_rng([seed, 1])
    age_days = np.round(rng.uniform(18, 60, ids.shape[0]) * 365.25).astype("timedelta64[D]")
    birth = np.datetime64("2020-01-01") - age_days
    return pd.DataFrame(
        {
            "person_id": ids,
            "birth_date": pd.DatetimeIndex(birth).strftime("%Y-%m-%d"),
            "sex": np.where(rng.random(ids.shape[0]) < 0.5, "F", "M"),
        }
    )


def write_synthetic_portfolio(out: Path, *, seed: int = 20200101, demo: bool = False) -> Path:
    """Write the synthetic portfolio and a ready config (``portfolio.toml``) to ``out``; return the config path.

    The extract ends 2022-05 so that as-of months 2022-06 and 2022-07 (data lag 2)
    both have complete data; the config is the Norddjurs example pointing at the files.
    Besides :func:`write_portfolio`'s files: ``payments.csv`` (the national payment
    file of the simulated support months) and ``finance.csv`` (realised investment),
    see :mod:`survival_invest.synthetic.payments`. With ``demo=True`` (``synth --demo``,
    what ``make demo`` shows) the config also names the person table, case 1 has
    ``destinations = true`` and case 6, confounded by age, is adjusted for it
    (:func:`add_adjusted_case`); both need the in-memory engine, so the plain
    portfolio (the default) stays runnable on every engine.

    Parameters
    ----------
    out : Path
        Folder (created if missing).
    seed : int
        Seed of every random stream.
    demo : bool
        Add the demo's destinations and adjusted case (above).

    Returns
    -------
    Path
        The config written (``out / "portfolio.toml"``).
    """
    out = Path(out)
    write_portfolio(out, seed=seed, as_of="2022-07", data_lag=2)
    template = (resources.files("survival_invest") / "data" / "portfolio_template.toml").read_text(encoding="utf-8")
    spells = pd.read_csv(out / "spells_monthly.csv", dtype=str, keep_default_na=False)
    payments = payment_file(spells, seed=seed)
    write_text(out / "payments.csv", payments.to_csv(sep=";", index=False, lineterminator="\n"))
    finance = finance_extract(template_budget(template), last_year=2022, last_month=5, seed=seed)
    write_text(out / "finance.csv", finance.to_csv(index=False, lineterminator="\n"))
    config = out / "portfolio.toml"
    if demo:
        add_adjusted_case(out, seed=seed)
        template = template.replace('payments = "payments.csv"', 'payments = "payments.csv"' + _PERSONS, 1)
        template = template.replace("# destinations = true  ", "destinations = true    ", 1) + ADJUSTED_CASE
    write_text(config, template)
    return config


#: The person table's line in the demo's ``[data]`` (the adjusted case's covariates age and sex come from it).
_PERSONS = '\npersons = "persons.csv"       # person table (birth date, sex): the covariates of case 6'

#: The demo's case 6 (synth only, not the template of ``init``): the case confounded by age, adjusted for it.
ADJUSTED_CASE = """
[[case]]
id = "6"
name = "Eksempel: justeret sammenligning (syntetisk sag, deltagere udvalgt efter alder)"
method = "survival"
comparison = "adjusted"     # the non-participants, adjusted for covariates (docs/comparisons.md)
adjust = { method = "aipw", covariates = ["age", "sex"], estimand = "att" }
curve = "first_exit"
horizon = 24
cost_per_fte = 165000
years = [2020, 2021, 2022]
budget_investment = [1.000, 1.000, 1.000]
budget_savings = [-1.000, -3.000, -2.000]
"""


def add_adjusted_case(out: Path, *, seed: int) -> None:
    """Append the demo's case 6 (:func:`~survival_invest.synthetic.adjusted_case.adjusted_case`) to the files in ``out``.

    Its persons have their own ids and random streams, so the rows of cases 1-5 are unchanged; its spells go
    into ``spells_monthly.csv`` only (not the weekly DREAM file) and its payment lines (stream ``seed + 16``)
    are appended to ``payments.csv`` (an adjusted case's realised savings use the cost per full-time person,
    so they are not used); its realised investment is the budget's (to May 2022).
    """
    case = adjusted_case(seed=seed, case_id="6", n=600, cutoff="2022-05")
    for name, frame in (("spells_monthly.csv", case.spells), ("memberships.csv", case.memberships)):
        old = pd.read_csv(out / name, dtype=str, keep_default_na=False)
        text = pd.concat([old, frame.astype(str)], ignore_index=True).to_csv(index=False, lineterminator="\n")
        write_text(out / name, text)
    pay = payment_file(case.spells, seed=seed + 16).to_csv(sep=";", index=False, header=False, lineterminator="\n")
    write_text(out / "payments.csv", (out / "payments.csv").read_text(encoding="utf-8") + pay)
    persons = pd.read_csv(out / "persons.csv", dtype=str, keep_default_na=False)
    write_text(out / "persons.csv", pd.concat([persons, case.persons]).to_csv(index=False, lineterminator="\n"))
    finance = pd.read_csv(out / "finance.csv", dtype=str, keep_default_na=False)
    extra = pd.DataFrame({"case_id": "6", "year": ["2020", "2021", "2022"], "investment_mkr": ["1.0", "1.0", "0.4167"]})
    write_text(out / "finance.csv", pd.concat([finance, extra]).to_csv(index=False, lineterminator="\n"))


def template_budget(template: str) -> pd.DataFrame:
    """The budgeted investment of every case of a portfolio TOML text: ``case_id, year, investment_mkr``."""
    cases = tomllib.loads(template).get("case", [])
    rows = [
        (str(c["id"]), int(y), float(inv))
        for c in cases  # a handful of cases
        for y, inv in zip(c["years"], c["budget_investment"], strict=True)
    ]
    return pd.DataFrame(rows, columns=["case_id", "year", "investment_mkr"])


def main(argv: list[str] | None = None) -> int:
    """``python -m survival_invest.synthetic --out DIR --seed N``: regenerate the bundled data."""
    parser = argparse.ArgumentParser(prog="python -m survival_invest.synthetic", description=main.__doc__)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=20200101)
    args = parser.parse_args(argv)
    for path in write_demo_data(args.out, args.seed) + write_portfolio(args.out, seed=args.seed):
        print(path)
    return 0
