"""Coverage of the intervals of realised saved full-time persons: delta method vs bootstrap.

Usage::

    python benchmarks/coverage.py                          # 200 portfolios, B = 200, both cores
    python benchmarks/coverage.py --quick                  # 20 portfolios, B = 100 (about half a minute)
    python benchmarks/coverage.py --portfolios 50 --boot 500 --seed 7 --jobs 1 --out rows.csv

Design
------
Each of ``--portfolios`` synthetic portfolios is simulated by
:func:`survival_invest.synthetic.simulate_portfolio` with seed ``--seed + k``
(as of 2022-06, data lag 2, so the cut-off is 2022-04) and has the four
survival cases of the Norddjurs example at their published sizes
(target / intervention: 300/60, 300/40, 534/184, 534/40; entries through 2020;
returns to support, benefit switches and censor codes as in the generator).
Each case's cohort is built as ``examples/norddjurs.toml`` says
(non-participants as comparison, first exit, durable exit 1, horizon 36,
prices and refusion staircase of the example).

For every case and calendar year (2020, 2021, and 2022 up to the cut-off):

* **delta**: the interval of :func:`survival_invest.economics.realised_savings`
  (estimate ± z · delta-method SE);
* **bootstrap**: the percentile interval of
  :func:`survival_invest.bootstrap_savings` with ``--boot`` replicates (persons
  resampled within group; seeded per portfolio and case);
* **truth**: :func:`survival_invest.synthetic.truth.realised_truth`, i.e. for
  the participant-months the realised figure counts, the sum of the *true*
  ``S_comparison(t) - S_intervention(t)`` of the simulation model, priced as the
  estimator prices them. It conditions on who entered when and how long each
  participant was followed, which is what the realised figure estimates.

An interval *covers* when ``lower <= truth <= upper``. The table gives the share
covered per case and year, pooled rows, and the Monte-Carlo standard error of
each share, ``sqrt(p (1 - p) / n)``; also the empirical standard deviation of
``estimate - truth`` across portfolios next to the mean delta-method and
bootstrap standard errors (a share far from 95 % is explained there), and the
mean error. Nothing is asserted; the numbers are printed as measured.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
CASES = ("1", "2", "3", "4")
MEASURES = ("saved_fte", "savings_kr")

_CONFIG = None


def _config():
    global _CONFIG
    if _CONFIG is None:
        from survival_invest import load_config

        _CONFIG = load_config(ROOT / "examples" / "norddjurs.toml")
    return _CONFIG


def one_portfolio(k: int, seed: int, n_boot: int, alpha: float) -> list[dict]:
    """Simulate portfolio ``k`` and return one row per case, year and measure."""
    import survival_invest as si
    from survival_invest.estimate.summaries import z_value
    from survival_invest.io.readers import memberships_from_frame, spells_from_frame
    from survival_invest.stats import case_statistics
    from survival_invest.synthetic import NORDDJURS_CASES, simulate_portfolio
    from survival_invest.synthetic.truth import realised_truth

    config = _config()
    z = z_value(alpha)
    t0 = time.perf_counter()
    spells, members, _ = simulate_portfolio(NORDDJURS_CASES, as_of="2022-06", data_lag=2, seed=seed + k)
    spells = spells_from_frame(spells, source=f"portfolio {k}")
    members = memberships_from_frame(members, source=f"portfolio {k}")
    rows = []
    for j, spec in enumerate(NORDDJURS_CASES):  # four cases
        case = config.case(spec.case_id)
        cohort = si.build_cohort(
            spells,
            members,
            case_id=case.id,
            as_of="2022-06",
            data_lag=2,
            durable_exit=case.durable_exit,
            comparison=case.comparison,
            curve=case.curve,
        )
        tb = time.perf_counter()
        rng = np.random.default_rng([seed, k, j])
        boot = si.bootstrap_savings(cohort, case, config, n_boot=n_boot, seed=rng, alpha=alpha, forecast=False)
        boot_s = time.perf_counter() - tb
        truth = realised_truth(case_statistics(cohort), spec, case, config).set_index("year")
        for measure in MEASURES:
            f = boot.interval("realised", measure)
            for r in f.itertuples(index=False):  # three years
                rows.append(
                    {
                        "portfolio": k,
                        "case_id": case.id,
                        "year": int(r.year),
                        "measure": measure,
                        "truth": float(truth.loc[r.year, measure]),
                        "estimate": r.value,
                        "delta_se": r.delta_se,
                        "delta_lower": r.value - z * r.delta_se,
                        "delta_upper": r.value + z * r.delta_se,
                        "boot_se": r.se,
                        "boot_lower": r.lower,
                        "boot_upper": r.upper,
                        "boot_s": boot_s / 6,
                    }
                )
    for row in rows:
        row["portfolio_s"] = (time.perf_counter() - t0) / len(rows)
    return rows


def _share(covered: pd.Series) -> str:
    p, n = float(covered.mean()), int(covered.shape[0])
    return f"{100 * p:.1f} % ± {100 * np.sqrt(p * (1 - p) / n):.1f}"


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    """Coverage per case and year (saved full-time persons) and pooled rows."""
    rows = rows.assign(
        delta_cover=(rows["delta_lower"] <= rows["truth"]) & (rows["truth"] <= rows["delta_upper"]),
        boot_cover=(rows["boot_lower"] <= rows["truth"]) & (rows["truth"] <= rows["boot_upper"]),
        error=rows["estimate"] - rows["truth"],
    )

    def line(label_case: str, label_year: str, measure: str, g: pd.DataFrame) -> dict:
        scale = 1.0 if measure == "saved_fte" else 1e3
        spread = (
            {  # across cases these would mix different scales: shown per case and year only
                "mean error": f"{g['error'].mean() / scale:.3g}",
                "sd(estimate - truth)": f"{g['error'].std(ddof=1) / scale:.3g}",
                "mean delta SE": f"{g['delta_se'].mean() / scale:.3g}",
                "mean bootstrap SE": f"{g['boot_se'].mean() / scale:.3g}",
            }
            if label_case != "all"
            else dict.fromkeys(("mean error", "sd(estimate - truth)", "mean delta SE", "mean bootstrap SE"), "-")
        )
        return {
            "measure": "saved FTE" if measure == "saved_fte" else "kroner (1,000 kr.)",
            "case": label_case,
            "year": label_year,
            "intervals": len(g),
            "delta coverage": _share(g["delta_cover"]),
            "bootstrap coverage": _share(g["boot_cover"]),
            **spread,
        }

    out = []
    fte = rows[rows["measure"] == "saved_fte"]
    for (case_id, year), g in fte.groupby(["case_id", "year"], sort=True):  # 12 cells
        out.append(line(case_id, str(year), "saved_fte", g))
    for year, g in fte.groupby("year", sort=True):
        out.append(line("all", str(year), "saved_fte", g))
    out.append(line("all", "all", "saved_fte", fte))
    kr = rows[rows["measure"] == "savings_kr"]
    for year, g in kr.groupby("year", sort=True):
        out.append(line("all", str(year), "savings_kr", g))
    out.append(line("all", "all", "savings_kr", kr))
    return pd.DataFrame(out)


def markdown(table: pd.DataFrame) -> str:
    cols = list(table.columns)
    right = {
        "intervals",
        "delta coverage",
        "bootstrap coverage",
        "mean error",
        "sd(estimate - truth)",
        "mean delta SE",
        "mean bootstrap SE",
    }
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---:" if c in right else "---" for c in cols) + "|"]
    for r in table.itertuples(index=False):
        lines.append("| " + " | ".join(str(v) for v in r) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--portfolios", type=int, default=200, help="synthetic portfolios (default 200)")
    parser.add_argument("--boot", type=int, default=200, help="bootstrap replicates per case (default 200)")
    parser.add_argument("--seed", type=int, default=0, help="portfolio k is simulated with seed + k (default 0)")
    parser.add_argument("--alpha", type=float, default=0.05, help="1 - level of the intervals (default 0.05)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (default: all cores)")
    parser.add_argument("--quick", action="store_true", help="20 portfolios, B = 100")
    parser.add_argument("--out", type=Path, help="also write one row per interval to this CSV file")
    args = parser.parse_args(argv)
    if args.quick:
        args.portfolios, args.boot = min(args.portfolios, 20), min(args.boot, 100)
    if args.portfolios < 2 or args.boot < 2 or args.jobs < 1:
        parser.error("--portfolios and --boot must be >= 2, --jobs >= 1")

    t0 = time.perf_counter()
    ks = list(range(args.portfolios))
    if args.jobs == 1:
        parts = [one_portfolio(k, args.seed, args.boot, args.alpha) for k in ks]  # portfolios, not persons
    else:
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            n = len(ks)
            parts = list(
                pool.map(
                    one_portfolio,
                    ks,
                    [args.seed] * n,
                    [args.boot] * n,
                    [args.alpha] * n,
                    chunksize=max(1, n // (4 * args.jobs)),
                )
            )
    wall = time.perf_counter() - t0
    rows = pd.DataFrame([r for part in parts for r in part])
    if args.out:
        rows.to_csv(args.out, index=False)

    import survival_invest

    level = 100 * (1 - args.alpha)
    print(f"# Coverage of {level:g} % intervals of realised saved full-time persons ({date.today().isoformat()})\n")
    print(
        f"Command: `python benchmarks/coverage.py {' '.join(argv if argv is not None else sys.argv[1:])}`".rstrip()
        + f"  \nPortfolios: {args.portfolios} (seeds {args.seed}..{args.seed + args.portfolios - 1}), "
        f"bootstrap replicates B = {args.boot}, alpha = {args.alpha}, {args.jobs} worker process(es)  \n"
        f"survival-invest {survival_invest.__version__}, Python {platform.python_version()}, "
        f"numpy {np.__version__}, pandas {pd.__version__}, {os.cpu_count()} cores\n"
    )
    print(markdown(summarise(rows)))
    boot_total = rows.groupby(["portfolio", "case_id"])["boot_s"].sum().sum()
    per_portfolio = rows.groupby("portfolio")["portfolio_s"].sum()
    print(
        f"\nRun time: {wall:.0f} s wall clock ({wall / 60:.1f} min); per portfolio {per_portfolio.mean():.2f} s "
        f"in one process (simulate, 4 cohorts, 4 bootstraps), of which bootstrap_savings "
        f"{boot_total / args.portfolios:.2f} s (B = {args.boot}, 4 cases)."
    )
    print(
        "Coverage = share of intervals with lower <= truth <= upper, ± its Monte-Carlo standard error "
        "sqrt(p (1 - p) / n)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
