"""Bootstrap over persons for saved full-time persons and kroner per year (replicate weights).

What is resampled
-----------------
The rows of ``cohort.persons``, with replacement, *within their group*
(comparison and intervention separately; group sizes are kept, as the groups
are fixed by design). Replicate ``b`` is a vector of multinomial counts
``w_b`` over the rows, drawn from a seeded :class:`numpy.random.Generator` by
:func:`survival_invest.estimate.bootstrap.replicate_counts` (the same draws as
:func:`survival_invest.bootstrap` with the same seed). A row is a person of a
group; with ``comparison = "target_all"`` a participant is a row in both groups
and is drawn independently in each, and with ``"matched"`` a comparison row is
one control row (the matched sets are not resampled as units).

How a replicate is computed (one pass, no loop over replicates)
---------------------------------------------------------------
Given the comparison curve, every figure of
:func:`survival_invest.economics.realised_savings` is linear in the persons'
counts. On the first-exit clock a participant ``i`` with entry ``e_i`` is
*counted* at durations ``t < min(counted_i, horizon)`` (all followed months
after an exit, up to the last month known on support when censored) and
*observed on support* at ``t < min(spell_i, horizon)`` (still in the first
spell), exactly as in :mod:`survival_invest.stats`. With the price of month
``t`` of person ``i`` for measure ``m`` — ``1`` (months), ``kr_i(t)``, or
``ref_i(t)`` (:func:`survival_invest.economics.month_prices`: monthly cost ×
municipal net share at ``support_week(prior_periods_i, t, week_factor)``) —
replicate ``b`` of year ``y`` is::

    saved[b, m, y] = sum_i w_bi sum_{t counted, year(e_i + t) = y} price_m(i, t) S_b(t)
                   - sum_i w_bi sum_{t in spell, year(e_i + t) = y} price_m(i, t)

    saved_fte = saved[., months, .] / 12,  savings_kr = saved[., kr, .],
    refusion_part_kr = saved[., ref, .]

The person -> (measure, year, t) incidences are sparse matrices ``X`` and
``O``, so ``W X`` and ``W O`` for the ``(B x n)`` count matrix ``W`` give all
replicates' tables at once; the ``B`` comparison curves ``S_b`` are one
:func:`~survival_invest.estimate.kaplan_meier_from_counts` call on the
replicate-weighted event and censoring counts ``W D`` and ``W C`` (group =
replicate). With all counts 1 the replicate *is* the point estimate.

On the **occupancy clock** ``S_b(t)`` is the comparison group's replicate
occupancy share ``(W U)(t) / (W F)(t)`` (on-support shares over persons
followed, carried forward beyond the last followed duration as in
:func:`~survival_invest.economics.occupancy_on_grid`), participants are counted
at every followed ``t < horizon``, and the observed part is their own share on
support (returns to support count).

The **forecast** (:func:`~survival_invest.economics.forecast_savings`) is, for
fixed inflow and prices, ``weights @ (S_c - S_i)``
(:func:`~survival_invest.economics.forecast_weights`); its replicates use both
groups' replicate curves with the inflow, the participants' mean monthly cost
and mean prior weeks held at the full sample's values — the same conditioning
as the delta method, which also treats them as known.

Intervals are percentile intervals of the replicates; the bootstrap standard
error is their standard deviation (``ddof = 1``). Memory grows with ``B x n``
(the dense count matrix); the incidence matrices have one entry per
participant-month and measure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from survival_invest._arrays import ragged_arange
from survival_invest.cohort.build import Cohort
from survival_invest.config import CaseConfig, Portfolio
from survival_invest.economics.savings import (
    YearFigures,
    forecast_savings,
    forecast_weights,
    month_prices,
    monthly_costs,
    realised_savings,
)
from survival_invest.errors import InputError, plain_repr
from survival_invest.estimate import kaplan_meier_from_counts
from survival_invest.estimate.bootstrap import replicate_counts
from survival_invest.io.periods import weeks_in_month
from survival_invest.stats import CaseStatistics, case_statistics

__all__ = ["MEASURES", "SavingsBootstrap", "bootstrap_savings", "savings_replicates"]

#: The yearly figures a replicate carries, in this order (kroner are positive savings, as in YearFigures).
MEASURES = ("saved_fte", "savings_kr", "refusion_part_kr")
_UNITS = {"saved_fte": "fte", "savings_kr": "kr", "refusion_part_kr": "kr"}
KINDS = ("realised", "forecast")


def _times(weights: np.ndarray, incidence: sparse.csr_matrix) -> np.ndarray:
    """``weights @ incidence`` for dense ``(B, n)`` weights and a sparse ``(n, K)`` incidence, as ``(B, K)``."""
    return np.ascontiguousarray((incidence.T @ weights.T).T)


def _incidence(rows: np.ndarray, cols: np.ndarray, values: np.ndarray, shape: tuple[int, int]) -> sparse.csr_matrix:
    """Sparse person x column matrix; entries with the same (row, column) are summed."""
    return sparse.csr_matrix((values.astype(np.float64), (rows, cols)), shape=shape)


@dataclass(frozen=True)
class _Design:
    """Everything a replicate's figures are computed from: incidences of the persons and fixed weights."""

    n: int
    codes: np.ndarray  # 0 comparison, 1 intervention, per row of persons
    horizon: int
    occupancy: bool
    years: np.ndarray  # realised years
    curve_a: sparse.csr_matrix  # first exit: events per (group, t); occupancy: followed per (group, t < H)
    curve_b: sparse.csr_matrix  # first exit: censorings per (group, t); occupancy: shares on support per (group, t < H)
    curve_len: int
    expected: sparse.csr_matrix  # (n, 3 * Y * H) priced counted months of participants
    observed: sparse.csr_matrix  # (n, 3 * Y) priced months observed on support
    forecast_years: np.ndarray
    forecast_w: np.ndarray | None  # (3, Yf, H)

    def curves(self, weights: np.ndarray) -> np.ndarray:
        """Replicate curves on ``t = 0 .. H-1`` of both groups, shape ``(B, 2, H)``."""
        b = weights.shape[0]
        h, length = self.horizon, self.curve_len
        a = _times(weights, self.curve_a).reshape(b * 2, length)
        c = _times(weights, self.curve_b).reshape(b * 2, length)
        if self.occupancy:
            followed, on = a, c
            grid = np.arange(h)
            last = np.maximum.accumulate(np.where(followed > 0, grid, -1), axis=1)
            share = np.divide(on, followed, out=np.zeros_like(on), where=followed > 0)
            p = np.where(last >= 0, np.take_along_axis(share, np.maximum(last, 0), axis=1), 1.0)
            return p.reshape(b, 2, h)
        table = pd.DataFrame(
            {
                "group": np.repeat(np.arange(b * 2, dtype=np.int64), length),
                "t": np.tile(np.arange(length, dtype=np.int64), b * 2),
                "events": a.ravel(),
                "censored": c.ravel(),
            }
        )
        return kaplan_meier_from_counts(table).survival_at(np.arange(h)).reshape(b, 2, h)

    def figures(self, weights: np.ndarray) -> dict[str, np.ndarray]:
        """Realised (and forecast) figures of every replicate: kind -> ``(B, 3, Y)`` in the order of MEASURES."""
        b = weights.shape[0]
        h, n_y = self.horizon, self.years.shape[0]
        curves = self.curves(weights)
        s_c = curves[:, 0, :]
        expected = _times(weights, self.expected).reshape(b, 3, n_y, h)
        observed = _times(weights, self.observed).reshape(b, 3, n_y)
        saved = np.einsum("bmyh,bh->bmy", expected, s_c) - observed
        saved[:, 0, :] /= 12.0
        out = {"realised": saved}
        if self.forecast_w is not None:
            delta = s_c - curves[:, 1, :]
            fc = np.einsum("myh,bh->bmy", self.forecast_w, delta)
            fc[:, 0, :] /= 12.0
            out["forecast"] = fc
        return out


def _check_inputs(cohort: object, case: CaseConfig | str, config: object, func: str) -> CaseConfig:
    if not isinstance(cohort, Cohort):
        raise InputError(
            f"The 'cohort' parameter of {func} must be a Cohort (from build_cohort). "
            f"Got {type(cohort).__name__} instead."
        )
    if not isinstance(config, Portfolio):
        raise InputError(
            f"The 'config' parameter of {func} must be a Portfolio (from load_config). "
            f"Got {type(config).__name__} instead."
        )
    if not isinstance(case, CaseConfig):
        case = config.case(str(case))
    if case.method != "survival":
        raise InputError(
            f"{func}: case {case.id!r} is followed by counting placements (method {case.method!r}); "
            "only survival cases have curves to bootstrap."
        )
    if case.curve not in ("first_exit", "occupancy"):
        raise InputError(f"{func}: case {case.id!r} has curve {case.curve!r}; expected 'first_exit' or 'occupancy'.")
    groups = set(pd.unique(cohort.persons["group"].astype(str)))
    if not groups <= {"comparison", "intervention"}:
        raise InputError(
            f"{func}: the cohort's groups must be 'comparison' and 'intervention'; it has {sorted(groups)}."
        )
    return case


def _forecast_inputs(stats: CaseStatistics, case: CaseConfig, config: Portfolio, cutoff: int):
    """Inflow, mean monthly cost and mean prior weeks of the forecast, as :func:`survival_invest.portfolio.case_results`."""
    from survival_invest.pipeline.portfolio import _inflow

    idx, lvl = config.run.price_index, config.run.price_level
    ent = stats.entrants
    n_ent = ent["n"].to_numpy().astype(np.float64)
    total = float(n_ent.sum())
    costs = monthly_costs(ent, case, idx, lvl)
    monthly_cost = float(costs @ n_ent) / total if total else case.cost_for(None) / 12.0
    prior = float((ent["prior_periods"].to_numpy() * stats.week_factor) @ n_ent) / total if total else 0.0
    return _inflow(stats, case, cutoff), monthly_cost, prior


def _design(cohort: Cohort, case: CaseConfig, config: Portfolio, stats: CaseStatistics, forecast: bool) -> _Design:
    """Build the sparse incidences of the cohort's persons (vectorised over persons and person-months)."""
    p = cohort.persons
    n = len(p)
    h = int(case.horizon)
    occupancy = case.curve == "occupancy"
    codes = (p["group"].to_numpy().astype(str) == "intervention").astype(np.int64)
    is_int = codes == 1
    entry = p["entry"].to_numpy().astype(np.int64)
    duration = p["duration"].to_numpy().astype(np.int64)
    event = p["event"].to_numpy().astype(bool)
    followed = p["followed"].to_numpy().astype(np.int64)
    # the per-person lengths of survival_invest.stats.cohort_aggregates
    counted = np.where(event, followed, np.minimum(duration + 1, followed))
    spell = np.where(event, np.minimum(duration, counted), counted)
    prior = np.rint(p["prior_weeks"].to_numpy(dtype=np.float64) / stats.week_factor).astype(np.int64)
    bg = p["benefit_group"].astype(object).where(p["benefit_group"].notna(), "").astype(str).to_numpy()

    # on-support shares of the observed person-periods, rounded to units as the statistics are
    st = cohort.status
    member = st["member"].to_numpy().astype(np.int64)
    st_t = st["t"].to_numpy().astype(np.int64)
    share = st["share"].to_numpy(dtype=np.float64)
    if stats.weekly_units:
        denom = weeks_in_month(entry[member] + st_t).astype(np.float64)
        share = np.rint(share * denom) / denom
    else:
        share = np.rint(share)
    in_h = st_t < h

    # the comparison (and intervention) curves' counts per replicate
    if occupancy:
        length = h
        owner, t = ragged_arange(np.minimum(followed, h))
        curve_a = _incidence(owner, codes[owner] * h + t, np.ones(owner.shape[0]), (n, 2 * h))
        curve_b = _incidence(member[in_h], codes[member[in_h]] * h + st_t[in_h], share[in_h], (n, 2 * h))
    else:
        length = int(duration.max()) + 1 if n else 1
        rows = np.arange(n)
        curve_a = _incidence(rows, codes * length + duration, event.astype(np.float64), (n, 2 * length))
        curve_b = _incidence(rows, codes * length + duration, (~event).astype(np.float64), (n, 2 * length))

    # participants' counted months and months observed on support, priced
    exp_len = np.where(is_int, np.minimum(followed if occupancy else counted, h), 0)
    e_owner, e_t = ragged_arange(exp_len)
    e_year = (entry[e_owner] + e_t) // 12
    years = np.arange(int(e_year.min()), int(e_year.max()) + 1) if e_year.size else np.zeros(0, dtype=np.int64)
    y0, n_y = (int(years[0]) if years.size else 0), years.shape[0]

    def priced(owner: np.ndarray, t: np.ndarray) -> np.ndarray:
        cells = pd.DataFrame({"benefit_group": bg[owner], "prior_periods": prior[owner], "t": t})
        kr, ref = month_prices(
            cells,
            case,
            week_factor=stats.week_factor,
            price_index=config.run.price_index,
            price_level=config.run.price_level,
            refusion=config.refusion,
        )
        return np.stack([np.ones(t.shape[0]), kr, ref])  # (3, cells)

    e_price = priced(e_owner, e_t)
    m = np.arange(3)[:, None]
    expected = _incidence(
        np.broadcast_to(e_owner, e_price.shape).ravel(),
        (m * n_y * h + (e_year - y0) * h + e_t).ravel(),
        e_price.ravel(),
        (n, 3 * n_y * h),
    )
    if occupancy:
        keep = in_h & is_int[member]
        o_owner, o_t, o_value = member[keep], st_t[keep], share[keep]
    else:
        o_owner, o_t = ragged_arange(np.where(is_int, np.minimum(spell, h), 0))
        o_value = np.ones(o_t.shape[0])
    o_price = priced(o_owner, o_t) * o_value
    o_year = (entry[o_owner] + o_t) // 12
    observed = _incidence(
        np.broadcast_to(o_owner, o_price.shape).ravel(),
        (m * n_y + (o_year - y0)).ravel(),
        o_price.ravel(),
        (n, 3 * n_y),
    )

    forecast_years = np.asarray(case.years, dtype=np.int64)
    weights = None
    if forecast:
        inflow, monthly_cost, prior_weeks = _forecast_inputs(stats, case, config, cohort.cutoff)
        weights = forecast_weights(
            inflow, case.years, h, monthly_cost=monthly_cost, prior_weeks=prior_weeks, refusion=config.refusion
        )
    return _Design(n, codes, h, occupancy, years, curve_a, curve_b, length, expected, observed, forecast_years, weights)


def _point_estimates(
    stats: CaseStatistics, case: CaseConfig, config: Portfolio, cutoff: int, alpha: float, forecast: bool
) -> dict[str, YearFigures]:
    """The published figures with their delta-method SEs (realised_savings, forecast_savings)."""
    from survival_invest.pipeline.portfolio import _curves_on_grid

    idx, lvl = config.run.price_index, config.run.price_level
    out = {
        "realised": realised_savings(
            stats, case, price_index=idx, price_level=lvl, refusion=config.refusion, alpha=alpha
        )
    }
    if forecast:
        inflow, monthly_cost, prior = _forecast_inputs(stats, case, config, cutoff)
        sc, vc, si_, vi, unit = _curves_on_grid(stats, case)
        out["forecast"] = forecast_savings(
            sc,
            vc,
            si_,
            vi,
            inflow,
            case.years,
            monthly_cost=monthly_cost,
            prior_weeks=prior,
            refusion=config.refusion,
            alpha=alpha,
            unit_variance=unit,
        )
    return out


def _check_weights(counts: object, n: int, func: str) -> np.ndarray:
    w = np.asarray(counts, dtype=np.float64)
    if w.ndim == 1:
        w = w[None, :]
    if w.ndim != 2 or w.shape[1] != n:
        raise InputError(
            f"The 'counts' parameter of {func} must have shape (replicates, {n}) (one column per row "
            f"of cohort.persons). Got shape {np.shape(counts)} instead."
        )
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise InputError(
            f"The 'counts' parameter of {func} must be finite and >= 0; "
            f"position ({r}, {c}) holds {plain_repr(w[r, c])}."
        )
    return w


def savings_replicates(
    cohort: Cohort,
    case: CaseConfig | str,
    config: Portfolio,
    counts: np.ndarray,
    *,
    forecast: bool = True,
    source_frequency: str | None = None,
) -> pd.DataFrame:
    """Realised (and forecast) figures per year for given replicate weights of the persons.

    The engine of :func:`bootstrap_savings`, exposed for other resampling
    schemes (e.g. a Bayesian bootstrap with Dirichlet weights). Row ``b`` of
    ``counts`` gives every row of ``cohort.persons`` a weight; integer weights
    give exactly the figures of :func:`~survival_invest.economics.realised_savings`
    on the cohort with each row repeated that many times.

    Parameters
    ----------
    cohort : Cohort
    case : CaseConfig or str
        The case (or its id in ``config``).
    config : Portfolio
        Price index, price level and refusion.
    counts : array-like, shape (B, n) or (n,)
        Non-negative weights per replicate and row of ``cohort.persons``.
    forecast : bool
        Also compute the forecast's replicates.
    source_frequency : {"month", "week"}, optional
        As for :func:`survival_invest.stats.case_statistics`.

    Returns
    -------
    DataFrame
        ``replicate, kind, year, saved_fte, savings_kr, refusion_part_kr``.
    """
    case = _check_inputs(cohort, case, config, "savings_replicates")
    stats = case_statistics(cohort, source_frequency=source_frequency)
    design = _design(cohort, case, config, stats, forecast)
    w = _check_weights(counts, design.n, "savings_replicates")
    return _tidy_replicates(design.figures(w), design)


def _tidy_replicates(figures: Mapping[str, np.ndarray], design: _Design) -> pd.DataFrame:
    frames = []
    for kind, values in figures.items():  # two kinds
        years = design.years if kind == "realised" else design.forecast_years
        b, _, n_y = values.shape
        frame = pd.DataFrame({"replicate": np.repeat(np.arange(b), n_y), "kind": kind, "year": np.tile(years, b)})
        for k, measure in enumerate(MEASURES):
            frame[measure] = values[:, k, :].ravel()
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


@dataclass(frozen=True, eq=False)
class SavingsBootstrap:
    """Bootstrap of a case's yearly saved full-time persons and kroner.

    Attributes
    ----------
    case_id : str
    curve : str
        The clock of the figures (``first_exit`` or ``occupancy``).
    n_boot : int
    seed : int or None
        None when a Generator was passed.
    alpha : float
        1 - level of the percentile intervals.
    frame : DataFrame
        One row per kind, year and measure: ``case_id, kind, year, measure,
        value, se, lower, upper, delta_se, unit``. ``value`` is the published
        point estimate (:func:`~survival_invest.economics.realised_savings`,
        :func:`~survival_invest.economics.forecast_savings`), ``se`` the
        bootstrap standard error, ``lower, upper`` the percentile interval,
        ``delta_se`` the delta-method standard error of the same figure.
        Kroner are positive savings at the run's price level.
    replicates : dict of str to ndarray
        Kind -> ``(n_boot, 3, years)``, measures in the order of :data:`MEASURES`.
    years : dict of str to ndarray
        Kind -> the years of ``replicates``.
    """

    case_id: str
    curve: str
    n_boot: int
    seed: int | None
    alpha: float
    frame: pd.DataFrame
    replicates: dict[str, np.ndarray]
    years: dict[str, np.ndarray]

    def __repr__(self) -> str:
        return (
            f"SavingsBootstrap(case_id={self.case_id!r}, curve={self.curve!r}, n_boot={self.n_boot}, "
            f"seed={self.seed!r}, alpha={self.alpha})"
        )

    def _repr_html_(self) -> str:
        """Jupyter: one row per kind and year, each measure as value [lower; upper]."""
        f = self.frame.copy()
        fmt = {"fte": "{:,.1f}", "kr": "{:,.0f}"}
        text = [
            f"{fmt[u].format(v)} [{fmt[u].format(lo)}; {fmt[u].format(hi)}]"
            for v, lo, hi, u in zip(f["value"], f["lower"], f["upper"], f["unit"], strict=True)
        ]
        wide = f.assign(text=text).pivot_table(
            index=["kind", "year"], columns="measure", values="text", aggfunc="first"
        )
        wide = wide.reindex(columns=[m for m in MEASURES if m in wide.columns])
        head = (
            f"<div><b>Bootstrap of case {self.case_id}</b> ({self.curve}): {self.n_boot} replicates over persons "
            f"within group, {100 * (1 - self.alpha):g} % percentile intervals; kroner are savings at the run's "
            "price level</div>"
        )
        return head + wide.to_html()

    def interval(self, kind: str = "realised", measure: str = "saved_fte") -> pd.DataFrame:
        """``year, value, se, lower, upper, delta_se`` of one kind and measure."""
        if kind not in self.replicates:
            raise KeyError(f"no kind {kind!r}; kinds are {list(self.replicates)}")
        if measure not in MEASURES:
            raise KeyError(f"no measure {measure!r}; measures are {list(MEASURES)}")
        f = self.frame
        rows = f[(f["kind"] == kind) & (f["measure"] == measure)]
        return rows[["year", "value", "se", "lower", "upper", "delta_se"]].reset_index(drop=True)


def bootstrap_savings(
    cohort: Cohort,
    case: CaseConfig | str,
    config: Portfolio,
    *,
    n_boot: int = 500,
    seed: int | np.random.Generator = 0,
    alpha: float = 0.05,
    forecast: bool = True,
    source_frequency: str | None = None,
) -> SavingsBootstrap:
    """Bootstrap over persons of a case's realised (and forecast) saved full-time persons and kroner per year.

    Persons are resampled with replacement within their group; all replicates
    are computed in one pass with replicate weights (see the module docstring
    for the formula). Percentile intervals, seeded and reproducible.

    Parameters
    ----------
    cohort : Cohort
        The case's cohort (:func:`survival_invest.build_cohort`).
    case : CaseConfig or str
        The case (or its id in ``config``): horizon, curve, costs.
    config : Portfolio
        Price index, price level and refusion of the run.
    n_boot : int
        Replicates (>= 2).
    seed : int or numpy.random.Generator
        Seed of ``numpy.random.default_rng`` (equal seeds give identical results), or a Generator.
    alpha : float
        1 - level of the intervals (0.05: 95 %).
    forecast : bool
        Also bootstrap the forecast (curve-based figures of ``case.years``).
    source_frequency : {"month", "week"}, optional
        As for :func:`survival_invest.stats.case_statistics`.

    Returns
    -------
    SavingsBootstrap

    Examples
    --------
    >>> import survival_invest as si
    >>> config = si.load_config("examples/norddjurs.toml")                  # doctest: +SKIP
    >>> boot = si.bootstrap_savings(cohort, "1", config, n_boot=500, seed=1)  # doctest: +SKIP
    >>> boot.interval("realised", "saved_fte")                              # doctest: +SKIP
    """
    func = "bootstrap_savings"
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 2:
        raise InputError(f"The 'n_boot' parameter of {func} must be a whole number >= 2. Got {n_boot!r} instead.")
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not (0.0 < float(alpha) < 1.0):
        raise InputError(f"The 'alpha' parameter of {func} must be in (0, 1). Got {alpha!r} instead.")
    if isinstance(seed, np.random.Generator):
        rng, seed_out = seed, None
    elif isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0:
        rng, seed_out = np.random.default_rng(int(seed)), int(seed)
    else:
        raise InputError(
            f"The 'seed' parameter of {func} must be a whole number >= 0 or a numpy Generator. Got {seed!r} instead."
        )
    case = _check_inputs(cohort, case, config, func)
    stats = case_statistics(cohort, source_frequency=source_frequency)
    design = _design(cohort, case, config, stats, forecast)
    counts = replicate_counts(design.codes, 2, int(n_boot), rng)
    figures = design.figures(counts.astype(np.float64))
    points = _point_estimates(stats, case, config, cohort.cutoff, float(alpha), forecast)
    frames = []
    for kind, values in figures.items():  # realised and forecast
        years = design.years if kind == "realised" else design.forecast_years
        point = points[kind].frame.set_index("year").reindex(years)
        lo, hi = np.quantile(values, [alpha / 2, 1 - alpha / 2], axis=0)
        se = values.std(axis=0, ddof=1)
        for k, measure in enumerate(MEASURES):  # three measures
            frames.append(
                pd.DataFrame(
                    {
                        "case_id": case.id,
                        "kind": kind,
                        "year": years,
                        "measure": measure,
                        "value": point[measure].to_numpy(),
                        "se": se[k],
                        "lower": lo[k],
                        "upper": hi[k],
                        "delta_se": point[f"{measure}_se"].to_numpy(),
                        "unit": _UNITS[measure],
                    }
                )
            )
    frame = pd.concat(frames, ignore_index=True)
    return SavingsBootstrap(
        case.id,
        case.curve,
        int(n_boot),
        seed_out,
        float(alpha),
        frame,
        figures,
        {"realised": design.years, "forecast": design.forecast_years},
    )
