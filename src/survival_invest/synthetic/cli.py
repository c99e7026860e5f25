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
from survival_invest.synthetic.extracts import NORDDJURS_CASES, dream_wide, simulate_portfolio
from survival_invest.synthetic.payments import finance_extract, payment_file
from survival_invest.synthetic.simple import write_demo_data

__all__ = [
    "PARTIAL_MONTHS",
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


def write_synthetic_portfolio(out: Path, *, seed: int = 20200101) -> Path:
    """Write the synthetic portfolio and a ready config (``portfolio.toml``) to ``out``; return the config path.

    The extract ends 2022-05 so that as-of months 2022-06 and 2022-07 (data lag 2)
    both have complete data; the config is the Norddjurs example pointing at the files.
    Besides :func:`write_portfolio`'s files: ``payments.csv`` (the national payment
    file of the simulated support months) and ``finance.csv`` (realised investment),
    see :mod:`survival_invest.synthetic.payments`.
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
    write_text(config, template)
    return config


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
