"""Benchmark of ``survival-invest convert``: a generated wide DREAM CSV of N persons to long Parquet parts.

Two steps, each its own command so the conversion is measured in a fresh process:

    python benchmarks/bench_convert.py generate --persons 1000000 --out /tmp/dream_1e6.csv
    python benchmarks/bench_convert.py measure --data /tmp/dream_1e6.csv --out /tmp/dream_1e6_parts

``generate`` writes a ``;``-separated wide DREAM CSV (``PNR``, one ``y_YYWW``
column per ISO week from ``--first-year`` to 2023, and ``koen``/``alder``
background columns): each person has spells of support (codes 130-137)
alternating with spells off (blank cells), geometric lengths with means
``--on`` and ``--off`` weeks, so about ``on / (on + off)`` of the cells hold a
code. It writes a chunk of persons at a time with pyarrow's CSV writer.

``measure`` runs :func:`survival_invest.pipeline.convert.convert_dream` in this
process and prints wall time, persons and long rows per second, the parts
written and the peak resident memory of the process (``ru_maxrss``).
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from survival_invest.io.periods import parse_periods, week_label

CODES = np.array(["130", "131", "133", "135", "137"])


def _week_columns(first_year: int) -> list[str]:
    """``y_YYWW`` of every ISO week from ``first_year``-W01 to 2023-W52."""
    import pandas as pd

    (a,), _, _ = parse_periods(pd.Series([f"{first_year}-W01"]), "week")
    (b,), _, _ = parse_periods(pd.Series(["2023-W52"]), "week")
    return ["y_" + w[2:4] + w[6:8] for w in week_label(np.arange(a, b + 1))]


def _chunk(rng: np.random.Generator, start: int, n: int, weeks: int, on: float, off: float) -> pa.Table:
    """``n`` persons' rows: alternating support and blank spells (vectorised over persons and weeks)."""
    # state flips with probability 1/on (on -> off) or 1/off (off -> on) each week: a two-state Markov chain
    u = rng.random((n, weeks))
    state = np.empty((n, weeks), dtype=bool)
    state[:, 0] = rng.random(n) < on / (on + off)
    flip_on, flip_off = 1.0 / on, 1.0 / off
    for w in range(1, weeks):  # a loop over weeks (hundreds), vectorised over persons
        prev = state[:, w - 1]
        state[:, w] = np.where(prev, u[:, w] >= flip_on, u[:, w] < flip_off)
    code = CODES[rng.integers(0, len(CODES), n)]
    cells = np.where(state, code[:, None], "")
    columns = {"PNR": pa.array(np.char.zfill((start + np.arange(n)).astype(str), 10))}
    columns |= {"koen": pa.array(rng.integers(1, 3, n)), "alder": pa.array(rng.integers(16, 67, n))}
    return pa.table(columns | {f"w{j}": pa.array(cells[:, j]) for j in range(weeks)})


def generate(persons: int, out: Path, first_year: int, on: float, off: float, seed: int, chunk: int) -> None:
    """Write the wide CSV (see the module docstring)."""
    rng = np.random.default_rng(seed)
    names = _week_columns(first_year)
    header = ";".join(["PNR", "koen", "alder", *names]) + "\n"
    options = pacsv.WriteOptions(include_header=False, delimiter=";", quoting_style="none")
    start = time.perf_counter()
    with open(out, "wb") as fh:
        fh.write(header.encode())
        for lo in range(0, persons, chunk):  # chunks of persons
            table = _chunk(rng, lo, min(chunk, persons - lo), len(names), on, off)
            pacsv.write_csv(table, fh, write_options=options)
    size = out.stat().st_size
    print(json.dumps({"persons": persons, "weeks": len(names), "bytes": size, "seconds": time.perf_counter() - start}))


def measure(data: Path, out: Path, persons_per_part: int) -> None:
    """Convert ``data`` to ``out`` and print time, rates and peak memory as one JSON line."""
    from survival_invest.pipeline.convert import convert_dream

    start = time.perf_counter()
    done = convert_dream(data, out, persons_per_part=persons_per_part)
    seconds = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    on_disk = sum(p.stat().st_size for p in out.iterdir())
    print(
        json.dumps(
            {
                "input_bytes": data.stat().st_size,
                "persons": done.persons,
                "long_rows": done.rows,
                "parts": done.parts,
                "parquet_bytes": on_disk,
                "seconds": round(seconds, 1),
                "persons_per_s": round(done.persons / seconds),
                "rows_per_s": round(done.rows / seconds),
                "peak_rss_mb": round(peak_kb / 1024),
                "persons_per_part": persons_per_part,
            }
        )
    )


def main() -> None:
    """Parse the command line and run ``generate`` or ``measure``."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--persons", type=int, default=1_000_000)
    g.add_argument("--out", type=Path, required=True)
    g.add_argument("--first-year", type=int, default=2014)
    g.add_argument("--on", type=float, default=20.0, help="mean weeks of a support spell")
    g.add_argument("--off", type=float, default=60.0, help="mean weeks off support")
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--chunk", type=int, default=20_000)
    m = sub.add_parser("measure")
    m.add_argument("--data", type=Path, required=True)
    m.add_argument("--out", type=Path, required=True)
    m.add_argument("--persons-per-part", type=int, default=200_000)
    args = parser.parse_args()
    if args.cmd == "generate":
        generate(args.persons, args.out, args.first_year, args.on, args.off, args.seed, args.chunk)
    else:
        measure(args.data, args.out, args.persons_per_part)


if __name__ == "__main__":
    main()
