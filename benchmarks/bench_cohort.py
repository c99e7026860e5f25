"""Benchmark: building a cohort from ~10^8 long person-month rows.

Usage::

    python benchmarks/bench_cohort.py                       # 2.5 million persons, ~10^8 rows
    python benchmarks/bench_cohort.py --persons 200000      # quick run

Steps
-----
1. Generate a single-case synthetic extract with
   ``survival_invest.synthetic.extracts.simulate_large`` (seeded) and save it as
   Parquet (person id int64, month number int64, benefit code dictionary-encoded)
   plus the memberships as Parquet. Not timed.
2. In a fresh Python process (so its peak memory is its own): read both files
   with pandas/pyarrow (timed separately), then time
   ``survival_invest.build_cohort`` and, for reference, fitting both curves from
   ``cohort.persons``. Peak memory is the process's maximum resident set size
   (``resource.getrusage(RUSAGE_SELF).ru_maxrss``), which covers numpy and
   pandas buffers alike; the baseline after imports is printed too.

Targets (issue 3, information only, never asserted): under 60 s and under 8 GB
for 10^8 rows on the 2-core, 24 GB development machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path


def generate(out: Path, persons: int, seed: int) -> None:
    from survival_invest.io.periods import month_label
    from survival_invest.synthetic.extracts import simulate_large

    t0 = time.perf_counter()
    spells, members = simulate_large(persons, seed=seed)
    spells.frame.to_parquet(out / "spells.parquet", index=False)
    members = members.drop(columns=["row"]).assign(entry_period=month_label(members["entry_period"].to_numpy()))
    members.to_parquet(out / "memberships.parquet", index=False)
    meta = {"persons": persons, "rows": len(spells.frame), "seed": seed, "generate_s": time.perf_counter() - t0}
    (out / "meta.json").write_text(json.dumps(meta))
    del spells, members


def _reset_peak() -> None:
    """Reset the kernel's high-water mark of this process (Linux ``clear_refs`` 5).

    Needed because ``ru_maxrss`` survives ``fork`` + ``exec``: a child started by a
    big parent would report the parent's peak.
    """
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")


def _peak_gb() -> float:
    """Peak resident memory since the last reset (``VmHWM``), in GB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024 / 1e9
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def measure(out: Path) -> dict:
    import pandas as pd

    import survival_invest as si
    from survival_invest.io.readers import Spells, memberships_from_frame

    _reset_peak()
    base = _peak_gb()
    t0 = time.perf_counter()
    frame = pd.read_parquet(out / "spells.parquet")
    members = memberships_from_frame(pd.read_parquet(out / "memberships.parquet").astype({"person_id": str}))
    spells = Spells(frame, "month", str(out / "spells.parquet"))
    import pyarrow as pa

    pa.default_memory_pool().release_unused()  # Arrow's read buffers, no longer referenced
    t_read = time.perf_counter() - t0
    peak_read = _peak_gb()
    _reset_peak()
    loaded = _peak_gb()
    t0 = time.perf_counter()
    cohort = si.build_cohort(spells, members, case_id="1", as_of="2024-06")
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    curves = cohort.curves()
    area = curves.area_between("comparison", "intervention", 36).iloc[0]
    t_fit = time.perf_counter() - t0
    peak = _peak_gb()
    return {
        "peak_read_gb": peak_read,
        "loaded_gb": loaded,
        "rows": len(frame),
        "persons": int(cohort.summary.loc["memberships", "all"]),
        "read_s": t_read,
        "build_s": t_build,
        "fit_s": t_fit,
        "rows_per_s": len(frame) / t_build,
        "peak_gb": peak,
        "baseline_gb": base,
        "area_36": float(area["value"]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--persons", type=int, default=2_500_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/survival_invest_bench_cohort"))
    parser.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    out = args.dir / f"p{args.persons}_s{args.seed}"
    if args.measure_only:
        print(json.dumps(measure(out)))
        return 0
    out.mkdir(parents=True, exist_ok=True)
    if not (out / "meta.json").exists():
        print(f"generating {args.persons:,} persons in {out} ...", flush=True)
        generate(out, args.persons, args.seed)
    meta = json.loads((out / "meta.json").read_text())
    res = subprocess.run(
        [
            sys.executable,
            __file__,
            "--persons",
            str(args.persons),
            "--seed",
            str(args.seed),
            "--dir",
            str(args.dir),
            "--measure-only",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ},
    )
    r = json.loads(res.stdout.strip().splitlines()[-1])
    print(
        f"rows (person-months):  {r['rows']:,}  ({meta['persons']:,} persons; generated in {meta['generate_s']:.1f} s)"
    )
    print(f"read Parquet:          {r['read_s']:.1f} s")
    print(f"build_cohort:          {r['build_s']:.1f} s  ({r['rows_per_s'] / 1e6:.2f} million rows/s)")
    print(f"fit both curves:       {r['fit_s']:.2f} s   (area to 36: {r['area_36']:.3f} months)")
    print(
        f"peak memory (RSS):     {r['peak_gb']:.2f} GB during build_cohort and curves, with the extract loaded "
        f"({r['loaded_gb']:.2f} GB resident before; reading peaked at {r['peak_read_gb']:.2f} GB; "
        f"{r['baseline_gb']:.2f} GB after imports)"
    )
    ok_t = r["build_s"] < 60
    ok_m = r["peak_gb"] < 8
    print(f"targets: build < 60 s {'met' if ok_t else 'NOT met'}; peak < 8 GB {'met' if ok_m else 'NOT met'}")
    print("| rows | persons | read Parquet | build_cohort | rows/s | fit curves | peak RSS |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {r['rows']:,} | {r['persons']:,} | {r['read_s']:.1f} s | {r['build_s']:.1f} s | "
        f"{r['rows_per_s'] / 1e6:.2f} M | {r['fit_s']:.2f} s | {r['peak_gb']:.2f} GB |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
