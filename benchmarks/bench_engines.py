"""Benchmark: the in-memory, DuckDB and Spark engines on the same Parquet extract.

Usage::

    python benchmarks/bench_engines.py generate --rows 1e8 --out /tmp/bench_1e8
    python benchmarks/bench_engines.py measure --data /tmp/bench_1e8 --engine memory duckdb spark
    python benchmarks/bench_engines.py replicate --source /tmp/bench_1e8 --copies 10 --out /tmp/bench_1e9
    python benchmarks/bench_engines.py measure --data /tmp/bench_1e9 --engine duckdb --memory-limit 4GB
    python benchmarks/bench_engines.py measure --data /tmp/bench_3e6 --engine memory duckdb --cases 3

``generate`` writes the synthetic single-case extract of
``survival_invest.synthetic.extracts.simulate_large`` in parts of about
``--part-rows`` person-month rows (each part its own seed and persons, never
the whole extract in memory): ``spells/part-NNNN.parquet`` with
``person_id`` (int64), ``period`` (``YYYY-MM``) and ``benefit`` (code), and
``memberships.parquet``. Not timed.

``measure`` runs each engine in a fresh Python process and reports the wall
time of the whole aggregation (reading, cohort rules, the four aggregates of
``survival_invest.stats``), rows per second, and the peak resident memory of
the process *and its children* (Spark's JVM is a child), sampled every 0.2 s
from ``/proc``. The memory engine reads the Parquet parts with pyarrow, builds
the cohort and counts; DuckDB and Spark run ``engines.sql``. Numbers are
information, never asserted; they go in the README and ``docs/scaling.md``.
``--cases N`` repeats the memberships as N cases (the same persons in every
case), to see what a case costs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path


def generate(out: Path, rows: float, part_rows: float, seed: int) -> None:
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    from survival_invest.io.periods import month_label
    from survival_invest.synthetic.extracts import simulate_large

    (out / "spells").mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    total, part, offset = 0, 0, 0
    members = []
    rows_per_person = 41.0  # simulate_large with the default as-of: about 41 rows per person
    while total < rows:  # parts of ~part_rows rows, not persons
        want = min(part_rows, rows - total)
        persons = max(int(want / rows_per_person), 10)
        spells, mem = simulate_large(persons, seed=seed + part)
        f = spells.frame
        months = f["period"].to_numpy()
        uniq = np.unique(months)
        period = pd.Categorical.from_codes(np.searchsorted(uniq, months).astype(np.int32), categories=month_label(uniq))
        table = pa.table(
            {
                "person_id": pa.array(f["person_id"].to_numpy() + offset),
                "period": pa.DictionaryArray.from_pandas(pd.Series(period)),
                "benefit": pa.DictionaryArray.from_pandas(pd.Series(f["benefit"].astype(str).astype("category"))),
            }
        )
        pq.write_table(table, out / "spells" / f"part-{part:04d}.parquet", row_group_size=2_000_000)
        m = mem.drop(columns=["row"])
        m["person_id"] = (pd.to_numeric(m["person_id"]) + offset).astype("int64").astype(str)
        m["entry_period"] = month_label(m["entry_period"].to_numpy())
        members.append(m)
        rows_per_person = len(f) / persons
        total += len(f)
        offset += persons
        part += 1
        print(f"part {part}: {len(f):,} rows, total {total:,} ({time.perf_counter() - t0:.0f} s)", flush=True)
        del spells, f, table
    pd.concat(members, ignore_index=True).to_parquet(out / "memberships.parquet", index=False)
    meta = {"rows": total, "persons": offset, "parts": part, "seed": seed, "generate_s": time.perf_counter() - t0}
    (out / "meta.json").write_text(json.dumps(meta))
    print(json.dumps(meta))


def replicate(source: Path, out: Path, copies: int) -> None:
    """``copies`` copies of a generated extract with disjoint person ids, streamed by DuckDB (never in memory).

    Simulating 10^9 rows takes ~40 min on this machine; copies of a seeded
    10^8-row extract with shifted ids are the same kind of data for the
    engines (each copy is its own set of persons), written in minutes.
    """
    import duckdb

    meta = json.loads((source / "meta.json").read_text())
    shift = 10 ** len(str(meta["persons"]))
    (out / "spells").mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    t0 = time.perf_counter()
    parts = sorted((source / "spells").glob("*.parquet"))
    for c in range(copies):  # a handful of copies, each streamed part by part
        for p in parts:
            target = out / "spells" / f"copy{c:02d}-{p.name}"
            con.execute(
                f"COPY (SELECT person_id + {c * shift} AS person_id, period, benefit FROM read_parquet('{p}')) "
                f"TO '{target}' (FORMAT parquet, ROW_GROUP_SIZE 2000000)"
            ).fetchall()
        print(f"copy {c + 1}/{copies} ({time.perf_counter() - t0:.0f} s)", flush=True)
    con.execute(
        f'COPY (SELECT CAST(CAST(person_id AS BIGINT) + c * {shift} AS VARCHAR) AS person_id, case_id, "group", '
        f"entry_period FROM read_parquet('{source / 'memberships.parquet'}'), range({copies}) r(c)) "
        f"TO '{out / 'memberships.parquet'}' (FORMAT parquet)"
    ).fetchall()
    new = {
        "rows": meta["rows"] * copies,
        "persons": meta["persons"] * copies,
        "parts": len(parts) * copies,
        "seed": meta["seed"],
        "copies_of": str(source),
        "generate_s": time.perf_counter() - t0,
    }
    (out / "meta.json").write_text(json.dumps(new))
    print(json.dumps(new))


def _tree_rss_gb(root: int) -> float:
    """Resident memory of ``root`` and all its descendants (GB), from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as fh:
                parts = fh.read().rsplit(")", 1)[1].split()
            ppid, pages = int(parts[1]), int(parts[21])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(d))
        rss[int(d)] = pages
    total, stack = 0, [root]
    while stack:  # a process tree of a few processes
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total * os.sysconf("SC_PAGE_SIZE") / 1e9


class PeakSampler:
    def __init__(self) -> None:
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _tree_rss_gb(os.getpid()))
            self._stop.wait(0.2)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _tree_rss_gb(os.getpid()))


def _memberships(data: Path, cases: int):
    """The extract's memberships; with ``cases`` > 1 the same persons repeated as cases "1".."cases"."""
    import pandas as pd

    from survival_invest.io.readers import memberships_from_frame, read_memberships

    path = data / "memberships.parquet"
    if cases == 1:
        return read_memberships(path)
    raw = pd.read_parquet(path, dtype_backend="pyarrow")
    copies = [raw.assign(case_id=str(c + 1)) for c in range(cases)]  # a handful of cases
    return memberships_from_frame(pd.concat(copies, ignore_index=True), source=str(path))


def measure_one(data: Path, engine: str, memory_limit: str | None, threads: int | None, cases: int = 1) -> dict:
    import pandas as pd

    from survival_invest.engines.aggregates import CaseSpec, sql_aggregates
    from survival_invest.io.periods import RunClock
    from survival_invest.io.readers import default_classification
    from survival_invest.stats import normalise_aggregates

    meta = json.loads((data / "meta.json").read_text())
    cutoff = 2024 * 12 + 5  # simulate_large's as-of 2024-06, no lag
    base = _tree_rss_gb(os.getpid())
    with PeakSampler() as peak:
        t0 = time.perf_counter()
        n_members = 0
        case = [CaseSpec(str(c + 1), "non_participants", 1) for c in range(cases)]
        if engine == "memory":
            import survival_invest as si
            from survival_invest.io.readers import Spells
            from survival_invest.stats import cohort_aggregates

            frame = pd.read_parquet(data / "spells")  # dictionary columns arrive as categoricals
            from survival_invest.io.periods import parse_periods

            labels = (
                frame["period"]
                if isinstance(frame["period"].dtype, pd.CategoricalDtype)
                else frame["period"].astype("category")
            )
            nums, _, _ = parse_periods(pd.Series(labels.cat.categories))
            frame["period"] = nums[labels.cat.codes.to_numpy()]
            spells = Spells(frame, "month", str(data))
            t_read = time.perf_counter() - t0
            members = _memberships(data, cases)
            n_members = len(members)
            parts = [
                cohort_aggregates(
                    si.build_cohort(spells, members, case_id=c.case_id, as_of=cutoff, data_lag=0),
                    source_frequency="month",
                )
                for c in case
            ]  # a handful of cases
            agg = {k: pd.concat([p[k] for p in parts], ignore_index=True) for k in parts[0]}
        else:
            t_read = 0.0
            if engine == "duckdb":
                from survival_invest.engines.duckdb_engine import DuckDBBackend, DuckDBSettings

                backend = DuckDBBackend(data / "spells", DuckDBSettings(memory_limit, threads))
            else:
                from survival_invest.engines.spark_engine import SparkBackend

                # ~2 million rows per shuffle partition (the advice of docs/scaling.md); AQE coalesces small ones
                # the JVM wants "4g", not DuckDB's "4GB"
                heap = (memory_limit or "6g").lower().replace("gb", "g").replace("mb", "m")
                conf = {
                    "spark.driver.memory": heap,
                    "spark.sql.shuffle.partitions": str(max(8, meta["rows"] // 2_000_000)),
                }
                backend = SparkBackend(data / "spells", master=f"local[{threads or 2}]", conf=conf)
            try:
                # memberships passed unnamed, as portfolio_statistics does: freed once the engine has its copy
                raw, facts = sql_aggregates(
                    backend,
                    source=str(data),
                    memberships=_memberships(data, cases),
                    classification=default_classification(),
                    cases=case,
                    clock=RunClock(cutoff, 0, "month"),
                )
            finally:
                backend.close()
            agg = normalise_aggregates(raw)
            n_members = facts["memberships_rows"]
        seconds = time.perf_counter() - t0
    persons = int(agg["survival"][["events", "censored"]].to_numpy().sum())
    return {
        "engine": engine,
        "rows": meta["rows"],
        "cases": cases,
        "members": int(n_members),
        "persons_in_cohort": persons,
        "seconds": seconds,
        "read_s": t_read,
        "rows_per_s": meta["rows"] / seconds,
        "peak_gb": peak.peak,
        "baseline_gb": base,
        "checksum": int(agg["survival"]["events"].sum()) * 1_000_003 + int(agg["units"]["units"].sum()),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--rows", type=float, required=True)
    g.add_argument("--out", type=Path, required=True)
    g.add_argument("--part-rows", type=float, default=5e7)
    g.add_argument("--seed", type=int, default=1)
    r = sub.add_parser("replicate")
    r.add_argument("--source", type=Path, required=True)
    r.add_argument("--out", type=Path, required=True)
    r.add_argument("--copies", type=int, default=10)
    m = sub.add_parser("measure")
    m.add_argument("--data", type=Path, required=True)
    m.add_argument("--engine", nargs="+", default=["memory", "duckdb", "spark"])
    m.add_argument("--memory-limit", default=None, help="DuckDB memory_limit / Spark driver memory, e.g. 5GB")
    m.add_argument("--threads", type=int, default=None)
    m.add_argument("--cases", type=int, default=1, help="repeat the memberships as this many cases (cost per case)")
    m.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.cmd == "generate":
        generate(args.out, args.rows, args.part_rows, args.seed)
        return 0
    if args.cmd == "replicate":
        replicate(args.source, args.out, args.copies)
        return 0
    if args.one:
        print(
            "RESULT " + json.dumps(measure_one(args.data, args.engine[0], args.memory_limit, args.threads, args.cases)),
            flush=True,
        )
        return 0
    results = []
    for engine in args.engine:  # a fresh process per engine: its own peak memory and no warm caches
        cmd = [sys.executable, __file__, "measure", "--one", "--data", str(args.data), "--engine", engine]
        if args.memory_limit:
            cmd += ["--memory-limit", args.memory_limit]
        if args.threads:
            cmd += ["--threads", str(args.threads)]
        cmd += ["--cases", str(args.cases)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
        if proc.returncode or not line:
            print(
                f"{engine}: failed (exit code {proc.returncode}; -9 = killed, e.g. out of memory)\n{proc.stderr[-3000:]}",
                file=sys.stderr,
            )
            continue
        results.append(json.loads(line[0][7:]))
        print(json.dumps(results[-1]), flush=True)
    if results:
        print("\n| engine | rows | time (s) | rows/s | peak memory (GB) | same counts |")
        print("|---|---:|---:|---:|---:|---|")
        ref = results[0]["checksum"]
        for r in results:
            print(
                f"| {r['engine']} | {r['rows']:,} | {r['seconds']:.1f} | {r['rows_per_s']:,.0f} | "
                f"{r['peak_gb']:.2f} | {'yes' if r['checksum'] == ref else 'NO'} |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
