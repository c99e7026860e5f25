"""What each tail model forecasts beyond the data, against a known truth, and how often its interval covers it.

Usage::

    python benchmarks/tails.py                    # 1000 replicates, sizes x1 and x5 (under a minute)
    python benchmarks/tails.py --replicates 200   # quicker
    python benchmarks/tails.py --out rows.csv     # also the per-replicate figures

Design
------
One synthetic case with the first-exit hazards of the Norddjurs example's case 1
(:data:`survival_invest.synthetic.NORDDJURS_CASES`: comparison 0.04 / 0.03 / 0.02
and intervention 0.08 / 0.05 / 0.03 a month from durations 1 / 6 / 18), 240
comparison persons and 60 participants (``x1``; ``x5``: five times as many),
entering evenly over 12 months. The data are **cut 24 months after the first
entry**: the earliest entrants are followed 24 months, the latest 13, so each
group's last observed duration is 24 and the horizon of 36 months lies 12
months beyond the data. The truth to 36 months is the model's own curve
(``CaseSpec.survival``).

Two curve-based figures, each from Kaplan-Meier to each group's last observed
duration and the tail model beyond (:mod:`survival_invest.estimate.tails`):

* ``area36``: months saved per participant to 36, ``sum_{t<36} [S_c(t) - S_i(t)]``;
* ``fte_y3``: saved full-time persons in the third calendar year of an inflow of
  5 participants a month during the first year (the forecast's convolution,
  :func:`survival_invest.economics.forecast_weights`; durations 12-35, most of
  them beyond the data).

Columns: ``truth``; ``mean`` estimate; ``bias`` (mean - truth) split into the
``observed part`` (durations up to the last observed) and the ``tail part``
(the months the tail supplies); the **tail's own error** (``model error``: the
tail model fitted to the *true* hazards with all persons at risk, anchored at
the true curve, minus the truth: what the model would be wrong by with
unlimited data); ``sd`` of the estimates; mean delta-method ``se`` (Greenwood,
the last 12 observed months' terms at their pooled hazard, plus the tail's
parameters: :func:`~survival_invest.estimate.tails.extended_variance`, module
docstring *End of follow-up*) and its ``tail share`` of the variance; ``coverage`` of the 95 % interval with
its Monte-Carlo SE ``sqrt(p (1 - p) / R)``. ``none`` (no tail: the figure stops
at the last observed duration, 24) is shown for comparison: its "truth" is the
truth to 36, so its bias is the months it leaves out.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from survival_invest.estimate import kaplan_meier_from_counts
from survival_invest.estimate.tails import (
    ExtendedCurve,
    extend_curve,
    extended_variance,
    fit_tail,
    last_observed,
    monthly_counts,
)
from survival_invest.synthetic import NORDDJURS_CASES

H = 36
CUT = 24  # months of data after the first entry
ENTRY_MONTHS = 12
INFLOW = 5.0  # participants a month in the first year (fte_y3)
MODELS = ("none", "flat", "exponential", "weibull", "loglogistic")
SPEC = NORDDJURS_CASES[0]
GROUPS = ("comparison", "intervention")


def _weights() -> np.ndarray:
    """Rows: area36 (1 for t < 36) and fte_y3 (persons of the year-3 months at duration t, / 12)."""
    t = np.arange(H)
    months = np.arange(24, 36)  # the third calendar year
    entries = np.arange(ENTRY_MONTHS)
    w = ((months[:, None, None] - t[None, None, :]) == entries[None, :, None]).sum(axis=(0, 1)) * INFLOW / 12.0
    return np.stack([np.ones(H), w])


WEIGHTS = _weights()
FIGURES = ("area36", "fte_y3")


def _counts(rng: np.random.Generator, group: str, n: int) -> pd.DataFrame:
    """One group's exits and censorings per duration: exits from the true hazards, cut CUT months after the first entry."""
    s = SPEC.survival(group, 200)
    u = rng.random(n)
    exit_t = np.searchsorted(-s, -u, side="left")  # first t with S(t) < u: the exit duration (>= 1)
    entry = rng.integers(0, ENTRY_MONTHS, n)
    follow = CUT - entry  # last observed duration of each person
    d = np.minimum(exit_t, follow)
    event = exit_t <= follow
    events = np.bincount(d[event], minlength=CUT + 1)
    censored = np.bincount(d[~event], minlength=CUT + 1)
    return pd.DataFrame({"group": group, "t": np.arange(CUT + 1), "events": events, "censored": censored})


@dataclass
class _Curves:
    """One replicate's Kaplan-Meier grid and monthly counts (t, events, censored) of both groups."""

    survival: dict[str, np.ndarray]
    greenwood: dict[str, np.ndarray]
    tables: dict[str, pd.DataFrame]
    last: dict[str, int]


def _replicate(rng: np.random.Generator, scale: int) -> _Curves:
    sizes = {"comparison": (SPEC.n_target - SPEC.n_intervention) * scale, "intervention": SPEC.n_intervention * scale}
    counts = pd.concat([_counts(rng, g, sizes[g]) for g in GROUPS], ignore_index=True)
    km = kaplan_meier_from_counts(counts)
    grid = np.arange(H)
    s, v = km.survival_at(grid), km.greenwood_at(grid)
    out = _Curves({}, {}, {}, {})
    for k, g in enumerate(km.labels):
        out.survival[g], out.greenwood[g] = s[k], v[k]
        out.tables[g] = counts[counts["group"] == g]
        out.last[g] = last_observed(*(out.tables[g][c].to_numpy() for c in ("t", "events", "censored")))
    return out


def _extended(c: _Curves, group: str, model: str) -> ExtendedCurve:
    if model == "none":
        return extend_curve(c.survival[group], c.greenwood[group], None)
    t, d, n = monthly_counts(*(c.tables[group][k].to_numpy() for k in ("t", "events", "censored")))
    fit = fit_tail(t, d, n, model, last=c.last[group])
    return extend_curve(c.survival[group], c.greenwood[group], fit)


def _figures(c: _Curves, model: str) -> dict[str, np.ndarray]:
    """Estimate, variance, tail variance and the part from beyond the last observed duration, per figure."""
    cap = min(c.last.values())
    w = WEIGHTS.copy()
    if model == "none":
        w[:, cap:] = 0.0
    ec, ei = (_extended(c, g, model) for g in GROUPS)
    delta = ec.survival - ei.survival
    vc, tc = extended_variance(w, ec)
    vi, ti = extended_variance(w, ei)
    beyond = (ec.extrapolated | ei.extrapolated).astype(float)
    return {"est": w @ delta, "var": vc + vi, "tail_var": tc + ti, "tail_part": w @ (delta * beyond)}


def _model_error(model: str) -> np.ndarray:
    """The tail model fitted to the true hazards (all persons at risk), anchored at the true curve, minus the truth."""
    n = 1e6
    truth = {g: SPEC.survival(g, H - 1) for g in GROUPS}
    est = {}
    for g in GROUPS:
        s = truth[g]
        if model == "none":
            est[g] = np.where(np.arange(H) < CUT, s, np.nan)
            continue
        t = np.arange(1, CUT + 1)
        at_risk = n * s[t - 1]
        events = at_risk * SPEC.hazard(g, t)
        fit = fit_tail(t, events, at_risk, model, last=CUT)
        est[g] = extend_curve(s, np.zeros(H), fit).survival
    delta = est["comparison"] - est["intervention"]
    true_delta = truth["comparison"] - truth["intervention"]
    return np.nan_to_num(WEIGHTS * delta, nan=0.0).sum(axis=1) - WEIGHTS @ true_delta


def run(replicates: int, seed: int, scales: tuple[int, ...]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The summary table and the per-replicate rows."""
    truth = WEIGHTS @ (SPEC.survival("comparison", H - 1) - SPEC.survival("intervention", H - 1))
    rows = []
    for scale in scales:
        rng = np.random.default_rng([seed, scale])
        for r in range(replicates):  # replicates of the simulation, not persons
            curves = _replicate(rng, scale)
            for model in MODELS:
                f = _figures(curves, model)
                for k, name in enumerate(FIGURES):
                    rows.append(
                        {
                            "size": f"x{scale}",
                            "replicate": r,
                            "model": model,
                            "figure": name,
                            "truth": truth[k],
                            "estimate": f["est"][k],
                            "se": float(np.sqrt(max(f["var"][k], 0.0))),
                            "tail_var": f["tail_var"][k],
                            "tail_part": f["tail_part"][k],
                        }
                    )
    raw = pd.DataFrame(rows)
    return summarise(raw), raw


def summarise(raw: pd.DataFrame) -> pd.DataFrame:
    """One row per size, figure and model (columns: module docstring)."""
    z = 1.959963984540054
    out = []
    for (size, figure, model), g in raw.groupby(["size", "figure", "model"], sort=False):
        k = FIGURES.index(str(figure))
        err = g["estimate"] - g["truth"]
        cover = (np.abs(err) <= z * g["se"]).to_numpy()
        p, n = float(cover.mean()), len(g)
        out.append(
            {
                "size": size,
                "figure": figure,
                "model": model,
                "truth": g["truth"].iloc[0],
                "mean": g["estimate"].mean(),
                "bias": err.mean(),
                "observed part": err.mean() - g["tail_part"].mean() + _true_tail(k, model),
                "tail part": g["tail_part"].mean() - _true_tail(k, model),
                "model error": _model_error(str(model))[k],
                "sd": g["estimate"].std(ddof=1),
                "se": g["se"].mean(),
                "tail share of var": (g["tail_var"] / g["se"].pow(2)).mean(),
                "coverage": p,
                "mc se": np.sqrt(p * (1 - p) / n),
                "replicates": n,
            }
        )
    return pd.DataFrame(out)


def _true_tail(k: int, model: str) -> float:
    """The truth's part from durations beyond the last observed (CUT): what the tail part estimates."""
    true_delta = SPEC.survival("comparison", H - 1) - SPEC.survival("intervention", H - 1)
    beyond = np.arange(H) >= CUT if model == "none" else np.arange(H) > CUT  # none counts t < 24; tails start at 25
    return float(WEIGHTS[k] @ (true_delta * beyond))


def markdown(table: pd.DataFrame) -> str:
    """The summary as a Markdown table (3 decimals; coverage in % with its MC SE)."""
    head = "| size | figure | tail | truth | mean | bias | observed part | tail part | model error | sd | se | tail share of var | coverage |"
    lines = [head, "|" + "---|" * 13]
    for r in table.to_dict("records"):
        lines.append(
            f"| {r['size']} | {r['figure']} | {r['model']} | {r['truth']:.3f} | {r['mean']:.3f} | {r['bias']:+.3f} | "
            f"{r['observed part']:+.3f} | {r['tail part']:+.3f} | {r['model error']:+.3f} | {r['sd']:.3f} | "
            f"{r['se']:.3f} | {100 * r['tail share of var']:.0f} % | "
            f"{100 * r['coverage']:.1f} ± {100 * r['mc se']:.1f} % |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the study and print the table (``--out``: also the per-replicate rows as CSV)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 5])
    parser.add_argument("--out", type=str, default=None)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    table, raw = run(args.replicates, args.seed, tuple(args.sizes))
    if args.out:
        raw.to_csv(args.out, index=False)
    print(f"# Tail models against the truth to 36 months (data cut at {CUT} months), {args.replicates} replicates\n")
    print(f"Command: `python benchmarks/tails.py --replicates {args.replicates} --seed {args.seed}`\n")
    print(markdown(table))
    print(f"\n({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
