"""Benchmark: the production path as users run it, beside lean references doing the same work.

Usage::

    python benchmarks/bench_production.py generate --rows 1e7 --out /tmp/prod_1e7
    python benchmarks/bench_production.py run --data /tmp/prod_1e7 --engine memory duckdb --repeats 3
    python benchmarks/bench_production.py run --data /tmp/prod_1e7 --engine memory --cases 1 5 20

``generate`` writes the extract of ``bench_engines.py generate`` (Parquet
parts of ``simulate_large`` spells, int64 person ids, dictionary-encoded
periods and codes, and ``memberships.parquet``) and a ``portfolio.toml`` next
to it: one survival case (``non_participants``, ``durable_exit = 1``, as-of
2024-06 with no data lag), the shipped classification, costs and budgets.
``--cases N`` writes ``portfolio_N.toml`` and ``memberships_N.parquet``: the same
memberships repeated as cases ``"1".."N"`` (same persons in every case), for the
cost per additional case.

``run`` measures, each in a **fresh Python process** (its own peak memory, no
warm caches), repeated ``--repeats`` times, the paths interleaved in each round
so that a shared machine's drifting load falls on the engine and its reference
alike (the median is reported):

* ``memory`` / ``duckdb`` / ``spark``: the production path, ``load_config`` +
  ``run_portfolio(config, "2024-06", engine=...)`` from the files: the
  validating reader, the classification, the cohort rules, the four aggregates,
  curves, realised savings and the forecast, exactly what ``survival-invest run``
  computes before it writes the report. The import of the package is timed
  apart (``import_s``, about 1–2 s, the same for every size).
* ``lean-numpy``: a reference written here with pyarrow + numpy only (no
  pandas, no validation, no economics): reads the same Parquet files and
  computes the same four aggregates (survival, lengths, units, summary) for
  this extract's rules (monthly spells, ``non_participants``, the shipped
  classification, the 36-month / 12-month prior-support rule).
* ``lean-duckdb``: one DuckDB statement computing the survival table (one scan,
  a per-member ``GROUP BY`` with ``bitstring_agg`` for the first month off
  support, ``durable_exit = 1``).

Before anything is timed, ``run`` checks that the lean references give the
engines' tables **exactly** (``check``: ``lean-numpy`` against the in-memory
engine's aggregates for all four tables, ``lean-duckdb`` against the survival
table); a mismatch stops the benchmark. Peak memory is the resident memory of the
process and its children (Spark's JVM), sampled every 0.2 s from ``/proc``
(``bench_engines.PeakSampler``). Ratios are production / lean of the same run.
Numbers are information, never asserted; they go in the README and
``docs/scaling.md``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engines import PeakSampler
from bench_engines import generate as generate_extract

AS_OF = "2024-06"
CUTOFF = 2024 * 12 + 5  # AS_OF with data_lag = 0
LOOKBACK, RESET = 36, 12  # the monthly prior-support rule (cohort.rules.lookback_reset)

PORTFOLIO = """[run]
price_level = 2020
data_lag = 0
min_persons = 5
language = "en"

[run.price_index]
2020 = 100.0
2021 = 102.3
2022 = 107.9
2023 = 112.0
2024 = 115.0

[data]
spells = "spells"
spells_format = "long"
memberships = "{memberships}"
"""

CASE = """
[[case]]
id = "{id}"
name = "bench {id}"
method = "survival"
comparison = "non_participants"
curve = "first_exit"
durable_exit = 1
horizon = 36
cost_per_fte = {{ "*" = 165000 }}
cost_price_year = 2020
years = [2021, 2022, 2023, 2024]
budget_investment = [1.0, 1.0, 1.0, 1.0]
budget_savings = [-1.0, -1.0, -1.0, -1.0]
planned_inflow = [{{ start = "2021-01", end = "2021-12", per_month = 5 }}]
"""


def portfolio_file(data: Path, cases: int) -> Path:
    """``portfolio.toml`` (one case) or ``portfolio_N.toml`` with memberships repeated as N cases (written once)."""
    if cases == 1:
        path, members = data / "portfolio.toml", "memberships.parquet"
    else:
        path, members = data / f"portfolio_{cases}.toml", f"memberships_{cases}.parquet"
        if not (data / members).exists():
            import pyarrow as pa
            import pyarrow.parquet as pq

            m = pq.read_table(data / "memberships.parquet")
            copies = [
                m.set_column(m.schema.get_field_index("case_id"), "case_id", pa.array([str(c + 1)] * m.num_rows))
                for c in range(cases)
            ]  # a handful of cases
            pq.write_table(pa.concat_tables(copies), data / members)
    if not path.exists():
        text = PORTFOLIO.format(memberships=members) + "".join(CASE.format(id=c + 1) for c in range(cases))
        path.write_text(text)
    return path


# ----------------------------------------------------------------------------- lean numpy reference


def _first_per_run(key: np.ndarray, values: np.ndarray, n: int, fill: int, last: bool = False) -> np.ndarray:
    """First (or last) ``values`` per run of equal sorted ``key``; ``fill`` for keys without a row."""
    out = np.full(n, fill, dtype=np.int64)
    if key.size:
        edge = np.flatnonzero(key[1:] != key[:-1])
        pos = np.append(edge, key.size - 1) if last else np.concatenate([[0], edge + 1])
        out[key[pos]] = values[pos]
    return out


def _month_numbers(labels: np.ndarray) -> np.ndarray:
    """``YYYY-MM`` labels (few distinct values) -> month numbers."""
    s = np.asarray(labels, dtype="U7")
    year = np.char.partition(s, "-")[:, 0].astype(np.int64)
    month = np.char.partition(s, "-")[:, 2].astype(np.int64)
    return year * 12 + month - 1


def _dictionary(column) -> tuple[np.ndarray, np.ndarray]:
    """(indices, dictionary values) of a dictionary-encoded chunked column, one dictionary for all chunks."""
    col = column.unify_dictionaries()
    chunks = [c.indices.to_numpy(zero_copy_only=False) for c in col.chunks]
    values = col.chunks[0].dictionary.to_numpy(zero_copy_only=False) if col.num_chunks else np.zeros(0)
    return np.concatenate(chunks).astype(np.int64), values


def lean_numpy(data: Path, classes: dict[str, str], groups: dict[str, str], case_ids: list[str]) -> dict:
    """The four aggregates of every case with pyarrow + numpy (arrays; :func:`lean_frames` makes tables)."""
    import pyarrow.compute as pc
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    table = ds.dataset(data / "spells", format="parquet").to_table()
    pid = table["person_id"].to_numpy()
    p_idx, p_dict = _dictionary(table["period"])
    period = _month_numbers(p_dict)[p_idx]
    b_idx, b_dict = _dictionary(table["benefit"])
    del table
    cls = np.array([classes[str(c)] for c in b_dict])
    on = (cls == "support")[b_idx]
    censor = (cls == "censor")[b_idx]
    code_group = np.array([groups[str(c)] for c in b_dict], dtype=object)

    starts = np.concatenate([[0], np.flatnonzero(pid[1:] != pid[:-1]) + 1])
    persons = pid[starts]  # the extract is sorted by (person, period)
    person = np.repeat(np.arange(persons.size), np.diff(np.append(starts, pid.size)))
    mem = pq.read_table(data / portfolio_members(data, len(case_ids)))
    m_pid = pc.cast(mem["person_id"], "int64").to_numpy()
    m_case = mem["case_id"].to_numpy(zero_copy_only=False).astype(str)
    m_inter = mem["group"].to_numpy(zero_copy_only=False).astype(str) == "intervention"
    e_idx, e_dict = _dictionary(pc.dictionary_encode(mem["entry_period"]))
    m_entry = _month_numbers(e_dict)[e_idx]
    out = {}
    for case in case_ids:  # a handful of cases
        in_case = m_case == case
        inter = np.flatnonzero(in_case & m_inter)
        target = np.flatnonzero(in_case & ~m_inter)
        rows = np.concatenate([target[~np.isin(m_pid[target], m_pid[inter])], inter])
        out[case] = _lean_case(rows, m_inter, m_pid, m_entry, persons, person, period, on, censor, b_idx, code_group)
    return out


def portfolio_members(data: Path, cases: int) -> str:
    """The memberships file of the ``cases``-case portfolio."""
    return "memberships.parquet" if cases == 1 else f"memberships_{cases}.parquet"


def _lean_case(rows, m_inter, m_pid, m_entry, persons, person, period, on, censor, b_idx, code_group) -> dict:
    """One case's aggregates (arrays) from its member rows and the classified extract."""
    g = m_inter[rows].astype(np.int64)
    e = m_entry[rows]
    n = rows.size
    pos = np.searchsorted(persons, m_pid[rows])
    pos = np.minimum(pos, persons.size - 1)
    has = persons[pos] == m_pid[rows]
    span = int(period.max() - period.min()) + LOOKBACK + 3
    base = int(period.min()) - LOOKBACK - 1
    key = person * span + (period - base)
    lo = np.searchsorted(key, pos * span + (e - LOOKBACK - base))
    hi = np.searchsorted(key, pos * span + (CUTOFF - base), side="right")
    cnt = np.where(has, np.maximum(hi - lo, 0), 0)
    member = np.repeat(np.arange(n), cnt)
    ridx = np.arange(member.size) - np.repeat(np.cumsum(cnt) - cnt, cnt) + np.repeat(lo, cnt)
    t = period[ridx] - e[member]
    r_on, r_cens = on[ridx], censor[ridx]
    never = 1 << 40
    sel = r_cens & (t >= 0)
    t_c = _first_per_run(member[sel], t[sel], n, never)
    obs_end = np.minimum(CUTOFF - e, t_c - 1)
    fsel = r_on & (t >= 0) & (t <= obs_end[member])
    f_m, f_t = member[fsel], t[fsel]
    prev = np.empty_like(f_t)
    prev[1:] = f_t[:-1]
    first = np.concatenate([[True], f_m[1:] != f_m[:-1]]) if f_m.size else np.zeros(0, bool)
    prev[first] = -1
    gap = f_t - prev - 1 >= 1
    exit_mid = _first_per_run(f_m[gap], prev[gap] + 1, n, never)
    last_on = _first_per_run(f_m, f_t, n, -1, last=True)
    exit_t = np.minimum(exit_mid, np.where(obs_end - last_on >= 1, last_on + 1, never))
    event = exit_t < never
    duration = np.where(event, exit_t, last_on)
    # prior months on support: 36 before entry, since the last break of 12 months off, 0 after a break before entry
    psel = r_on & (t < 0)
    p_m, p_t = member[psel], t[psel]
    p_prev = np.empty_like(p_t)
    p_prev[1:] = p_t[:-1]
    p_first = np.concatenate([[True], p_m[1:] != p_m[:-1]]) if p_m.size else np.zeros(0, bool)
    p_prev[p_first] = -LOOKBACK - 1
    brk = p_t - p_prev - 1 >= RESET
    last_break = _first_per_run(p_m[brk], p_t[brk], n, -never, last=True)
    counted = p_t >= last_break[p_m]
    prior = np.bincount(p_m[counted], minlength=n)
    last_prior = _first_per_run(p_m, p_t, n, -never, last=True)
    prior[(-last_prior - 1) >= RESET] = 0
    bsel = r_on & (t <= 0)
    b_row = _first_per_run(member[bsel], ridx[bsel], n, -1, last=True)
    bg = np.where(b_row >= 0, code_group[b_idx[np.maximum(b_row, 0)]], "")
    cae = has & (t_c == 0)
    keep = has & ~cae & (event | (duration >= 0))
    by_code = ~event & (t_c <= CUTOFF - e)
    followed = obs_end + 1
    return {
        "g": g, "e": e, "keep": keep, "has": has, "cae": cae, "event": event, "duration": duration,
        "prior": prior, "bg": bg, "followed": followed, "by_code": by_code, "f_m": f_m, "f_t": f_t,
    }  # fmt: skip


# ----------------------------------------------------------------------------- lean DuckDB statement

LEAN_SQL = """
WITH m AS (
    SELECT CAST(person_id AS BIGINT) AS pid, "group" = 'intervention' AS inter,
           CAST(substr(entry_period, 1, 4) AS INTEGER) * 12 + CAST(substr(entry_period, 6, 2) AS INTEGER) - 1 AS e
    FROM read_parquet('{members}') x
    WHERE case_id = '1' AND ("group" = 'intervention' OR NOT EXISTS (
        SELECT 1 FROM read_parquet('{members}') y
        WHERE y.case_id = '1' AND y."group" = 'intervention' AND y.person_id = x.person_id))
),
s AS (
    SELECT person_id AS pid,
           CAST(substr(period, 1, 4) AS INTEGER) * 12 + CAST(substr(period, 6, 2) AS INTEGER) - 1 AS p,
           c.cls
    FROM read_parquet('{spells}/*.parquet') JOIN codes c ON c.code = benefit
),
per_member AS (
    SELECT m.pid, m.inter, m.e, COUNT(s.pid) AS n_rows,
           MIN(s.p - m.e) FILTER (s.cls = 'censor' AND s.p >= m.e) AS t_c,
           bitstring_agg(s.p - m.e, 0, {horizon}) FILTER (s.cls = 'support' AND s.p >= m.e AND s.p - m.e <= {horizon})
               AS bits
    FROM m LEFT JOIN s ON s.pid = m.pid AND s.p <= {cutoff}
    GROUP BY m.pid, m.inter, m.e
),
followed AS (
    SELECT inter, LEAST({cutoff} - e, COALESCE(t_c, 1000000000) - 1) AS obs_end,
           COALESCE(strpos(CAST(bits AS VARCHAR), '0'), 1) - 1 AS zero
    FROM per_member WHERE n_rows > 0 AND COALESCE(t_c, 1) <> 0
)
SELECT CASE WHEN inter THEN 'intervention' ELSE 'comparison' END AS "group",
       CASE WHEN zero BETWEEN 0 AND obs_end THEN zero ELSE obs_end END AS t,
       COUNT(*) FILTER (zero BETWEEN 0 AND obs_end) AS events,
       COUNT(*) FILTER (NOT zero BETWEEN 0 AND obs_end) AS censored
FROM followed GROUP BY ALL ORDER BY 1, 2
"""


def lean_duckdb(data: Path, classes: dict[str, str], threads: int | None, memory_limit: str | None = None) -> object:
    """The survival table of case 1 by one DuckDB statement (a frame; ``durable_exit = 1``)."""
    import duckdb

    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute("CREATE TABLE codes (code VARCHAR, cls VARCHAR)")
    con.executemany("INSERT INTO codes VALUES (?, ?)", list(classes.items()))
    sql = LEAN_SQL.format(
        members=data / "memberships.parquet", spells=data / "spells", cutoff=CUTOFF, horizon=CUTOFF - 2000 * 12
    )
    return con.execute(sql).df()


# ----------------------------------------------------------------------------- the lean arrays as the engines' tables


def lean_frames(out: dict) -> dict:
    """The lean arrays of every case as the four aggregate tables (canonical form, for the check; not timed)."""
    import pandas as pd

    from survival_invest.stats import normalise_aggregates
    from survival_invest.stats.tables import GROUPS, SUMMARY_ITEMS

    parts: dict[str, list] = {"survival": [], "lengths": [], "units": [], "summary": []}
    for case, a in out.items():  # a handful of cases
        k = a["keep"]
        group = np.where(a["g"] == 1, "intervention", "comparison")
        parts["survival"].append(
            pd.DataFrame(
                {"case_id": case, "group": group[k], "t": a["duration"][k], "events": a["event"][k].astype(int),
                 "censored": (~a["event"][k]).astype(int)}
            )
        )  # fmt: skip
        inter = a["g"] == 1
        bg = np.where(inter, a["bg"], "")
        prior = np.where(inter, a["prior"], -1)
        counted = np.where(a["event"], a["followed"], np.minimum(a["duration"] + 1, a["followed"]))
        spell = np.where(a["event"], np.minimum(a["duration"], counted), counted)
        base = pd.DataFrame(
            {"case_id": case, "group": group, "entry": a["e"], "benefit_group": bg, "prior_periods": prior}
        )
        for kind, length, rows in (
            ("followed", a["followed"], k),
            ("counted", counted, k & inter),
            ("spell", spell, k & inter),
        ):
            parts["lengths"].append(base[rows].assign(kind=kind, length=length[rows], n=1))
        fm = a["f_m"][k[a["f_m"]]]
        ft = a["f_t"][k[a["f_m"]]]
        parts["units"].append(
            pd.DataFrame(
                {"case_id": case, "group": group[fm], "month": a["e"][fm] + ft, "t": ft, "benefit_group": bg[fm],
                 "prior_periods": prior[fm], "units": 1}
            )
        )  # fmt: skip
        items = {
            "memberships": np.ones_like(k),
            "excluded_no_spell_data": ~a["has"],
            "excluded_censored_at_entry": a["cae"],
            "excluded_too_short_for_durable_exit": a["has"] & ~a["cae"] & ~k,
            "persons": k,
            "off_support_at_entry": k & a["event"] & (a["duration"] == 0),
            "events": k & a["event"],
            "censored_cut_off": k & ~a["event"] & ~a["by_code"],
            "censored_code": k & a["by_code"],
        }
        rows = [
            {"case_id": case, "group": gname, "item": item, "n": int(items[item][a["g"] == gi].sum())}
            for item in SUMMARY_ITEMS
            for gi, gname in enumerate(GROUPS)
        ]
        parts["summary"].append(pd.DataFrame(rows))
    return normalise_aggregates({name: pd.concat(p, ignore_index=True) for name, p in parts.items()})


def shipped_classes() -> tuple[dict[str, str], dict[str, str]]:
    """Code -> class and code -> benefit group of the shipped classification (small; passed to the lean runs)."""
    from survival_invest.io import default_classification

    c = default_classification()
    bg = c["benefit_group"].astype(object).where(c["benefit_group"].notna(), "")
    return dict(zip(c["code"], c["class"], strict=True)), dict(zip(c["code"], bg.astype(str), strict=True))


def engine_tables(data: Path, engine: str, cases: int) -> dict:
    """The engines' aggregates for the check: the in-memory cohorts' tables, or the SQL run's (not timed)."""
    import pandas as pd

    from survival_invest.config import load_config
    from survival_invest.engines.memory import memory_statistics
    from survival_invest.io.periods import RunClock
    from survival_invest.stats import cohort_aggregates

    config = load_config(portfolio_file(data, cases))
    clock = RunClock.parse(AS_OF, 0, "month")
    if engine == "memory":
        ran = memory_statistics(config, clock)
        parts = [cohort_aggregates(c) for c in ran.cohorts.values()]
        return {k: pd.concat([p[k] for p in parts], ignore_index=True) for k in parts[0]}
    raise ValueError(engine)


def check(data: Path, cases: int, threads: int | None) -> None:
    """Refuse to time anything unless the lean references give the engine's tables exactly."""
    from survival_invest.stats import normalise_aggregates

    classes, groups = shipped_classes()
    lean = lean_frames(lean_numpy(data, classes, groups, [str(c + 1) for c in range(cases)]))
    ref = normalise_aggregates(engine_tables(data, "memory", cases))
    for name in ref:
        if not ref[name].equals(lean[name]):
            raise SystemExit(
                f"lean-numpy differs from the in-memory engine in the {name!r} table:\n{ref[name]}\n{lean[name]}"
            )
    surv = lean_duckdb(data, classes, threads)
    mine = ref["survival"][ref["survival"]["case_id"] == "1"].drop(columns="case_id").reset_index(drop=True)
    got = surv.astype(mine.dtypes.to_dict())
    if not mine.equals(got[mine.columns]):
        raise SystemExit(f"lean-duckdb differs from the engines' survival table:\n{mine}\n{got}")
    print(f"check: lean-numpy = in-memory engine (4 tables, {cases} case(s)); lean-duckdb = survival table", flush=True)


# ----------------------------------------------------------------------------- one timed run (a fresh process)


def measure_one(data: Path, what: str, cases: int, threads: int | None, memory_limit: str | None) -> dict:
    """Time one production engine or lean reference in this (fresh) process."""
    t_import = time.perf_counter()
    if what in ("memory", "duckdb", "spark"):
        import survival_invest  # noqa: F401  (timed apart: the same at every size)
        from survival_invest.config import load_config
        from survival_invest.pipeline.portfolio import run_portfolio
    import_s = time.perf_counter() - t_import
    classes, groups = shipped_classes() if what.startswith("lean") else ({}, {})
    with PeakSampler() as peak:
        t0 = time.perf_counter()
        if what == "lean-numpy":
            out = lean_numpy(data, classes, groups, [str(c + 1) for c in range(cases)])
            checksum = sum(int(a["event"][a["keep"]].sum()) for a in out.values())
        elif what == "lean-duckdb":
            checksum = int(lean_duckdb(data, classes, threads, memory_limit)["events"].sum())
        else:
            config = load_config(portfolio_file(data, cases))
            if memory_limit or threads:  # [engine] memory_limit / threads, as a user would set them
                e = dataclasses.replace(config.engine, memory_limit=memory_limit or None, threads=threads or None)
                config = dataclasses.replace(config, engine=e)
            results = run_portfolio(config, AS_OF, engine=what)
            checksum = len(results)
        seconds = time.perf_counter() - t0
    meta = json.loads((data / "meta.json").read_text())
    return {"what": what, "rows": meta["rows"], "cases": cases, "seconds": seconds, "import_s": import_s,
            "peak_gb": peak.peak, "checksum": checksum}  # fmt: skip


def _spawn(data: Path, what: str, cases: int, threads: int | None, memory_limit: str | None) -> dict | None:
    cmd = [sys.executable, __file__, "one", "--data", str(data), "--what", what, "--cases", str(cases)]
    if threads:
        cmd += ["--threads", str(threads)]
    if memory_limit:
        cmd += ["--memory-limit", memory_limit]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
    if proc.returncode or not line:
        print(f"{what}: failed (exit code {proc.returncode})\n{proc.stderr[-3000:]}", file=sys.stderr)
        return None
    return json.loads(line[0][7:])


def run(
    data: Path, engines: list[str], cases_list: list[int], repeats: int, threads: int | None, memory_limit: str | None
) -> None:
    """Check, then time every engine and its lean reference ``repeats`` times; print medians and ratios."""
    table = []
    for cases in cases_list:  # a few case counts
        portfolio_file(data, cases)
        check(data, cases, threads)
        whats = [*engines, "lean-numpy"] + (["lean-duckdb"] if cases == 1 else [])
        # interleaved (engine, lean, engine, lean, ...): on a shared machine the load drifts, and a ratio of
        # medians taken minutes apart measures the drift; each a fresh process
        spawned: dict[str, list[dict]] = {what: [] for what in whats}
        for _ in range(repeats):
            for what in whats:
                r = _spawn(data, what, cases, threads, memory_limit)
                if r:
                    spawned[what].append(r)
        for what in whats:
            runs = spawned[what]
            if not runs:
                continue
            med = {
                "what": what, "cases": cases, "rows": runs[0]["rows"],
                "seconds": statistics.median(r["seconds"] for r in runs),
                "peak_gb": statistics.median(r["peak_gb"] for r in runs),
                "import_s": statistics.median(r["import_s"] for r in runs),
                "all_s": [round(r["seconds"], 2) for r in runs],
            }  # fmt: skip
            print(json.dumps(med), flush=True)
            table.append(med)
    print("\n| path | rows | cases | time (s, median) | peak (GB) | ratio to lean (time, memory) |")
    print("|---|---:|---:|---:|---:|---|")
    for r in table:
        lean_name = "lean-duckdb" if r["what"] in ("duckdb", "spark") and r["cases"] == 1 else "lean-numpy"
        lean = next((x for x in table if x["what"] == lean_name and x["cases"] == r["cases"]), None)
        ratio = "" if lean is None or r["what"].startswith("lean") else (
            f"{r['seconds'] / lean['seconds']:.2f}× / {r['peak_gb'] / lean['peak_gb']:.2f}× ({lean_name})"
        )  # fmt: skip
        print(f"| {r['what']} | {r['rows']:,} | {r['cases']} | {r['seconds']:.2f} | {r['peak_gb']:.2f} | {ratio} |")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--rows", type=float, required=True)
    g.add_argument("--out", type=Path, required=True)
    g.add_argument("--part-rows", type=float, default=5e7)
    g.add_argument("--seed", type=int, default=1)
    for name in ("run", "one"):
        r = sub.add_parser(name)
        r.add_argument("--data", type=Path, required=True)
        r.add_argument("--threads", type=int, default=None)
        r.add_argument("--memory-limit", default=None)
        if name == "run":
            r.add_argument("--engine", nargs="+", default=["memory", "duckdb"])
            r.add_argument("--cases", type=int, nargs="+", default=[1])
            r.add_argument("--repeats", type=int, default=3)
        else:
            r.add_argument("--what", required=True)
            r.add_argument("--cases", type=int, default=1)
    args = ap.parse_args(argv)
    if args.cmd == "generate":
        generate_extract(args.out, args.rows, args.part_rows, args.seed)
        portfolio_file(args.out, 1)
        return 0
    if args.cmd == "one":
        res = measure_one(args.data, args.what, args.cases, args.threads, args.memory_limit)
        print("RESULT " + json.dumps(res), flush=True)
        return 0
    run(args.data, args.engine, args.cases, args.repeats, args.threads, args.memory_limit)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
