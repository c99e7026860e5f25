"""Simulation study: naive, IPW, g-formula and AIPW months saved under right and wrong models.

Usage::

    nice .venv/bin/python benchmarks/adjusted_study.py [--reps 200] [--n 4000] [--out benchmarks/adjusted_study.csv]
        [--out-forecast benchmarks/adjusted_study_forecast.csv]

For each scenario of :func:`survival_invest.synthetic.adjustment.simulate_adjustment`
(``correct``, ``wrong_propensity``, ``wrong_outcome``) and each replicate
(seed = replicate number), the months saved to 36 months (ATT) are estimated

* ``naive``: Kaplan-Meier of the two groups as they are (``area_between``, Greenwood SE);
* ``ipw``, ``gformula``, ``aipw``: :func:`survival_invest.adjust.adjusted.adjusted_curves`
  with the five covariates entered linearly, influence-function SEs and 95 % Wald intervals.

A second, forecast-shaped figure per adjusted method (the shape of the
``comparison = "adjusted"`` case's forecast, ``pipeline.adjusted.adjusted_forecast``):
``fte = w @ (S_c - S_i) / 12`` with the fixed weights :data:`FORECAST_WEIGHTS`
of an inflow of 5 participants a month during months 0..11, evaluated in
calendar year 2 (months 12..23): ``w[t] = 5 x #{(e, m): e in 0..11, m in
12..23, m - e = t}`` for ``t < 36`` (``t = 1 .. 23``). Its SE is
``sqrt(sum_j (IF_j @ w)^2) / n / 12`` from the same influence matrices the
production path uses, its interval Wald; naive is not run for it.

The truth is :func:`~survival_invest.synthetic.adjustment.true_adjusted` (10^6
Monte Carlo draws of the covariates, the curves given them exact; the
forecast figure's truth is ``w @ (S_0 - S_1) / 12`` of its curves). The script
writes one row per replicate and method (``--out``: the area; ``--out-forecast``:
the forecast-shaped figure) and prints the summary tables of ``docs/comparisons.md``:
mean estimate, bias, empirical SD, mean SE and the coverage of the 95 % interval,
with the Monte Carlo SE of the bias (``SD / sqrt(reps)``) and of the coverage
(``sqrt(c (1 - c) / reps)``).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import norm

import survival_invest as si
from survival_invest.adjust.adjusted import AdjustedCurves, adjusted_curves
from survival_invest.errors import InputError
from survival_invest.synthetic.adjustment import COVARIATES, SCENARIOS, simulate_adjustment, true_adjusted

TAU = 36
METHODS = ("naive", "ipw", "gformula", "aipw")
ALPHA = 0.05


def forecast_weights(tau: int = TAU, per_month: float = 5.0) -> np.ndarray:
    """Person-months at each duration ``t < tau`` of calendar months 12..23 for an inflow in months 0..11.

    ``w[t] = per_month x`` the number of (entry month ``e`` in 0..11, calendar
    month ``m`` in 12..23) pairs with ``m - e = t``: 5 participants a month
    entering during the first year, their months in the second calendar year.
    """
    e, m = np.meshgrid(np.arange(12), np.arange(12, 24), indexing="ij")
    return per_month * np.bincount((m - e).ravel(), minlength=tau)[:tau].astype(np.float64)


#: The forecast-shaped figure's fixed weights (``forecast_weights()``; they sum to 720 person-months):
#: ``5 x [0, 1, 2, ..., 11, 12, 11, ..., 2, 1, 0, ..., 0]`` (the peak 60 at ``t = 12``, zero from ``t = 24``).
FORECAST_WEIGHTS = forecast_weights()


def forecast_figure(fit: AdjustedCurves, weights: np.ndarray = FORECAST_WEIGHTS) -> dict[str, float]:
    """``w @ (S_c - S_i) / 12`` with its influence-function SE and Wald interval.

    The SE is computed exactly as the production helper
    ``pipeline.adjusted._se`` does (private, so not imported):
    ``sqrt(sum_j (IF_j @ w)^2) / n`` with ``IF = IF_c - IF_i``, then / 12.
    """
    if fit.influence is None:
        raise InputError("adjusted curves without influence matrices: fit with keep_influence=True.")
    delta = fit.curve("comparison")["survival"].to_numpy() - fit.curve("intervention")["survival"].to_numpy()
    infl = fit.influence["comparison"] - fit.influence["intervention"]
    value = float(weights @ delta) / 12.0
    se = float(np.sqrt(((infl @ weights) ** 2).sum()) / infl.shape[0]) / 12.0
    z = float(norm.ppf(1 - ALPHA / 2))
    return {"value": value, "se": se, "lower": value - z * se, "upper": value + z * se}


def one_replicate(scenario: str, seed: int, n: int) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """Every method's area (estimate, SE, interval) and every adjusted method's forecast figure on one data set."""
    persons = simulate_adjustment(n, seed=seed, scenario=scenario)
    rows: list[dict[str, object]] = []
    fc_rows: list[dict[str, object]] = []
    km = si.kaplan_meier_by(persons["duration"], persons["event"], persons["group"])
    a = km.area_between("comparison", "intervention", TAU).iloc[0]
    rows.append({"method": "naive", "value": a["value"], "se": a["se"], "lower": a["lower"], "upper": a["upper"]})
    for method in METHODS[1:]:
        fit = adjusted_curves(
            persons,
            list(COVARIATES),
            method=method,  # type: ignore[arg-type]
            tau=TAU,
            alpha=ALPHA,
            keep_influence=True,
        )
        e = fit.area
        rows.append({"method": method, "value": e.value, "se": e.se, "lower": e.lower, "upper": e.upper})
        fc_rows.append({"method": method, **forecast_figure(fit)})
    for r in rows + fc_rows:
        r.update(scenario=scenario, seed=seed, n=n)
    return rows, fc_rows


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
    ap.add_argument("--out-forecast", type=Path, default=Path("benchmarks/adjusted_study_forecast.csv"))
    args = ap.parse_args()
    true = {sc: true_adjusted(sc, TAU, n_mc=1_000_000) for sc in SCENARIOS}
    truths = {sc: t.area for sc, t in true.items()}
    fc_truths = {sc: float(FORECAST_WEIGHTS @ (t.comparison - t.intervention)) / 12.0 for sc, t in true.items()}
    rows: list[dict[str, object]] = []
    fc_rows: list[dict[str, object]] = []
    t0 = time.perf_counter()
    for scenario in SCENARIOS:
        for seed in range(args.reps):  # one data set per replicate
            area, fc = one_replicate(scenario, seed, args.n)
            rows.extend(area)
            fc_rows.extend(fc)
        pd.DataFrame(rows).to_csv(args.out, index=False)
        pd.DataFrame(fc_rows).to_csv(args.out_forecast, index=False)
        print(f"{scenario}: done after {time.perf_counter() - t0:.0f} s", flush=True)
    for title, res, tr in (("months saved to 36", rows, truths), ("forecast-shaped figure", fc_rows, fc_truths)):
        table = summary(pd.DataFrame(res), tr)
        print(f"\n{title}\n")
        print(table.to_string(index=False))
        print()
        print(markdown(table))


if __name__ == "__main__":
    main()
