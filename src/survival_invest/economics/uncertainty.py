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
and is drawn independently in each.

A **matched** cohort (``matched_set``) draws the sets *and* the controls reused
across sets, a row's count the product of its set's and its person's counts;
without reused controls this is the set bootstrap
(:func:`survival_invest.estimate.bootstrap.crossed_counts` says why).

How a replicate is computed
---------------------------
Every figure of :func:`survival_invest.economics.realised_savings` (and, for
fixed inflow and prices, of the forecast) is linear in the persons' counts
given the curves, so all replicates are products of the count matrix with
sparse incidences of the persons, and the ``B`` replicate curves are one
Kaplan-Meier call: :mod:`survival_invest.economics.replicates` has the
formula. The forecast's replicates hold the inflow, the participants' mean
monthly cost and mean prior weeks at the full sample's values — the same
conditioning as the delta method, which also treats them as known.

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

from survival_invest.cohort.build import Cohort
from survival_invest.config import CaseConfig, Portfolio
from survival_invest.economics.forecast import case_forecast
from survival_invest.economics.influence import realised_figures
from survival_invest.economics.replicates import MEASURES, ReplicateDesign, replicate_design
from survival_invest.economics.savings import YearFigures
from survival_invest.errors import InputError, plain_repr
from survival_invest.estimate.bootstrap import crossed_counts, replicate_counts
from survival_invest.stats import CaseStatistics, case_statistics

__all__ = ["KINDS", "MEASURES", "SavingsBootstrap", "bootstrap_savings", "resample_counts", "savings_replicates"]

#: The kinds of figure the bootstrap gives intervals for.
KINDS = ("realised", "forecast")

_UNITS = {"saved_fte": "fte", "savings_kr": "kr", "refusion_part_kr": "kr"}


def _check_inputs(cohort: object, case: CaseConfig | str, config: object, func: str) -> CaseConfig:
    """The case (looked up by id when a string) after checking the cohort, config and case are bootstrappable."""
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


def _point_estimates(
    stats: CaseStatistics,
    case: CaseConfig,
    config: Portfolio,
    cohort: Cohort,
    alpha: float,
    forecast: bool,
) -> dict[str, YearFigures]:
    """The published figures with their delta-method (or person-level) SEs, as the pipeline publishes them."""
    out = {"realised": realised_figures(stats, case, config, cohort=cohort, alpha=alpha)}
    if forecast:
        out["forecast"] = case_forecast(stats, case, config, cutoff=cohort.cutoff, alpha=alpha)
    return out


def resample_counts(persons: pd.DataFrame, codes: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap counts ``(B, n)`` of the rows: within group, or matched sets x reused persons when matched.

    Parameters
    ----------
    persons : DataFrame
        ``cohort.persons``. A ``matched_set`` column makes the sets the units,
        with the persons (``person_id``) whose rows lie in two or more sets drawn
        as well (:func:`~survival_invest.estimate.bootstrap.crossed_counts`);
        otherwise rows are drawn within their group.
    codes : ndarray of int, shape (n,)
        0 comparison, 1 intervention, per row.
    n_boot : int
        Replicates.
    rng : numpy.random.Generator

    Returns
    -------
    ndarray of int64, shape (B, n)
        Within groups, each row sums to ``n``. Matched: a row's count is its
        set's count times (a reused control) its person's count; without reused
        controls, the set bootstrap's counts (the same draws for the same generator).
    """
    if "matched_set" not in persons.columns:
        return replicate_counts(codes, 2, n_boot, rng)
    who = persons["person_id"] if "person_id" in persons.columns else np.arange(len(persons))
    return crossed_counts(persons["matched_set"], who, n_boot, rng)


def _check_weights(counts: object, n: int, func: str) -> np.ndarray:
    """``counts`` as a ``(B, n)`` float array after checking its shape and that it is finite and >= 0."""
    given = np.asarray(counts, dtype=np.float64)
    w = given[None, :] if given.ndim == 1 else given
    if w.ndim != 2 or w.shape[1] != n:
        raise InputError(
            f"The 'counts' parameter of {func} must have shape (replicates, {n}) (one column per row "
            f"of cohort.persons). Got shape {given.shape} instead."
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
    design = replicate_design(cohort, case, config, stats, forecast=forecast)
    w = _check_weights(counts, design.n, "savings_replicates")
    return _tidy_replicates(design.figures(w), design)


def _tidy_replicates(figures: Mapping[str, np.ndarray], design: ReplicateDesign) -> pd.DataFrame:
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
        ``delta_se`` the published standard error of the same figure (the delta
        method; person-level for occupancy and matched cases,
        :func:`~survival_invest.economics.influence.realised_figures`).
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
            f"within group (matched: sets and reused controls), {100 * (1 - self.alpha):g} % percentile intervals; kroner are savings at the run's "
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

    Persons are resampled with replacement within their group; in a matched
    cohort the matched sets and the controls reused across sets are both
    drawn (:func:`resample_counts`, the module docstring says why); all replicates
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
    rng, seed_out = _check_boot_args(n_boot, seed, alpha, func)
    case = _check_inputs(cohort, case, config, func)
    stats = case_statistics(cohort, source_frequency=source_frequency)
    design = replicate_design(cohort, case, config, stats, forecast=forecast)
    counts = resample_counts(cohort.persons, design.codes, int(n_boot), rng)
    figures = design.figures(counts.astype(np.float64))
    points = _point_estimates(stats, case, config, cohort, float(alpha), forecast)
    frame = _interval_frame(case.id, figures, points, design, float(alpha))
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


def _check_boot_args(n_boot: object, seed: object, alpha: object, func: str) -> tuple[np.random.Generator, int | None]:
    """(the generator, the seed to report) after checking ``n_boot``, ``alpha`` and ``seed``."""
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 2:
        raise InputError(f"The 'n_boot' parameter of {func} must be a whole number >= 2. Got {n_boot!r} instead.")
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not (0.0 < float(alpha) < 1.0):
        raise InputError(f"The 'alpha' parameter of {func} must be in (0, 1). Got {alpha!r} instead.")
    if isinstance(seed, np.random.Generator):
        return seed, None
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0:
        return np.random.default_rng(int(seed)), int(seed)
    raise InputError(
        f"The 'seed' parameter of {func} must be a whole number >= 0 or a numpy Generator. Got {seed!r} instead."
    )


def _interval_frame(
    case_id: str,
    figures: Mapping[str, np.ndarray],
    points: Mapping[str, YearFigures],
    design: ReplicateDesign,
    alpha: float,
) -> pd.DataFrame:
    """One row per kind, year and measure: point value, bootstrap SE, percentile limits and delta-method SE."""
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
                        "case_id": case_id,
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
    return pd.concat(frames, ignore_index=True)
