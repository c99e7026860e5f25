"""Benchmark: two-group Kaplan-Meier, RMST(36) with SE and Delta RMST(36) with its interval.

Compares, on the *same* arrays in the same run,

* ``package``     survival_invest: two ``kaplan_meier`` fits + ``.rmst(36)`` of each
                  + ``area_between(comparison, intervention, 36)``;
* ``package_by``  survival_invest: ``kaplan_meier_by(d, e, g)`` on a 0/1 ``int8``
                  group array + ``.rmst([36])`` + ``.area_between(0, 1, [36])``;
* ``lifelines``   ``KaplanMeierFitter().fit`` + ``restricted_mean_survival_time(kmf, t=36)``
                  per group (no standard error);
* ``sksurv``      ``sksurv.nonparametric.kaplan_meier_estimator`` per group, plus a
                  negligible O(#times) numpy integration of its step curve to get
                  RMST(36) (no standard error);
* ``bare_ref``    plain numpy: integer durations -> ``np.bincount`` per group
                  (removals, and events as ``weights=``), at-risk by reverse cumsum,
                  KM by ``cumprod``, Greenwood ``cumsum``, RMST(36) and its SE by the
                  ``A_j`` formula, and the difference with its Wald interval.
                  Float durations -> the same arithmetic on the
                  ``np.unique(d, return_inverse=True)`` grid.

Data: two groups of N/2 subjects each (N = total). Integer case: monthly exit
times ~ Geometric(p = 0.04 comparison / 0.05 intervention), independent dropout
~ Geometric(0.01), administrative censoring at 60 months; durations ``int64``,
events ``bool``. Float case: exit ~ Exponential(mean 25 / 20 months), dropout
~ Exponential(mean 100), administrative censoring at 60.0; ``float64``
durations (almost all distinct). Generation is seeded and not timed. Each group
is a contiguous half of the full arrays, so the per-group inputs are views of
the very arrays ``kaplan_meier_by`` gets: every library sees the same memory.

Timing: median of up to ``--repeats`` calls per cell; the first call of a cell
is an untimed warm-up unless it takes more than ``--budget``/4 s, and a cell
stops repeating once it has spent ``--budget`` seconds, so the slow libraries
at 10^7 get fewer repeats (often one). The garbage collector runs before and
is disabled during each call. Every method is also warmed up once on a tiny
data set first (imports, first-call caches). The timing process re-executes
itself with ``MALLOC_MMAP_MAX_=0`` and a huge ``MALLOC_TRIM_THRESHOLD_`` (glibc
keeps freed memory instead of returning it to the OS) and touches
``--prefault-gib`` GiB once: on this VM, memory handed back to the OS is
reported to the host after ~2 s (virtio-balloon free page reporting) and
costs ~3.5 s/GB to touch again, which swung the 10^7 timings by up to 2x
depending on what ran before. Every library runs under the same setting;
``--default-malloc`` turns it off.

Peak memory: each (case, N, method) call is run once in a fresh subprocess
(this script with ``--_child``) that imports the library, regenerates the same
seeded data, then frees what it can (``gc.collect()`` and glibc
``malloc_trim(0)``, so the call cannot silently reuse heap pages freed by the
data generation) and resets the kernel's resident-set high-water mark by
writing ``5`` to ``/proc/self/clear_refs``. The reported figure is
``VmHWM - VmRSS`` (from ``/proc/self/status``) around the single call, i.e. the
peak *additional* resident memory of the call. We use the OS high-water mark
rather than ``tracemalloc`` because it sees every allocation (numpy, pandas'
hash tables, Cython/C++ buffers of scikit-survival, the allocator's own
overhead) and costs nothing while the call runs; ``tracemalloc`` only sees
allocations routed through Python's tracing hooks. Where ``clear_refs`` is not
writable, ``ru_maxrss`` after minus before is used instead (marked ``*``); it
understates a call whose peak is below the data-generation peak.

Usage::

    python benchmarks/bench_core.py                      # default run (~5-10 min)
    python benchmarks/bench_core.py --sizes 1e5,1e6 --repeats 3
    python benchmarks/bench_core.py --markdown           # table as Markdown
    python benchmarks/bench_core.py --profile            # cProfile + line timing at 10^7

Targets are printed as information (PASS/FAIL), never asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import json
import math
import os
import resource
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np

TAU = 36.0
ALPHA = 0.05
Z = NormalDist().inv_cdf(1.0 - ALPHA / 2.0)
ADMIN_CENSOR = 60
METHODS = ("package", "package_by", "lifelines", "sksurv", "bare_ref", "unique_only")
SLOW = ("lifelines", "sksurv")

# --------------------------------------------------------------------------- data


@dataclass
class Data:
    case: str  # "int" or "float"
    n: int
    d: np.ndarray  # durations, length n (int64 or float64)
    e: np.ndarray  # events, bool, length n
    g: np.ndarray  # group 0 (comparison) / 1 (intervention), int8, length n
    h: int  # size of group 0; group 0 is d[:h], group 1 is d[h:]

    def groups(self):
        h = self.h
        return (self.d[:h], self.e[:h]), (self.d[h:], self.e[h:])


def make_data(case: str, n: int, seed: int) -> Data:
    """Seeded two-group data; group 0 = comparison (longer on support), group 1 = intervention."""
    rng = np.random.default_rng([seed, n, 0 if case == "int" else 1])
    h = n // 2
    d = np.empty(n, dtype=np.int64 if case == "int" else np.float64)
    e = np.empty(n, dtype=bool)
    for lo, hi, p_exit, mean_exit in ((0, h, 0.04, 25.0), (h, n, 0.05, 20.0)):
        m = hi - lo
        if case == "int":
            exit_t = rng.geometric(p_exit, m)
            drop_t = rng.geometric(0.01, m)
            cens = np.minimum(drop_t, ADMIN_CENSOR)
        else:
            exit_t = rng.exponential(mean_exit, m)
            drop_t = rng.exponential(100.0, m)
            cens = np.minimum(drop_t, float(ADMIN_CENSOR))
        np.less_equal(exit_t, cens, out=e[lo:hi])  # tie exit == dropout: event (events first)
        np.minimum(exit_t, cens, out=d[lo:hi])
        del exit_t, drop_t, cens
    g = np.zeros(n, dtype=np.int8)
    g[h:] = 1
    return Data(case, n, d, e, g, h)


# ---------------------------------------------------------------- the methods
# Each returns a dict of figures for the agreement check. Keys: rmst0, rmst1
# (RMST(36) of comparison and intervention) and, where available, se0, se1,
# delta, delta_se, delta_lo, delta_hi.


def run_package(data: Data) -> dict:
    import survival_invest as si

    (d0, e0), (d1, e1) = data.groups()
    k0 = si.kaplan_meier(d0, e0)
    k1 = si.kaplan_meier(d1, e1)
    r0 = k0.rmst(TAU)
    r1 = k1.rmst(TAU)
    ab = si.area_between(k0, k1, TAU)
    return dict(
        rmst0=r0.value,
        se0=r0.se,
        rmst1=r1.value,
        se1=r1.se,
        delta=ab.value,
        delta_se=ab.se,
        delta_lo=ab.lower,
        delta_hi=ab.upper,
    )


def run_package_by(data: Data) -> dict:
    import survival_invest as si

    curves = si.kaplan_meier_by(data.d, data.e, data.g)
    r = curves.rmst([TAU])
    ab = curves.area_between(0, 1, [TAU])
    return dict(
        rmst0=float(r["value"].iloc[0]),
        se0=float(r["se"].iloc[0]),
        rmst1=float(r["value"].iloc[1]),
        se1=float(r["se"].iloc[1]),
        delta=float(ab["value"].iloc[0]),
        delta_se=float(ab["se"].iloc[0]),
        delta_lo=float(ab["lower"].iloc[0]),
        delta_hi=float(ab["upper"].iloc[0]),
    )


def run_lifelines(data: Data) -> dict:
    from lifelines import KaplanMeierFitter
    from lifelines.utils import restricted_mean_survival_time

    out = {}
    for i, (d, e) in enumerate(data.groups()):
        kmf = KaplanMeierFitter().fit(d, e)
        out[f"rmst{i}"] = float(restricted_mean_survival_time(kmf, t=TAU))
    out["delta"] = out["rmst0"] - out["rmst1"]
    return out


def _rmst_of_step(times: np.ndarray, surv: np.ndarray, tau: float) -> float:
    """int_0^tau S(u) du of a right-continuous step curve (S = 1 before times[0])."""
    j = int(np.searchsorted(times, tau, side="right")) - 1
    if j < 0:
        return tau
    widths = np.diff(times[: j + 1], append=tau)
    return float(min(times[0], tau) + np.dot(widths, surv[: j + 1]))


def run_sksurv(data: Data) -> dict:
    from sksurv.nonparametric import kaplan_meier_estimator

    out = {}
    for i, (d, e) in enumerate(data.groups()):
        t, s = kaplan_meier_estimator(e, d)
        out[f"rmst{i}"] = _rmst_of_step(t, s, TAU)
    out["delta"] = out["rmst0"] - out["rmst1"]
    return out


def _ref_figures(times: np.ndarray, removed: np.ndarray, events: np.ndarray, tau: float) -> tuple[float, float]:
    """RMST(tau) and its variance from per-time removal and event counts (the bare arithmetic)."""
    at_risk = np.cumsum(removed[::-1])[::-1]
    hazard = np.divide(events, at_risk, out=np.zeros(events.shape[0]), where=at_risk > 0)
    surv = np.cumprod(1.0 - hazard)
    left = at_risk - events
    term = np.divide(events, at_risk * left, out=np.zeros(events.shape[0]), where=(events > 0) & (left > 0))
    greenwood = np.cumsum(term)  # noqa: F841  (Var S(t) = S^2 * greenwood; computed as the package does)
    j = int(np.searchsorted(times, tau, side="right")) - 1  # last grid time <= tau
    if j < 0:
        return tau, 0.0
    area = np.diff(times[: j + 1], append=tau) * surv[: j + 1]  # area of each interval up to tau
    rmst = min(times[0], tau) + area.sum()  # S = 1 on [0, t_0)
    a_j = np.cumsum(area[::-1])[::-1]  # A_j = int_{t_j}^tau S(u) du
    return float(rmst), float(np.dot(a_j * a_j, term[: j + 1]))


def _ref_finish(figs: list[tuple[float, float]]) -> dict:
    (m0, v0), (m1, v1) = figs
    se0, se1 = math.sqrt(v0), math.sqrt(v1)
    delta, dse = m0 - m1, math.hypot(se0, se1)
    return dict(
        rmst0=m0,
        se0=se0,
        rmst1=m1,
        se1=se1,
        delta=delta,
        delta_se=dse,
        delta_lo=delta - Z * dse,
        delta_hi=delta + Z * dse,
    )


def run_bare_ref(data: Data) -> dict:
    figs = []
    for d, e in data.groups():
        if data.case == "int":
            removed = np.bincount(d)
            events = np.bincount(d, weights=e, minlength=removed.shape[0])
            times = np.arange(removed.shape[0], dtype=np.float64)
        else:
            times, inv = np.unique(d, return_inverse=True)
            removed = np.bincount(inv, minlength=times.shape[0])
            events = np.bincount(inv, weights=e, minlength=times.shape[0])
        figs.append(_ref_figures(times, removed.astype(np.float64), events, TAU))
    return _ref_finish(figs)


def run_unique_only(data: Data) -> dict:
    """Float case only: just ``np.unique(d, return_inverse=True)`` of each group (the sort the float path needs)."""
    for d, _ in data.groups():
        np.unique(d, return_inverse=True)
    return {}


RUNNERS = {
    "unique_only": run_unique_only,
    "package": run_package,
    "package_by": run_package_by,
    "lifelines": run_lifelines,
    "sksurv": run_sksurv,
    "bare_ref": run_bare_ref,
}


def import_method(method: str) -> None:
    """Import what a method needs (so imports are outside timings and memory baselines)."""
    if method in ("package", "package_by"):
        import survival_invest  # noqa: F401  # loaded here so that import time stays out of the timing
    elif method == "lifelines":
        import lifelines
        import lifelines.utils  # noqa: F401  # loaded here so that import time stays out of the timing
    elif method == "sksurv":
        import sksurv.nonparametric  # noqa: F401  # loaded here so that import time stays out of the timing


# ------------------------------------------------------------------ timing


def time_method(method: str, data: Data, repeats: int, budget: float) -> tuple[float, int, dict]:
    """Median wall time of up to ``repeats`` calls.

    The first call of a cell is an untimed warm-up (the first touch of fresh
    memory at a new size is much slower on this VM than a repeat), unless it
    takes more than ``budget / 4`` seconds: then it is kept as a sample, so the
    slow libraries at 10^7 are timed once rather than paying for a warm-up.
    Repeats stop once the cell has spent ``budget`` seconds.
    """
    fn = RUNNERS[method]
    times: list[float] = []
    result: dict = {}
    spent = 0.0
    calls = 0
    while len(times) < repeats and (spent <= budget or not times):
        gc.collect()
        gc.disable()
        try:
            t0 = time.perf_counter()
            result = fn(data)
            dt = time.perf_counter() - t0
        finally:
            gc.enable()
        calls += 1
        spent += dt
        if calls == 1 and dt <= budget / 4:
            continue  # warm-up
        times.append(dt)
    return float(np.median(times)), len(times), result


def prefault(gib: float) -> None:
    """Touch and free ``gib`` GiB once, so that no timing pays for the VM's first touch of guest memory."""
    if gib > 0:
        a = np.ones(int(gib * 2**30) // 8)
        del a


# ------------------------------------------------------------------ memory


def _status_kib(key: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


def _free_heap() -> None:
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def child_main(case: str, n: int, method: str, seed: int) -> None:
    """Run one call in this fresh process and print its peak extra resident memory (JSON)."""
    warnings.simplefilter("ignore")
    import_method(method)
    RUNNERS[method](make_data(case, 64, seed))  # warm-up: lazy imports, first-call caches
    data = make_data(case, n, seed)
    _free_heap()
    how = "hwm"
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset VmHWM to the current RSS
        base = _status_kib("VmRSS")
    except OSError:
        how = "ru_maxrss"
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    RUNNERS[method](data)
    peak = _status_kib("VmHWM") if how == "hwm" else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"peak_mb": max(peak - base, 0) * 1024 / 1e6, "how": how}))


def measure_memory(case: str, n: int, method: str, seed: int) -> tuple[float, str]:
    cmd = [sys.executable, os.path.abspath(__file__), "--_child", case, str(n), method, str(seed)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}  # default allocator
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        sys.stderr.write(p.stderr)
        return math.nan, "error"
    out = json.loads(p.stdout.strip().splitlines()[-1])
    return out["peak_mb"], out["how"]


# ------------------------------------------------------------------ report


@dataclass
class Row:
    case: str
    n: int
    method: str
    seconds: float = math.nan
    repeats: int = 0
    peak_mb: float = math.nan
    mem_how: str = ""
    result: dict = field(default_factory=dict)


def fmt_time(s: float) -> str:
    if math.isnan(s):
        return "-"
    return f"{s * 1e3:.1f} ms" if s < 1 else f"{s:.2f} s"


def fmt_ratio(x: float) -> str:
    return "-" if not math.isfinite(x) else (f"{x:.2f}x" if x < 10 else f"{x:.0f}x")


def fmt_n(n: int) -> str:
    k = round(math.log10(n))
    return f"10^{k}" if 10**k == n else f"{n:,}"


def build_table(rows: list[Row]) -> tuple[list[str], list[list[str]]]:
    head = ["durations", "N", "method", "time (median)", "repeats", "peak extra RSS", "vs bare_ref", "vs package"]
    by_key = {(r.case, r.n, r.method): r for r in rows}
    body = []
    for r in rows:
        ref = by_key.get((r.case, r.n, "bare_ref"))
        pkg = by_key.get((r.case, r.n, "package"))
        vs_ref = r.seconds / ref.seconds if ref and r.method != "bare_ref" else math.nan
        vs_pkg = r.seconds / pkg.seconds if pkg and r.method not in ("package",) else math.nan
        mem = "-" if math.isnan(r.peak_mb) else (f"{r.peak_mb:,.0f} MB" if r.peak_mb >= 10 else f"{r.peak_mb:.1f} MB")
        mem += "*" if r.mem_how == "ru_maxrss" else ""
        body.append(
            [
                r.case,
                fmt_n(r.n),
                r.method,
                fmt_time(r.seconds),
                str(r.repeats),
                mem,
                fmt_ratio(vs_ref),
                fmt_ratio(vs_pkg),
            ]
        )
    return head, body


def render(head: list[str], body: list[list[str]], markdown: bool) -> str:
    if markdown:
        right = {3, 4, 5, 6, 7}
        lines = [
            "| " + " | ".join(head) + " |",
            "|" + "|".join("---:" if i in right else "---" for i in range(len(head))) + "|",
        ]
        lines += ["| " + " | ".join(row) + " |" for row in body]
        return "\n".join(lines)
    widths = [max(len(x) for x in col) for col in zip(head, *body, strict=True)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i >= 3 else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    out = [line(head), "  ".join("-" * w for w in widths)]
    prev = None
    for row in body:
        if prev is not None and row[:2] != prev:
            out.append("")
        out.append(line(row))
        prev = row[:2]
    return "\n".join(out)


def agreement(rows: list[Row]) -> list[str]:
    """Max abs differences between the package and the others on the same data."""
    by_key = {(r.case, r.n, r.method): r for r in rows}
    acc: dict[str, float] = {}

    def upd(label: str, a: dict, b: dict, keys: tuple[str, ...]) -> None:
        for k in keys:
            if k in a and k in b:
                acc[label] = max(acc.get(label, 0.0), abs(a[k] - b[k]))

    for (case, n, method), r in by_key.items():
        if method != "package" or not r.result:
            continue
        pkg = r.result
        for other, keys in (
            ("bare_ref", ("rmst0", "rmst1")),
            ("bare_ref", ("se0", "se1")),
            ("bare_ref", ("delta", "delta_se", "delta_lo", "delta_hi")),
            ("lifelines", ("rmst0", "rmst1", "delta")),
            ("sksurv", ("rmst0", "rmst1", "delta")),
            ("package_by", ("rmst0", "se0", "rmst1", "se1", "delta", "delta_se", "delta_lo", "delta_hi")),
        ):
            o = by_key.get((case, n, other))
            if o and o.result:
                what = "RMST" if keys[0] == "rmst0" else ("SE" if keys[0] == "se0" else "all figures")
                if other == "package_by":
                    what = "all figures"
                if other == "bare_ref" and keys[0] == "delta":
                    what = "Delta, SE, CI"
                upd(f"package vs {other:<10s} {what} ({case})", pkg, o.result, keys)
    lines = [f"max |diff| {k}: {v:.3g}" for k, v in sorted(acc.items())]
    # a sample of the figures themselves
    for r in rows:
        if r.method == "package" and r.result:
            x = r.result
            lines.append(
                f"  {r.case:5s} N={fmt_n(r.n):5s}: RMST(36) {x['rmst0']:.4f} (SE {x['se0']:.4f}) vs "
                f"{x['rmst1']:.4f} (SE {x['se1']:.4f}); Delta {x['delta']:.4f} "
                f"[{x['delta_lo']:.4f}, {x['delta_hi']:.4f}]"
            )
    return lines


def targets(rows: list[Row]) -> list[str]:
    by_key = {(r.case, r.n, r.method): r for r in rows}
    out = []

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    for pm in ("package", "package_by"):
        for (case, n, method), r in sorted(by_key.items(), key=lambda kv: (kv[0][0], kv[0][1])):
            if method != pm:
                continue
            ref = by_key.get((case, n, "bare_ref"))
            if ref and ref.seconds > 0:
                q = r.seconds / ref.seconds
                lim = 1.5 if case == "int" else 2.0
                what = "bare bincount ref" if case == "int" else "np.unique ref"
                out.append(
                    f"[{verdict(q <= lim)}] {pm:10s} {case:5s} N={fmt_n(n):5s} within {lim}x of {what}: {q:.2f}x"
                )
            uo = by_key.get((case, n, "unique_only"))
            if uo and uo.seconds > 0:
                q = r.seconds / uo.seconds
                out.append(
                    f"[{verdict(q <= 2.0)}] {pm:10s} {case:5s} N={fmt_n(n):5s} within 2.0x of "
                    f"np.unique(return_inverse) alone: {q:.2f}x"
                )
            ll = by_key.get((case, n, "lifelines"))
            if ll and n >= 10**6:
                q = ll.seconds / r.seconds
                out.append(
                    f"[{verdict(q >= 10)}] {pm:10s} {case:5s} N={fmt_n(n):5s} >= 10x faster than lifelines: {q:.1f}x"
                )
            if n == 10**7 and case == "int":
                out.append(
                    f"[{verdict(r.seconds < 0.25)}] {pm:10s} {case:5s} N=10^7 under 0.25 s: {fmt_time(r.seconds)}"
                )
            if n == 10**7 and not math.isnan(r.peak_mb):
                out.append(
                    f"[{verdict(r.peak_mb < 1000)}] {pm:10s} {case:5s} N=10^7 peak memory under 1 GB: "
                    f"{r.peak_mb:,.0f} MB"
                )
    return out


# ------------------------------------------------------------------ profile


def line_timer(fn, *args):
    """Inclusive wall time per source line of survival_invest (line_profiler semantics, via sys.settrace)."""
    stats: dict[tuple[str, int], list[float]] = {}
    state: dict[int, tuple[int, float]] = {}

    def local(frame, event, arg):
        now = time.perf_counter()
        key = id(frame)
        if key in state:
            line, t0 = state[key]
            s = stats.setdefault((frame.f_code.co_filename, line), [0.0, 0])
            s[0] += now - t0
            s[1] += 1
        if event == "return":
            state.pop(key, None)
        else:
            state[key] = (frame.f_lineno, time.perf_counter())
        return local

    def glob(frame, event, arg):
        if "survival_invest" in frame.f_code.co_filename:
            state[id(frame)] = (frame.f_lineno, time.perf_counter())
            return local
        return None

    sys.settrace(glob)
    try:
        fn(*args)
    finally:
        sys.settrace(None)
    return stats


def profile_main(n: int, seed: int, case: str) -> None:
    import cProfile
    import io
    import linecache
    import pstats

    warnings.simplefilter("ignore")
    import survival_invest  # noqa: F401  # loaded here so that import time stays out of the timing

    run_package(make_data(case, 64, seed))
    data = make_data(case, n, seed)
    for name, fn in (("package", run_package), ("package_by", run_package_by)):
        fn(data)  # warm-up (first touch of memory at this size)
        t0 = time.perf_counter()
        fn(data)
        print(f"\n=== {name}: {case} durations, N = {fmt_n(n)}; untraced call {fmt_time(time.perf_counter() - t0)}")
        pr = cProfile.Profile()
        pr.enable()
        fn(data)
        pr.disable()
        s = io.StringIO()
        pstats.Stats(pr, stream=s).sort_stats("tottime").print_stats(12)
        print("--- cProfile, top 12 by own time")
        print("\n".join(s.getvalue().splitlines()[6:]))
        t0 = time.perf_counter()
        stats = line_timer(fn, data)
        total = time.perf_counter() - t0
        print("--- line timing (inclusive of callees; % of the traced call), top 15 lines in src/")
        src_lines = [(k, v) for k, v in stats.items() if "survival_invest" in k[0]]
        for (f, ln), (t, hits) in sorted(src_lines, key=lambda kv: -kv[1][0])[:15]:
            short = f.split("src/")[-1]
            print(
                f"{t * 1e3:8.1f} ms {100 * t / total:5.1f}% {hits:4d} hits  {short}:{ln}  "
                f"{linecache.getline(f, ln).strip()[:90]}"
            )


# ------------------------------------------------------------------ main


def parse_sizes(text: str) -> list[int]:
    return [int(float(x)) for x in text.split(",") if x.strip()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1e5,1e6,1e7", help="total N (both groups), integer durations")
    ap.add_argument("--float-sizes", default="1e6,1e7", help="total N for float durations ('' to skip)")
    ap.add_argument(
        "--repeats", type=int, default=5, help="max timed repeats per cell (slow cells get fewer, see --budget)"
    )
    ap.add_argument("--budget", type=float, default=8.0, help="stop repeating a cell after this many seconds")
    ap.add_argument("--methods", default=",".join(METHODS), help="comma-separated subset of " + ",".join(METHODS))
    ap.add_argument(
        "--prefault-gib",
        type=float,
        default=3.0,
        help="touch and free this much memory before timing (VM first-touch cost; 0 = off)",
    )
    ap.add_argument(
        "--default-malloc",
        action="store_true",
        help="time with glibc's default allocator settings (noisy on this VM, see README)",
    )
    ap.add_argument("--no-memory", action="store_true", help="skip the subprocess peak-memory runs")
    ap.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    ap.add_argument("--seed", type=int, default=20261124)
    ap.add_argument(
        "--profile",
        nargs="?",
        const="int",
        choices=("int", "float"),
        help="profile the package (cProfile + line timing) at the largest --sizes and exit",
    )
    ap.add_argument("--_child", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args._child:
        case, n, method, seed = args._child
        child_main(case, int(n), method, int(seed))
        return
    if not args.default_malloc and os.environ.get("MALLOC_MMAP_MAX_") != "0":
        # Re-run this process with glibc's malloc keeping freed memory (see README, "Allocator"):
        # on this VM, memory returned to the OS is handed back to the host after ~2 s
        # (virtio-balloon free page reporting) and costs ~3.5 s/GB to touch again, which
        # made 10^7 timings swing by 2x depending on what ran before. All libraries run
        # under the same setting; the memory children use the default allocator.
        env = dict(os.environ, MALLOC_MMAP_MAX_="0", MALLOC_TRIM_THRESHOLD_=str(1 << 62), MALLOC_TOP_PAD_="0")
        sys.stdout.flush()
        os.execve(sys.executable, [sys.executable, os.path.abspath(__file__), *sys.argv[1:]], env)
    if args.profile:
        profile_main(max(parse_sizes(args.sizes)), args.seed, args.profile)
        return

    warnings.simplefilter("ignore")
    methods = [m for m in args.methods.split(",") if m]
    cases = [("int", n) for n in parse_sizes(args.sizes)] + [("float", n) for n in parse_sizes(args.float_sizes)]

    import platform

    import survival_invest

    print(
        f"# python {platform.python_version()}, numpy {np.__version__}, survival_invest "
        f"{survival_invest.__version__}, {os.cpu_count()} cpus; tau = {TAU:g}; seed {args.seed}",
        flush=True,
    )
    prefault(args.prefault_gib)
    for m in methods:  # warm-up: imports and first-call caches, both cases
        import_method(m)
        RUNNERS[m](make_data("int", 1000, args.seed))
        RUNNERS[m](make_data("float", 1000, args.seed))

    rows: list[Row] = []
    t_start = time.perf_counter()
    for case, n in cases:
        data = make_data(case, n, args.seed)
        rep = args.repeats  # the per-cell --budget gives the slow cells (10^7) fewer repeats
        for m in methods:
            if m == "unique_only" and case != "float":
                continue
            sec, k, res = time_method(m, data, rep, args.budget)
            rows.append(Row(case, n, m, sec, k, result=res))
            print(f"  timed {case:5s} N={fmt_n(n):5s} {m:10s} {fmt_time(sec):>10s} x{k}", file=sys.stderr, flush=True)
        del data
        gc.collect()
    if not args.no_memory:
        for r in rows:
            if r.method == "unique_only":
                continue
            r.peak_mb, r.mem_how = measure_memory(r.case, r.n, r.method, args.seed)
            print(
                f"  memory {r.case:5s} N={fmt_n(r.n):5s} {r.method:10s} {r.peak_mb:10.1f} MB",
                file=sys.stderr,
                flush=True,
            )

    head, body = build_table(rows)
    print()
    print(render(head, body, args.markdown))
    print()
    print("Agreement (same data, same run):")
    for line in agreement(rows):
        print(("- " if args.markdown else "") + line.strip())
    print()
    print("Targets (information only):")
    for line in targets(rows):
        print(("- " if args.markdown else "") + line)
    print(f"\n# total wall time {time.perf_counter() - t_start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
