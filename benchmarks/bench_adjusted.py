"""Benchmark: adjusted curves (AIPW, g-formula, IPW) with 5 covariates, n persons x 36 months.

Usage::

    .venv/bin/python benchmarks/bench_adjusted.py [--sizes 10000 100000 1000000] [--out benchmarks/adjusted.csv]

Both the wall-clock ``seconds`` and the process's ``cpu_seconds`` are
recorded: on a machine shared with other work the wall clock measures the
neighbours as much as the code (the computation itself runs on one core,
see :mod:`survival_invest.adjust.adjusted`, "Speed"); so is the 1-minute load
average before and after each cell (``load_before``, ``load_after``). Cells
not re-run keep their rows in ``--out``.

Each cell runs in a fresh subprocess (so the peak resident memory, the
kernel's ``VmHWM`` read through ``resource.getrusage``, is that of one call),
on :func:`survival_invest.synthetic.adjustment.simulate_adjustment` data
(``"correct"`` scenario: 5 covariates, three of them continuous; generated in
the subprocess, not timed). Timed: ``adjusted_curves(persons, COVARIATES,
method=m, tau=36)`` -- every nuisance fit, the counterfactual curves, RMST,
months saved and the influence-function SEs with the nuisance terms.

The comparison is what lifelines users do for adjusted curves: a
``CoxPHFitter`` fitted on the comparison group with the five covariates, its
predicted survival curves for every participant averaged (the Cox g-formula
for the ATT; no standard error). lifelines runs at each size until a size
takes more than ``--lifelines-limit`` seconds (default 120); larger sizes are
then skipped ("the largest size it finishes"). Peak memory is the process's
``ru_maxrss`` minus its resident size before the call.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

CELL = r"""
import json, resource, sys, time
import numpy as np
from survival_invest.synthetic.adjustment import COVARIATES, simulate_adjustment
n, method = int(sys.argv[1]), sys.argv[2]
persons = simulate_adjustment(n, seed=1)
def rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) * 1024
before = rss()
with open("/proc/self/clear_refs", "w") as f:  # reset the high-water mark to the current size
    f.write("5")
t0, c0 = time.perf_counter(), time.process_time()
if method == "lifelines_cox":
    from lifelines import CoxPHFitter
    comp = persons[persons["group"] == "comparison"]
    treated = persons[persons["group"] == "intervention"]
    cph = CoxPHFitter().fit(comp[["duration", "event", *COVARIATES]], "duration", "event")
    curve = cph.predict_survival_function(treated[list(COVARIATES)], times=np.arange(36)).mean(axis=1)
    value = float("nan")
else:
    from survival_invest.adjust.adjusted import adjusted_curves
    value = adjusted_curves(persons, list(COVARIATES), method=method, tau=36).area.value
elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
with open("/proc/self/status") as f:
    hwm = [int(l.split()[1]) * 1024 for l in f if l.startswith("VmHWM")][0]
print(json.dumps({"n": n, "method": method, "seconds": elapsed, "cpu_seconds": cpu, "peak_extra_mb": (hwm - before) / 1e6, "area": value}))
"""


def run_cell(n: int, method: str, timeout: float) -> dict[str, object]:
    """One (size, method) cell in a fresh interpreter; a timeout is recorded as such."""
    t0, load_before = time.perf_counter(), os.getloadavg()[0]
    try:
        out = subprocess.run(
            [sys.executable, "-c", CELL, str(n), method], capture_output=True, text=True, timeout=timeout, check=True
        )
    except subprocess.TimeoutExpired:
        return {"n": n, "method": method, "seconds": float("nan"), "peak_extra_mb": float("nan"), "note": "timeout"}
    except subprocess.CalledProcessError as exc:
        return {
            "n": n,
            "method": method,
            "seconds": float("nan"),
            "peak_extra_mb": float("nan"),
            "note": exc.stderr[-300:],
        }
    row = json.loads(out.stdout.strip().splitlines()[-1])
    row["wall_with_setup"] = time.perf_counter() - t0
    row["load_before"], row["load_after"] = load_before, os.getloadavg()[0]  # 1-minute load average
    return row


def main() -> None:
    """Run the grid of sizes and methods and write the table (CSV) and print it."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--methods", nargs="+", default=["aipw", "gformula", "ipw", "lifelines_cox"])
    ap.add_argument("--lifelines-limit", type=float, default=120.0)
    ap.add_argument("--timeout", type=float, default=900.0)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/adjusted.csv"))
    args = ap.parse_args()
    rows = []
    lifelines_ok = True
    for n in args.sizes:
        for method in args.methods:
            if method == "lifelines_cox" and not lifelines_ok:
                rows.append({"n": n, "method": method, "note": "skipped: the previous size took too long"})
                continue
            row = run_cell(n, method, args.timeout)
            rows.append(row)
            print(json.dumps(row), flush=True)
            if method == "lifelines_cox" and not (float(str(row.get("seconds", "nan"))) <= args.lifelines_limit):
                lifelines_ok = False
    import pandas as pd

    table = pd.DataFrame(rows)
    if args.out.exists():  # keep the cells not re-run (e.g. ``--sizes 1000000 --methods aipw``)
        old = pd.read_csv(args.out, float_precision="round_trip")
        done = old.set_index(["n", "method"]).index.isin(table.set_index(["n", "method"]).index)
        table = pd.concat([old[~done], table], ignore_index=True).sort_values(["n", "method"], kind="stable")
    table.to_csv(args.out, index=False)
    print(table.to_string(index=False))


if __name__ == "__main__":
    main()
