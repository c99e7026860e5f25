"""Simulation study: naive, IPW, g-formula and AIPW months saved under right and wrong models.

Usage::

    nice .venv/bin/python benchmarks/adjusted_study.py [--reps 200] [--n 4000] [--out benchmarks/adjusted_study.csv]

For each scenario of :func:`survival_invest.synthetic.adjustment.simulate_adjustment`
(``correct``, ``wrong_propensity``, ``wrong_outcome``) and each replicate
(seed = replicate number), the months saved to 36 months (ATT) are estimated

* ``naive``: Kaplan-Meier of the two groups as they are (``area_between``, Greenwood SE);
* ``ipw``, ``gformula``, ``aipw``: :func:`survival_invest.adjust.adjusted.adjusted_curves`
  with the five covariates entered linearly, influence-function SEs and 95 % Wald intervals.

The truth is :func:`~survival_invest.synthetic.adjustment.true_adjusted` (10^6
Monte Carlo draws of the covariates, the curves given them exact). The script
writes one row per replicate and method (``--out``) and prints the summary
table of ``docs/comparisons.md``: mean estimate, bias, empirical SD, mean SE
and the coverage of the 95 % interval, with the Monte Carlo SE of the bias
(``SD / sqrt(reps)``) and of the coverage (``sqrt(c (1 - c) / reps)``).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

import survival_invest as si
from survival_invest.adjust.adjusted import adjusted_curves
from survival_invest.synthetic.adjustment import COVARIATES, SCENARIOS, simulate_adjustment, true_adjusted

TAU = 36
METHODS = ("naive", "ipw", "gformula", "aipw")


def one_replicate(scenario: str, seed: int, n: int) -> list[dict[str, object]]:
    """Every method's estimate, SE and interval on one seeded data set."""
    persons = simulate_adjustment(n, seed=seed, scenario=scenario)
    rows: list[dict[str, object]] = []
    km = si.kaplan_meier_by(persons["duration"], persons["event"], persons["group"])
    a = km.area_between("comparison", "intervention", TAU).iloc[0]
    rows.append({"method": "naive", "value": a["value"], "se": a["se"], "lower": a["lower"], "upper": a["upper"]})
    for method in METHODS[1:]:
        fit = adjusted_curves(persons, list(COVARIATES), method=method, tau=TAU)  # type: ignore[arg-type]
        e = fit.area
        rows.append({"method": method, "value": e.value, "se": e.se, "lower": e.lower, "upper": e.upper})
    for r in rows:
        r.update(scenario=scenario, seed=seed, n=n)
    return rows


def summary(results: pd.DataFrame, truths: dict[str, float]) -> pd.DataFrame:
    """Bias, SD, mean SE and coverage per scenario and method (with Monte Carlo SEs)."""
    res = results.assign(truth=results["scenario"].map(truths))
    res["covered"] = (res["lower"] <= res["truth"]) & (res["truth"] <= res["upper"])
    g = res.groupby(["scenario", "method"], sort=False)
    out = g.agg(
        reps=("value", "size"),
        truth=("truth", "first"),
        mean=("value", "mean"),
        sd=("value", "std"),
        mean_se=("se", "mean"),
        coverage=("covered", "mean"),
    ).reset_index()
    out["bias"] = out["mean"] - out["truth"]
    out["bias_mcse"] = out["sd"] / np.sqrt(out["reps"])
    out["coverage_mcse"] = np.sqrt(out["coverage"] * (1 - out["coverage"]) / out["reps"])
    return out[
        [
            "scenario",
            "method",
            "reps",
            "truth",
            "mean",
            "bias",
            "bias_mcse",
            "sd",
            "mean_se",
            "coverage",
            "coverage_mcse",
        ]
    ]


def markdown(table: pd.DataFrame) -> str:
    """The summary as the Markdown table of ``docs/comparisons.md``."""
    lines = [
        "| scenario | method | truth | bias (MC SE) | SD | mean SE | coverage of 95 % CI (MC SE) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in table.itertuples():
        lines.append(
            f"| {r.scenario} | {r.method} | {r.truth:.3f} | {r.bias:+.3f} ({r.bias_mcse:.3f}) | {r.sd:.3f} | "
            f"{r.mean_se:.3f} | {100 * r.coverage:.1f} % ({100 * r.coverage_mcse:.1f}) |"
        )
    return "\n".join(lines)


def main() -> None:
    """Run the study (all scenarios, ``--reps`` replicates each) and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/adjusted_study.csv"))
    args = ap.parse_args()
    truths = {sc: true_adjusted(sc, TAU, n_mc=1_000_000).area for sc in SCENARIOS}
    rows: list[dict[str, object]] = []
    t0 = time.perf_counter()
    for scenario in SCENARIOS:
        for seed in range(args.reps):  # one data set per replicate
            rows.extend(one_replicate(scenario, seed, args.n))
        pd.DataFrame(rows).to_csv(args.out, index=False)
        print(f"{scenario}: done after {time.perf_counter() - t0:.0f} s", flush=True)
    table = summary(pd.DataFrame(rows), truths)
    print(table.to_string(index=False))
    print()
    print(markdown(table))


if __name__ == "__main__":
    main()
