"""Coverage of the 95 % intervals of realised saved full-time persons and kroner, for every interval the engine has.

Usage::

    python benchmarks/coverage.py                          # 200 portfolios, B = 200, both cores
    python benchmarks/coverage.py --quick                  # 20 portfolios, B = 100
    python benchmarks/coverage.py --portfolios 50 --boot 500 --seed 7 --jobs 1 --out rows.csv
    python benchmarks/coverage.py --methods bootstrap matched_boot   # only these intervals

Design
------
Each of ``--portfolios`` synthetic portfolios ``k`` is simulated twice by
:func:`survival_invest.synthetic.simulate_portfolio` (as of 2022-06, data lag
2, so the cut-off is 2022-04), each with the four survival cases of the
Norddjurs example at their published sizes (target / intervention: 300/60,
300/40, 534/184, 534/40; entries during 2020):

* **standard** (seed ``--seed + k``): the generator's defaults (returns to
  support, benefit switches, censor codes). Each case's cohort is built as
  ``examples/norddjurs.toml`` says (non-participants as comparison, first exit,
  durable exit 1, horizon 36, prices and refusion of the example), and once
  more on the occupancy clock;
* **memoryless** (seed ``--seed + k + 100000``): the same cases with a constant
  comparison hazard (0.03 a month) and no returns to support, for the
  **matched** comparison. A matched control's clock starts at the participant's
  entry, part-way through the control's own spell; only with a constant hazard
  and no returns is the controls' true curve still the comparison curve of the
  model, so that the truth is known.

Intervals (estimate ± z · SE, or percentiles for the bootstrap), per case and year:

=====================  ==========================================================
``delta``              :func:`survival_invest.economics.realised_savings` (first exit:
                       comparison Greenwood + the participants' exact window variance)
``bootstrap``          :func:`survival_invest.bootstrap_savings`, ``--boot`` replicates,
                       persons resampled within group, percentile interval
``ipw_robust``         IPW (ATT) weights from the propensity on the baseline covariates
                       (:mod:`survival_invest.adjust.ipw`), weighted figures with the
                       robust person-level variance, weights held fixed
                       (:func:`survival_invest.economics.influence.person_savings`)
``occupancy``          occupancy clock, person-level (cluster-by-person) variance
``occupancy_cells``    occupancy clock, the statistics-only variance (months independent;
                       what an SQL engine gives): shown to measure the approximation
``matched``            matched comparison, person-level variance clustered two ways, by
                       matched set and by person (the published interval)
``matched_sets``       the same clustered by matched set only (a reused control's sets
                       taken as independent)
``matched_boot``       matched comparison, :func:`survival_invest.bootstrap_savings`
                       drawing the matched sets and the controls reused across sets
                       (:func:`survival_invest.estimate.bootstrap.crossed_counts`)
``adjusted_aipw``      ``comparison = "adjusted"`` on the standard design, ATT adjusted for
                       ``prior_weeks`` and ``benefit_group``: the report's realised figures
                       (:func:`survival_invest.pipeline.adjusted.adjusted_realised`), interval
                       from the influence function with the nuisance fits (AIPW)
``adjusted_ipw``       the same with ``method = "ipw"`` (the propensity fit included)
``adjusted_gformula``  the same with ``method = "gformula"`` (the outcome fit included)
=====================  ==========================================================

**Truth**: for the participant-months the realised figure counts, the sum of the
*true* ``S_comparison(t) - S_intervention(t)`` of the simulation model (on the
occupancy clock the true shares on support, from the model's monthly chain:
first spell, then off/on with the return and re-leave probabilities), priced
as the estimator prices them. It conditions on who entered when and how long
each was followed, which is what a realised figure estimates.

An interval *covers* when ``lower <= truth <= upper``. Shares are pooled over
the four cases per calendar year and given per case and year, each with its
Monte-Carlo standard error ``sqrt(p (1 - p) / n)``. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
MEASURES = ("saved_fte", "savings_kr")
METHODS = (
    "delta",
    "bootstrap",
    "ipw_robust",
    "occupancy",
    "occupancy_cells",
    "matched",
    "matched_sets",
    "matched_boot",
    "adjusted_aipw",
    "adjusted_ipw",
    "adjusted_gformula",
)
MEMORYLESS_SEED = 100_000

_CONFIG = None


def _config():
    global _CONFIG
    if _CONFIG is None:
        from survival_invest import load_config

        _CONFIG = load_config(ROOT / "examples" / "norddjurs.toml")
    return _CONFIG


def true_occupancy(spec, group: str, horizon: int, p_return: float, p_releave: float) -> np.ndarray:
    """True share on support at ``t = 0 .. horizon-1`` of the generator's monthly chain (first spell, off, on)."""
    first, off, on = 1.0, 0.0, 0.0
    out = np.empty(horizon)
    out[0] = 1.0
    for t in range(1, horizon):  # months of one curve, not persons
        h = float(spec.hazard(group, np.array([t]))[0])
        first, off, on = (
            first * (1 - h),
            first * h + off * (1 - p_return) + on * p_releave,
            off * p_return + on * (1 - p_releave),
        )
        out[t] = first + on
    return out


def occupancy_truth(stats, spec, case, config, params: dict) -> pd.DataFrame:
    """``year, saved_fte, savings_kr`` true on the occupancy clock for the followed participant-months."""
    from survival_invest.economics.prices import month_prices

    h = int(case.horizon)
    part = stats.participants
    part = part[(part["t"] < h) & (part["followed"] > 0)]
    t = part["t"].to_numpy().astype(np.int64)
    pr, pl = params["p_return"], params["p_releave"]
    delta = true_occupancy(spec, "comparison", h, pr, pl) - true_occupancy(spec, "intervention", h, pr, pl)
    saved = part["followed"].to_numpy().astype(np.float64) * delta[t]
    kr, _ = month_prices(
        part,
        case,
        week_factor=stats.week_factor,
        price_index=config.run.price_index,
        price_level=config.run.price_level,
        refusion=config.refusion,
    )
    frame = pd.DataFrame({"year": part["month"].to_numpy() // 12, "saved_fte": saved / 12.0, "savings_kr": saved * kr})
    return frame.groupby("year", as_index=False).sum()


def _rows_of(k: int, case_id: str, method: str, truth: pd.DataFrame, limits: dict[str, pd.DataFrame]) -> list[dict]:
    """One row per year and measure: ``limits[measure]`` has ``year, value, se, lower, upper``."""
    t = truth.set_index("year")
    rows = []
    for measure in MEASURES:
        for r in limits[measure].itertuples(index=False):  # three years
            if r.year not in t.index:
                continue
            rows.append(
                {
                    "portfolio": k,
                    "case_id": case_id,
                    "year": int(r.year),
                    "measure": measure,
                    "method": method,
                    "truth": float(t.loc[r.year, measure]),
                    "estimate": float(r.value),
                    "se": float(r.se),
                    "lower": float(r.lower),
                    "upper": float(r.upper),
                }
            )
    return rows


def _delta_limits(figures, z: float) -> dict[str, pd.DataFrame]:
    """``year, value, se, lower, upper`` per measure of a YearFigures (normal interval)."""
    f = figures.frame
    return {
        m: pd.DataFrame(
            {
                "year": f["year"],
                "value": f[m],
                "se": f[f"{m}_se"],
                "lower": f[m] - z * f[f"{m}_se"],
                "upper": f[m] + z * f[f"{m}_se"],
            }
        )
        for m in MEASURES
    }


def _boot_limits(boot) -> dict[str, pd.DataFrame]:
    return {m: boot.interval("realised", m)[["year", "value", "se", "lower", "upper"]] for m in MEASURES}


def _ipw_weights(persons: pd.DataFrame) -> np.ndarray:
    from survival_invest.adjust.ipw import design_matrix, ipw_weights, propensity

    treated = (persons["group"] == "intervention").to_numpy()
    return ipw_weights(propensity(design_matrix(persons, None), treated), treated, estimand="att")


def _simulate(specs, seed: int, params: dict | None = None):
    from survival_invest.io.readers import memberships_from_frame, spells_from_frame
    from survival_invest.synthetic import simulate_portfolio

    spells, members, truth = simulate_portfolio(specs, as_of="2022-06", data_lag=2, seed=seed, **(params or {}))
    source = f"portfolio seed {seed}"
    return spells_from_frame(spells, source=source), memberships_from_frame(members, source=source), truth


def _cohort(spells, members, case, comparison: str, curve: str):
    import survival_invest as si

    return si.build_cohort(
        spells,
        members,
        case_id=case.id,
        as_of="2022-06",
        data_lag=2,
        durable_exit=case.durable_exit,
        comparison=comparison,
        curve=curve,
    )


def memoryless_cases():
    """The Norddjurs cases with a constant comparison hazard (the matched design's known truth)."""
    from survival_invest.synthetic import NORDDJURS_CASES

    return tuple(replace(c, hazard_comparison=(0.03,) * len(c.hazard_comparison)) for c in NORDDJURS_CASES)


ADJUSTED = {"adjusted_aipw": "aipw", "adjusted_ipw": "ipw", "adjusted_gformula": "gformula"}
ADJUST_COVARIATES = ("prior_weeks", "benefit_group")
STANDARD = (*METHODS[:5], *ADJUSTED)  # measured on the standard design; the others on the memoryless (matched) one


def one_portfolio(k: int, seed: int, n_boot: int, alpha: float, methods: tuple[str, ...] = METHODS) -> list[dict]:
    """Simulate portfolio ``k`` (the designs ``methods`` need) and return one row per case, year, measure and method."""
    t0 = time.perf_counter()
    rows: list[dict] = []
    if set(methods) & set(STANDARD):
        rows += _standard_rows(k, seed, n_boot, alpha, methods)
    if set(methods) - set(STANDARD):
        rows += _matched_rows(k, seed, n_boot, alpha, methods)
    for row in rows:
        row["portfolio_s"] = (time.perf_counter() - t0) / len(rows)
    return rows


def _standard_rows(k: int, seed: int, n_boot: int, alpha: float, methods: tuple[str, ...]) -> list[dict]:
    """The standard design: delta, bootstrap, ipw_robust, adjusted_* (first exit), occupancy and occupancy_cells."""
    import survival_invest as si
    from survival_invest.economics.influence import person_savings
    from survival_invest.estimate.summaries import z_value
    from survival_invest.stats import case_statistics
    from survival_invest.synthetic import NORDDJURS_CASES
    from survival_invest.synthetic.truth import realised_truth

    config, z, rows = _config(), z_value(alpha), []
    spells, members, sim = _simulate(NORDDJURS_CASES, seed + k)
    for j, spec in enumerate(NORDDJURS_CASES):  # four cases
        case = config.case(spec.case_id)
        cohort = _cohort(spells, members, case, case.comparison, "first_exit")
        stats = case_statistics(cohort)
        truth = realised_truth(stats, spec, case, config)
        if "delta" in methods:
            rows += _rows_of(k, case.id, "delta", truth, _delta_limits(boot_points(stats, case, config, alpha), z))
        if "bootstrap" in methods:
            rng = np.random.default_rng([seed, k, j])
            boot = si.bootstrap_savings(cohort, case, config, n_boot=n_boot, seed=rng, alpha=alpha, forecast=False)
            rows += _rows_of(k, case.id, "bootstrap", truth, _boot_limits(boot))
        if "ipw_robust" in methods:
            w = _ipw_weights(cohort.persons)
            weighted = person_savings(cohort, case, config, weights=w, alpha=alpha, stats=stats)
            rows += _rows_of(k, case.id, "ipw_robust", truth, _delta_limits(weighted, z))
        rows += _adjusted_rows(k, cohort, stats, case, truth, methods, alpha)
        if not {"occupancy", "occupancy_cells"} & set(methods):
            continue
        occ_case = replace(case, curve="occupancy")
        occ = _cohort(spells, members, occ_case, case.comparison, "occupancy")
        occ_stats = case_statistics(occ)
        occ_truth = occupancy_truth(occ_stats, spec, occ_case, config, sim.params)
        if "occupancy" in methods:
            person_level = person_savings(occ, occ_case, config, alpha=alpha, stats=occ_stats)
            rows += _rows_of(k, case.id, "occupancy", occ_truth, _delta_limits(person_level, z))
        if "occupancy_cells" in methods:
            cells = boot_points(occ_stats, occ_case, config, alpha)
            rows += _rows_of(k, case.id, "occupancy_cells", occ_truth, _delta_limits(cells, z))
    return rows


def _adjusted_rows(k: int, cohort, stats, case, truth, methods: tuple[str, ...], alpha: float) -> list[dict]:
    """The realised figures of ``comparison = "adjusted"`` (ATT on prior weeks and benefit group), as the report's.

    The production path of :func:`survival_invest.pipeline.adjusted.adjusted_figures`: the case's adjusted curves
    with their influence matrices (nuisance fits included), then :func:`~survival_invest.pipeline.adjusted.
    adjusted_realised`. The cohort is the non-participants' one (what ``"adjusted"`` builds), so the truth is
    ``delta``'s.
    """
    from survival_invest.config.model import AdjustConfig
    from survival_invest.estimate.summaries import z_value
    from survival_invest.pipeline.adjusted import adjusted_realised, case_adjusted_curves

    config, z, rows = _config(), z_value(alpha), []
    for method, how in ADJUSTED.items():
        if method not in methods:
            continue
        adj = replace(case, comparison="adjusted", adjust=AdjustConfig(ADJUST_COVARIATES, method=how))
        fit = case_adjusted_curves(cohort, adj, config, alpha=alpha)
        real = adjusted_realised(stats, adj, config, fit, alpha=alpha)
        rows += _rows_of(k, case.id, method, truth, _delta_limits(real, z))
    return rows


def _matched_rows(k: int, seed: int, n_boot: int, alpha: float, methods: tuple[str, ...]) -> list[dict]:
    """The memoryless design: matched (two-way), matched_sets and matched_boot."""
    import survival_invest as si
    from survival_invest.economics.influence import person_savings
    from survival_invest.estimate.summaries import z_value
    from survival_invest.stats import case_statistics
    from survival_invest.synthetic.truth import realised_truth

    config, z, rows = _config(), z_value(alpha), []
    m_specs = memoryless_cases()
    spells, members, _ = _simulate(m_specs, seed + k + MEMORYLESS_SEED, {"p_return": 0.0})
    for j, spec in enumerate(m_specs):  # four cases
        case = replace(config.case(spec.case_id), comparison="matched")
        cohort = _cohort(spells, members, case, "matched", "first_exit")
        stats = case_statistics(cohort)
        truth = realised_truth(stats, spec, case, config)
        if "matched" in methods:
            two_way = person_savings(cohort, case, config, alpha=alpha, stats=stats)
            rows += _rows_of(k, case.id, "matched", truth, _delta_limits(two_way, z))
        if "matched_sets" in methods:
            sets = cohort.persons["matched_set"].to_numpy()
            by_set = person_savings(cohort, case, config, cluster=sets, alpha=alpha, stats=stats)
            rows += _rows_of(k, case.id, "matched_sets", truth, _delta_limits(by_set, z))
        if "matched_boot" in methods:
            rng = np.random.default_rng([seed, k, j, 1])
            boot = si.bootstrap_savings(cohort, case, config, n_boot=n_boot, seed=rng, alpha=alpha, forecast=False)
            rows += _rows_of(k, case.id, "matched_boot", truth, _boot_limits(boot))
    return rows


def boot_points(stats, case, config, alpha: float):
    """The statistics-only realised figures (:func:`~survival_invest.economics.realised_savings`)."""
    from survival_invest.economics import realised_savings

    idx, lvl = config.run.price_index, config.run.price_level
    return realised_savings(stats, case, price_index=idx, price_level=lvl, refusion=config.refusion, alpha=alpha)


def _share(covered: pd.Series) -> str:
    p, n = float(covered.mean()), int(covered.shape[0])
    return f"{100 * p:.1f} ± {100 * np.sqrt(p * (1 - p) / n):.1f}"


def summarise(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(pooled coverage per measure and year, case-year cells of saved FTE, SE against spread per case-year)."""
    rows = rows.assign(
        covered=(rows["lower"] <= rows["truth"]) & (rows["truth"] <= rows["upper"]),
        error=rows["estimate"] - rows["truth"],
    )
    methods = [m for m in METHODS if m in set(rows["method"])]
    pooled = []
    for measure in MEASURES:
        f = rows[rows["measure"] == measure]
        for year, g in [*f.groupby("year", sort=True), ("all", f)]:
            line = {"measure": "saved FTE" if measure == "saved_fte" else "kroner", "year": str(year)}
            line["intervals"] = str(int(g.groupby("method").size().min()))
            for m in methods:
                line[m] = _share(g.loc[g["method"] == m, "covered"])
            pooled.append(line)
    fte = rows[rows["measure"] == "saved_fte"]
    cells, spread = [], []
    for (case_id, year), g in fte.groupby(["case_id", "year"], sort=True):  # 12 cells
        line = {"case": case_id, "year": str(year), "intervals": str(int(g.groupby("method").size().min()))}
        sd = {"case": case_id, "year": str(year)}
        for m in methods:
            gm = g[g["method"] == m]
            line[m] = _share(gm["covered"])
            sd[m] = f"{gm['se'].mean():.2f} / {gm['error'].std(ddof=1):.2f}"
        cells.append(line)
        spread.append(sd)
    return pd.DataFrame(pooled), pd.DataFrame(cells), pd.DataFrame(spread)


def markdown(table: pd.DataFrame) -> str:
    cols = list(table.columns)
    left = {"measure", "case", "year"}
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" if c in left else "---:" for c in cols) + "|"]
    for r in table.itertuples(index=False):
        lines.append("| " + " | ".join(str(v) for v in r) + " |")
    return "\n".join(lines)


def _run(args) -> list[dict]:
    ks = list(range(args.portfolios))
    n, methods = len(ks), tuple(args.methods)
    if args.jobs == 1:
        parts = [one_portfolio(k, args.seed, args.boot, args.alpha, methods) for k in ks]  # portfolios, not persons
    else:
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            parts = list(
                pool.map(
                    one_portfolio, ks, [args.seed] * n, [args.boot] * n, [args.alpha] * n, [methods] * n, chunksize=1
                )
            )
    return [r for part in parts for r in part]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--portfolios", type=int, default=200, help="synthetic portfolios (default 200)")
    parser.add_argument("--boot", type=int, default=200, help="bootstrap replicates per case (default 200)")
    parser.add_argument("--seed", type=int, default=0, help="portfolio k is simulated with seed + k (default 0)")
    parser.add_argument("--alpha", type=float, default=0.05, help="1 - level of the intervals (default 0.05)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (default: all cores)")
    parser.add_argument("--quick", action="store_true", help="20 portfolios, B = 100")
    parser.add_argument(
        "--methods",
        nargs="+",
        choices=METHODS,
        default=list(METHODS),
        help="the intervals to measure (default: all; a design is simulated only if one of its methods is asked)",
    )
    parser.add_argument("--out", type=Path, help="also write one row per interval to this CSV file")
    args = parser.parse_args(argv)
    if args.quick:
        args.portfolios, args.boot = min(args.portfolios, 20), min(args.boot, 100)
    if args.portfolios < 2 or args.boot < 2 or args.jobs < 1:
        parser.error("--portfolios and --boot must be >= 2, --jobs >= 1")

    t0 = time.perf_counter()
    rows = pd.DataFrame(_run(args))
    wall = time.perf_counter() - t0
    if args.out:
        rows.to_csv(args.out, index=False)

    import survival_invest

    level = 100 * (1 - args.alpha)
    print(f"# Coverage of {level:g} % intervals of realised saved full-time persons and kroner ({date.today()})\n")
    print(
        f"Command: `python benchmarks/coverage.py {' '.join(argv if argv is not None else sys.argv[1:])}`".rstrip()
        + f"  \nPortfolios: {args.portfolios} (seeds {args.seed}..{args.seed + args.portfolios - 1}, memoryless "
        f"design + {MEMORYLESS_SEED}), bootstrap replicates B = {args.boot}, alpha = {args.alpha}, "
        f"{args.jobs} worker process(es)  \n"
        f"survival-invest {survival_invest.__version__}, Python {platform.python_version()}, "
        f"numpy {np.__version__}, pandas {pd.__version__}, {os.cpu_count()} cores\n"
    )
    pooled, cells, spread = summarise(rows)
    print("Coverage in %, pooled over the four cases per calendar year (± Monte-Carlo SE):\n")
    print(markdown(pooled))
    print("\nSaved full-time persons per case and year (± Monte-Carlo SE):\n")
    print(markdown(cells))
    print("\nSaved full-time persons per case and year: mean SE / sd(estimate - truth) across portfolios:\n")
    print(markdown(spread))
    per_portfolio = rows.groupby("portfolio")["portfolio_s"].sum()
    print(
        f"\nRun time: {wall:.0f} s wall clock ({wall / 60:.1f} min); per portfolio {per_portfolio.mean():.2f} s "
        "in one process (two simulations, 12 cohorts, 8 bootstraps)."
    )
    print(
        "Coverage = share of intervals with lower <= truth <= upper, ± its Monte-Carlo standard error "
        "sqrt(p (1 - p) / n)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
