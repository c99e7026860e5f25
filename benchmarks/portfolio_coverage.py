"""Coverage of the portfolio's 95 % interval of realised saved full-time persons and kroner, cases sharing persons.

Usage::

    python benchmarks/portfolio_coverage.py                       # 200 portfolios per design, one process
    python benchmarks/portfolio_coverage.py --quick               # 10 portfolios per design
    python benchmarks/portfolio_coverage.py --portfolios 50 --seed 7 --jobs 1 --out rows.csv

Design
------
Each of ``--portfolios`` synthetic portfolios ``k`` (seed ``--seed + k``) is
simulated by :func:`survival_invest.synthetic.simulate_portfolio` (as of
2022-06, data lag 2: cut-off 2022-04) with the four Norddjurs cases
(``NORDDJURS_CASES``; first exit, non-participants as comparison, as
``examples/norddjurs.toml`` says), and measured in two layouts:

* **shared**: :func:`survival_invest.synthetic.shared.share_comparison` puts
  cases 1 and 2 on one target group and 3 and 4 on another (the second case of
  a pair takes the first's non-participants as its comparison group), so the
  pair's figures rest on the same comparison curve;
* **disjoint**: every case has its own persons (the generator's layout).

Each case's published realised interval is the delta method's
(:func:`survival_invest.economics.realised_savings`). The portfolio's figure of
a year (and the total over 2020-2022, year ``total``) is the sum of the four
cases', with three intervals from
:func:`survival_invest.economics.portfolio.portfolio_rows`:

===============  ===========================================================
``joint``        the cases' half-widths combined with the correlation of
                 their person-level influences clustered by person across
                 cases (:mod:`survival_invest.economics.joint`)
``quadrature``   root of the sum of squares (independent cases)
``linear``       the sum of the half-widths (perfectly correlated cases)
===============  ===========================================================

**Truth**: the sum over the cases of
:func:`survival_invest.synthetic.truth.realised_truth` (the true
``S_comparison - S_intervention`` over the participant-months each figure
counts, priced as the estimator prices them). Shares covering are given per
layout, measure and year, with their Monte-Carlo SE ``sqrt(p (1 - p) / n)``,
and the mean half-width beside the spread (SD) of the portfolio's error.
Nothing is asserted.
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
LAYOUTS = ("shared", "disjoint")
RULES = ("joint", "quadrature", "linear")
MEASURES = {"saved_fte": "saved_fte", "savings_kr": "savings"}  # YearFigures column -> results measure


def _case_rows(case_id: str, figures, z: float) -> list[dict]:
    """Results-table rows (positive savings) of a case's realised figures: value and normal limits."""
    rows = []
    f = figures.frame
    for column, measure in MEASURES.items():
        scale = 1.0 if measure == "saved_fte" else 1e-6
        for r in f.itertuples(index=False):  # three years
            v, se = getattr(r, column) * scale, getattr(r, f"{column}_se") * scale
            rows.append(dict(case_id=case_id, year=int(r.year), measure=measure, kind="realised", value=v,
                             lower=v - z * se, upper=v + z * se, unit="x"))  # fmt: skip
    return rows


def _layout_rows(k: int, layout: str, data, alpha: float) -> list[dict]:
    """One row per rule, year and measure of one portfolio in one layout."""
    import survival_invest as si
    from survival_invest.economics import realised_savings
    from survival_invest.economics.joint import case_contributions, joint_correlation
    from survival_invest.economics.portfolio import ALL_YEARS, portfolio_rows
    from survival_invest.estimate.summaries import z_value
    from survival_invest.stats import case_statistics
    from survival_invest.synthetic import NORDDJURS_CASES
    from survival_invest.synthetic.truth import realised_truth

    config = si.load_config(ROOT / "examples" / "norddjurs.toml")
    spells, members = data
    z, results, truths, parts = z_value(alpha), [], [], {}
    for spec in NORDDJURS_CASES:  # four cases
        case = config.case(spec.case_id)
        cohort = si.build_cohort(spells, members, case_id=case.id, as_of="2022-06", data_lag=2)
        stats = case_statistics(cohort)
        idx, lvl = config.run.price_index, config.run.price_level
        fig = realised_savings(stats, case, price_index=idx, price_level=lvl, refusion=config.refusion, alpha=alpha)
        results += _case_rows(case.id, fig, z)
        truths.append(realised_truth(stats, spec, case, config).set_index("year"))
        parts[case.id] = case_contributions(cohort, case, config, stats)
    frame = pd.DataFrame(results)
    truth = sum(t[list(MEASURES)] for t in truths)
    truth.loc[ALL_YEARS] = truth.sum()
    truth = truth.rename(columns={"savings_kr": "savings"}).assign(savings=lambda t: t["savings"] / 1e6)
    by_rule = {
        "joint": portfolio_rows(frame, independent=False, correlation=joint_correlation(parts)),
        "quadrature": portfolio_rows(frame, independent=True),
        "linear": portfolio_rows(frame, independent=False),
    }
    out = []
    for rule, p in by_rule.items():
        for r in p[p["measure"].isin(MEASURES.values())].itertuples(index=False):
            year = "total" if r.year == ALL_YEARS else str(r.year)
            out.append(dict(portfolio=k, layout=layout, rule=rule, year=year, measure=r.measure,
                            truth=float(truth.loc[r.year, r.measure]), estimate=float(r.value),
                            lower=float(r.lower), upper=float(r.upper)))  # fmt: skip
    return out


def one_portfolio(k: int, seed: int, alpha: float) -> list[dict]:
    """Portfolio ``k`` in both layouts: one row per layout, rule, year and measure."""
    from survival_invest.io.readers import memberships_from_frame, spells_from_frame
    from survival_invest.synthetic import simulate_portfolio
    from survival_invest.synthetic.shared import share_comparison

    t0 = time.perf_counter()
    spells, members, _ = simulate_portfolio(as_of="2022-06", data_lag=2, seed=seed + k)
    source = f"portfolio seed {seed + k}"
    sp = spells_from_frame(spells, source=source)
    rows = []
    for layout in LAYOUTS:
        m = share_comparison(members) if layout == "shared" else members
        rows += _layout_rows(k, layout, (sp, memberships_from_frame(m, source=source)), alpha)
    for row in rows:
        row["portfolio_s"] = (time.perf_counter() - t0) / len(rows)
    return rows


def _share(covered: pd.Series) -> str:
    p, n = float(covered.mean()), int(covered.shape[0])
    return f"{100 * p:.1f} ± {100 * np.sqrt(p * (1 - p) / n):.1f}"


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    """Coverage per layout, measure and year for each rule, with mean half-width / SD of the error."""
    rows = rows.assign(
        covered=(rows["lower"] <= rows["truth"]) & (rows["truth"] <= rows["upper"]),
        error=rows["estimate"] - rows["truth"],
        half=(rows["upper"] - rows["lower"]) / 2,
    )
    lines = []
    for (layout, measure, year), g in rows.groupby(["layout", "measure", "year"], sort=True):
        line = {"layout": layout, "measure": "saved FTE" if measure == "saved_fte" else "mio. kr", "year": year}
        line["portfolios"] = str(g["portfolio"].nunique())
        for rule in RULES:
            gr = g[g["rule"] == rule]
            line[rule] = _share(gr["covered"])
        sd = float(g.loc[g["rule"] == "joint", "error"].std(ddof=1))
        widths = " / ".join(f"{g.loc[g['rule'] == r, 'half'].mean():.2f}" for r in RULES)
        line["half-widths (j/q/l) vs 1.96 SD"] = f"{widths} vs {1.96 * sd:.2f}"
        lines.append(line)
    order = {"shared": 0, "disjoint": 1}
    table = pd.DataFrame(lines)
    return table.sort_values(["layout", "measure", "year"], key=lambda s: s.map(order) if s.name == "layout" else s)


def markdown(table: pd.DataFrame) -> str:
    cols = list(table.columns)
    left = {"layout", "measure", "year"}
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" if c in left else "---:" for c in cols) + "|"]
    for r in table.itertuples(index=False):
        lines.append("| " + " | ".join(str(v) for v in r) + " |")
    return "\n".join(lines)


def _run(args) -> list[dict]:
    ks = list(range(args.portfolios))
    n = len(ks)
    if args.jobs == 1:
        parts = [one_portfolio(k, args.seed, args.alpha) for k in ks]  # portfolios, not persons
    else:
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            parts = list(pool.map(one_portfolio, ks, [args.seed] * n, [args.alpha] * n, chunksize=1))
    return [r for part in parts for r in part]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--portfolios", type=int, default=200, help="synthetic portfolios per layout (default 200)")
    parser.add_argument("--seed", type=int, default=0, help="portfolio k is simulated with seed + k (default 0)")
    parser.add_argument("--alpha", type=float, default=0.05, help="1 - level of the intervals (default 0.05)")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1: the machine is shared)")
    parser.add_argument("--quick", action="store_true", help="10 portfolios")
    parser.add_argument("--out", type=Path, help="also write one row per interval to this CSV file")
    args = parser.parse_args(argv)
    if args.quick:
        args.portfolios = min(args.portfolios, 10)
    if args.portfolios < 2 or args.jobs < 1:
        parser.error("--portfolios must be >= 2, --jobs >= 1")

    t0 = time.perf_counter()
    rows = pd.DataFrame(_run(args))
    wall = time.perf_counter() - t0
    if args.out:
        rows.to_csv(args.out, index=False)

    import survival_invest

    level = 100 * (1 - args.alpha)
    print(f"# Coverage of the portfolio's {level:g} % interval, cases sharing persons ({date.today()})\n")
    print(
        f"Command: `python benchmarks/portfolio_coverage.py {' '.join(argv if argv is not None else sys.argv[1:])}`".rstrip()
        + f"  \nPortfolios: {args.portfolios} per layout (seeds {args.seed}..{args.seed + args.portfolios - 1}), "
        f"alpha = {args.alpha}, {args.jobs} worker process(es)  \n"
        f"survival-invest {survival_invest.__version__}, Python {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} cores  \nWall time: {wall:.0f} s "
        f"({rows.groupby('portfolio')['portfolio_s'].sum().mean():.1f} s per portfolio, both layouts)\n"
    )
    print(markdown(summarise(rows)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
