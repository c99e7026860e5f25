"""Benchmark: ``kaplan_meier_by`` with float durations against one single-group fit and a bare numpy reference.

Usage::

    python benchmarks/bench_km_by.py --sizes 1e6 1e7 --groups 2 --repeats 3

Data: ``N`` float durations ~ Exponential(mean 25), administrative censoring at
60.0 (almost all distinct), 70 % events, ``--groups`` groups of equal size
(``int8`` codes). Each measurement runs in a **fresh process** (its own peak
memory), the three paths interleaved in each round so that a shared machine's
drifting load falls on all of them; the median is reported:

* ``by``      ``kaplan_meier_by(d, e, g)``: the fit of every group (counts,
  product-limit estimate, Greenwood sums, confidence limits on first use: the
  fit alone, no summaries);
* ``single``  ``kaplan_meier(d, e)``: one group of the same ``N`` subjects;
* ``bare``    plain numpy, per group: ``np.unique(d, return_inverse=True)``,
  two ``bincount``, at-risk by reverse cumsum, ``cumprod`` and the Greenwood
  ``cumsum`` (what any fit must compute).

Time is the call's wall time; memory is the peak resident set size above the
process's size once the data exist (``ru_maxrss``; the data are generated
before the baseline is read). ``by`` is checked against one ``kaplan_meier``
per group (survival at 9 times, to 1e-12) before anything is timed.
Numbers are information, never asserted; they go in the README and
``docs/scaling.md``.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

PATHS = ("by", "single", "bare")


def make_data(n: int, groups: int, seed: int = 20261203) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Float durations, events and ``int8`` group codes (equal-sized contiguous groups)."""
    rng = np.random.default_rng(seed)
    d = np.minimum(rng.exponential(25.0, n), 60.0)
    e = ((rng.random(n) < 0.7) & (d < 60.0)).astype(np.int8)
    g = (np.arange(n) * groups // n).astype(np.int8)
    return d, e, g


def bare(d: np.ndarray, e: np.ndarray, g: np.ndarray, groups: int) -> float:
    """The least numpy that gives every group's curve and Greenwood sum (a checksum)."""
    total = 0.0
    for k in range(groups):  # a handful of groups
        m = g == k
        times, inv = np.unique(d[m], return_inverse=True)
        removed = np.bincount(inv, minlength=times.shape[0]).astype(np.float64)
        events = np.bincount(inv, weights=e[m], minlength=times.shape[0])
        at_risk = np.cumsum(removed[::-1])[::-1]
        surv = np.cumprod(1.0 - events / at_risk)
        left = at_risk - events
        term = np.divide(events, at_risk * left, out=np.zeros_like(events), where=left > 0)
        total += float(surv[-1]) + float(np.cumsum(term)[-1])
    return total


def check(n: int, groups: int) -> None:
    """``kaplan_meier_by`` equals one ``kaplan_meier`` per group (refuse to time otherwise)."""
    import survival_invest as si

    d, e, g = make_data(n, groups)
    by = si.kaplan_meier_by(d, e, g)
    times = np.array([0.0, 0.5, 1.0, 7.25, 12.0, 30.0, 59.9, 60.0, 75.0])
    got = by.survival_at(times)
    for k in range(groups):  # a handful of groups
        alone = si.kaplan_meier(d[g == k], e[g == k]).survival_at(times)
        if not np.allclose(got[k], alone, rtol=1e-12, atol=1e-14):
            raise SystemExit(f"kaplan_meier_by differs from kaplan_meier for group {k}: {got[k]} vs {alone}")
    print(f"check: kaplan_meier_by = kaplan_meier per group (N = {n:,}, {groups} groups)", flush=True)


def one(n: int, groups: int, path: str) -> dict:
    """Time one path in this fresh process, with its peak memory above the data's."""
    import survival_invest as si

    d, e, g = make_data(n, groups)
    si.kaplan_meier_by(d[:1000], e[:1000], g[:1000])  # first-call costs (imports, caches) out of the timing
    si.kaplan_meier(d[:1000], e[:1000])
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    if path == "by":
        si.kaplan_meier_by(d, e, g)
    elif path == "single":
        si.kaplan_meier(d, e)
    else:
        bare(d, e, g, groups)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"path": path, "n": n, "seconds": seconds, "extra_mb": (peak - base) / 1024}


def run(sizes: list[int], groups: int, repeats: int) -> None:
    """Check, then time the three paths interleaved, ``repeats`` rounds per size; print medians and ratios."""
    for n in sizes:  # two or three sizes
        check(min(n, 200_000), groups)
        got: dict[str, list[dict]] = {p: [] for p in PATHS}
        for _ in range(repeats):
            for p in PATHS:
                cmd = [sys.executable, __file__, "--one", str(n), str(groups), p]
                out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
                got[p].append(json.loads(out.splitlines()[-1]))
        med = {
            p: (statistics.median(r["seconds"] for r in rs), statistics.median(r["extra_mb"] for r in rs))
            for p, rs in got.items()
        }
        for p in PATHS:
            s, mb = med[p]
            print(f"N={n:>10,} {p:6s} {s:7.3f} s  {mb:7.0f} MB  all {[round(r['seconds'], 3) for r in got[p]]}")
        (bs, bm), (ss, _), (rs, rm) = med["by"], med["single"], med["bare"]
        print(f"N={n:>10,} by / single {bs / ss:.2f}x time; by / bare {bs / rs:.2f}x time, {bm / rm:.2f}x memory")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=float, nargs="+", default=[1e6, 1e7])
    ap.add_argument("--groups", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--one", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(one(int(args.one[0]), int(args.one[1]), args.one[2])))
        return 0
    run([int(s) for s in args.sizes], args.groups, args.repeats)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
