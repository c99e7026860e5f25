"""The replicate design of the person bootstrap: sparse incidences from which every replicate is one product.

How a replicate is computed (one pass, no loop over replicates)
---------------------------------------------------------------
Given the comparison curve, every figure of
:func:`survival_invest.economics.realised_savings` is linear in the persons'
counts. On the first-exit clock a participant ``i`` with entry ``e_i`` is
*counted* at durations ``t < min(counted_i, horizon)`` and *observed on
support* at ``t < min(spell_i, horizon)``, by the rule of
:func:`survival_invest.stats.counted_and_spell`. With the price of month
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
(:func:`~survival_invest.economics.case_forecast_weights`); its replicates use both
groups' replicate curves with the inflow and the entrants' prices by cell
held at the full sample's values, durations beyond a binding cap weighted 0.
A declared tail model (first exit) is re-fitted to each replicate
(:func:`~survival_invest.economics.horizon.refit_tails`), so the forecast's
bootstrap carries the tail's uncertainty as the delta method does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from survival_invest._arrays import ragged_arange
from survival_invest.cohort.build import Cohort
from survival_invest.config import CaseConfig, Portfolio
from survival_invest.economics.forecast import case_forecast_weights
from survival_invest.economics.horizon import refit_tails
from survival_invest.economics.prices import month_prices
from survival_invest.estimate import kaplan_meier_from_counts
from survival_invest.io.periods import weeks_in_month
from survival_invest.stats import CaseStatistics, counted_and_spell

__all__ = ["MEASURES", "ReplicateDesign", "replicate_design"]

#: The yearly figures a replicate carries, in this order (kroner are positive savings, as in YearFigures).
MEASURES = ("saved_fte", "savings_kr", "refusion_part_kr")


def _times(weights: np.ndarray, incidence: sparse.csr_matrix) -> np.ndarray:
    """``weights @ incidence`` for dense ``(B, n)`` weights and a sparse ``(n, K)`` incidence, as ``(B, K)``."""
    return np.ascontiguousarray((incidence.T @ weights.T).T)


def _incidence(rows: np.ndarray, cols: np.ndarray, values: np.ndarray, shape: tuple[int, int]) -> sparse.csr_matrix:
    """Sparse person x column matrix; entries with the same (row, column) are summed."""
    return sparse.csr_matrix((values.astype(np.float64), (rows, cols)), shape=shape)


@dataclass(frozen=True)
class ReplicateDesign:
    """Everything a replicate's figures are computed from: incidences of the persons and fixed weights.

    Attributes
    ----------
    n : int
        Rows of ``cohort.persons``.
    codes : ndarray of int
        0 comparison, 1 intervention, per row.
    horizon : int
    occupancy : bool
        Whether the clock is occupancy (else first exit).
    years : ndarray of int
        The realised years.
    curve_a, curve_b : sparse matrix, shape (n, 2 * curve_len)
        First exit: events and censorings per (group, t); occupancy: persons
        followed and on-support shares per (group, t < horizon).
    curve_len : int
    expected : sparse matrix, shape (n, 3 * Y * horizon)
        Priced counted months of participants per (measure, year, t).
    observed : sparse matrix, shape (n, 3 * Y)
        Priced months observed on support per (measure, year).
    forecast_years : ndarray of int
    forecast_w : ndarray, shape (3, Yf, horizon), or None
        :func:`~survival_invest.economics.forecast_weights` when the forecast is bootstrapped.
    tail : (str, int) or None
        The case's tail model and window when the forecast extrapolates with a fitted tail
        (:func:`~survival_invest.economics.horizon.refit_tails`).
    """

    n: int
    codes: np.ndarray
    horizon: int
    occupancy: bool
    years: np.ndarray
    curve_a: sparse.csr_matrix
    curve_b: sparse.csr_matrix
    curve_len: int
    expected: sparse.csr_matrix
    observed: sparse.csr_matrix
    forecast_years: np.ndarray
    forecast_w: np.ndarray | None
    tail: tuple[str, int] | None = None  # (model, months) re-fitted per replicate for the forecast

    def forecast_curves(self, weights: np.ndarray, curves: np.ndarray) -> np.ndarray:
        """The replicate curves the forecast uses: with the declared tail re-fitted per replicate (first exit)."""
        if self.tail is None or self.occupancy:
            return curves
        b, h, length = weights.shape[0], self.horizon, self.curve_len
        a = _times(weights, self.curve_a).reshape(b * 2, length)
        c = _times(weights, self.curve_b).reshape(b * 2, length)
        return refit_tails(a, c, curves.reshape(b * 2, h), *self.tail).reshape(b, 2, h)

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
            tailed = self.forecast_curves(weights, curves)
            delta = tailed[:, 0, :] - tailed[:, 1, :]
            fc = np.einsum("myh,bh->bmy", self.forecast_w, delta)
            fc[:, 0, :] /= 12.0
            out["forecast"] = fc
        return out


@dataclass(frozen=True)
class _Persons:
    """Per-row arrays of ``cohort.persons`` the incidences are built from."""

    codes: np.ndarray
    entry: np.ndarray
    duration: np.ndarray
    event: np.ndarray
    followed: np.ndarray
    counted: np.ndarray
    spell: np.ndarray
    prior: np.ndarray
    bg: np.ndarray

    @classmethod
    def of(cls, persons: pd.DataFrame, week_factor: float) -> _Persons:
        """The arrays of ``persons``; prior periods in source periods, as the statistics count them."""
        duration = persons["duration"].to_numpy().astype(np.int64)
        event = persons["event"].to_numpy().astype(bool)
        followed = persons["followed"].to_numpy().astype(np.int64)
        counted, spell = counted_and_spell(event, duration, followed)
        bg = persons["benefit_group"].astype(object).where(persons["benefit_group"].notna(), "").astype(str)
        return cls(
            codes=(persons["group"].to_numpy().astype(str) == "intervention").astype(np.int64),
            entry=persons["entry"].to_numpy().astype(np.int64),
            duration=duration,
            event=event,
            followed=followed,
            counted=counted,
            spell=spell,
            prior=np.rint(persons["prior_weeks"].to_numpy(dtype=np.float64) / week_factor).astype(np.int64),
            bg=bg.to_numpy(),
        )


def _status_shares(cohort: Cohort, entry: np.ndarray, stats: CaseStatistics) -> tuple[np.ndarray, ...]:
    """(member, t, share) of the observed person-periods, shares rounded to units as the statistics are."""
    st = cohort.status
    member = st["member"].to_numpy().astype(np.int64)
    st_t = st["t"].to_numpy().astype(np.int64)
    share = st["share"].to_numpy(dtype=np.float64)
    if stats.weekly_units:
        denom = weeks_in_month(entry[member] + st_t).astype(np.float64)
        share = np.rint(share * denom) / denom
    else:
        share = np.rint(share)
    return member, st_t, share


def _curve_counts(
    p: _Persons, horizon: int, occupancy: bool, status: tuple[np.ndarray, ...]
) -> tuple[sparse.csr_matrix, sparse.csr_matrix, int]:
    """The comparison (and intervention) curves' counts per person: ``(curve_a, curve_b, curve_len)``."""
    n, h, codes = p.codes.shape[0], horizon, p.codes
    if occupancy:
        member, st_t, share = status
        in_h = st_t < h
        owner, t = ragged_arange(np.minimum(p.followed, h))
        curve_a = _incidence(owner, codes[owner] * h + t, np.ones(owner.shape[0]), (n, 2 * h))
        curve_b = _incidence(member[in_h], codes[member[in_h]] * h + st_t[in_h], share[in_h], (n, 2 * h))
        return curve_a, curve_b, h
    length = int(p.duration.max()) + 1 if n else 1
    rows = np.arange(n)
    cols = codes * length + p.duration
    curve_a = _incidence(rows, cols, p.event.astype(np.float64), (n, 2 * length))
    curve_b = _incidence(rows, cols, (~p.event).astype(np.float64), (n, 2 * length))
    return curve_a, curve_b, length


def _priced(
    p: _Persons, owner: np.ndarray, t: np.ndarray, case: CaseConfig, config: Portfolio, week_factor: float
) -> np.ndarray:
    """Prices ``(1, kroner, reform part)`` of person-months ``(owner, t)``, shape ``(3, cells)``."""
    cells = pd.DataFrame({"benefit_group": p.bg[owner], "prior_periods": p.prior[owner], "t": t})
    kr, ref = month_prices(
        cells,
        case,
        week_factor=week_factor,
        price_index=config.run.price_index,
        price_level=config.run.price_level,
        refusion=config.refusion,
    )
    return np.stack([np.ones(t.shape[0]), kr, ref])


def _priced_incidences(
    p: _Persons, case: CaseConfig, config: Portfolio, stats: CaseStatistics, status: tuple[np.ndarray, ...]
) -> tuple[np.ndarray, sparse.csr_matrix, sparse.csr_matrix]:
    """(realised years, expected, observed): the participants' priced counted and on-support months."""
    n, h = p.codes.shape[0], int(case.horizon)
    occupancy = case.curve == "occupancy"
    is_int = p.codes == 1
    exp_len = np.where(is_int, np.minimum(p.followed if occupancy else p.counted, h), 0)
    e_owner, e_t = ragged_arange(exp_len)
    e_year = (p.entry[e_owner] + e_t) // 12
    years = np.arange(int(e_year.min()), int(e_year.max()) + 1) if e_year.size else np.zeros(0, dtype=np.int64)
    y0, n_y = (int(years[0]) if years.size else 0), years.shape[0]
    e_price = _priced(p, e_owner, e_t, case, config, stats.week_factor)
    m = np.arange(3)[:, None]
    expected = _incidence(
        np.broadcast_to(e_owner, e_price.shape).ravel(),
        (m * n_y * h + (e_year - y0) * h + e_t).ravel(),
        e_price.ravel(),
        (n, 3 * n_y * h),
    )
    if occupancy:
        member, st_t, share = status
        keep = (st_t < h) & is_int[member]
        o_owner, o_t, o_value = member[keep], st_t[keep], share[keep]
    else:
        o_owner, o_t = ragged_arange(np.where(is_int, np.minimum(p.spell, h), 0))
        o_value = np.ones(o_t.shape[0])
    o_price = _priced(p, o_owner, o_t, case, config, stats.week_factor) * o_value
    o_year = (p.entry[o_owner] + o_t) // 12
    observed = _incidence(
        np.broadcast_to(o_owner, o_price.shape).ravel(),
        (m * n_y + (o_year - y0)).ravel(),
        o_price.ravel(),
        (n, 3 * n_y),
    )
    return years, expected, observed


def replicate_design(
    cohort: Cohort, case: CaseConfig, config: Portfolio, stats: CaseStatistics, *, forecast: bool
) -> ReplicateDesign:
    """Build the sparse incidences of the cohort's persons (vectorised over persons and person-months).

    Parameters
    ----------
    cohort : Cohort
        The case's cohort; its ``persons`` rows are what a replicate weights.
    case : CaseConfig
        Horizon, curve, years and costs (a survival case).
    config : Portfolio
        Price index, price level and refusion.
    stats : CaseStatistics
        The cohort's statistics (week factor, weekly units, entrants for the forecast).
    forecast : bool
        Also build the forecast's weights, at the full sample's inflow and prices.

    Returns
    -------
    ReplicateDesign
    """
    h = int(case.horizon)
    occupancy = case.curve == "occupancy"
    p = _Persons.of(cohort.persons, stats.week_factor)
    status = _status_shares(cohort, p.entry, stats)
    curve_a, curve_b, length = _curve_counts(p, h, occupancy, status)
    years, expected, observed = _priced_incidences(p, case, config, stats, status)
    weights = None
    if forecast:  # the published forecast's weights: entrants priced by cell, zero beyond a binding cap
        weights = case_forecast_weights(stats, case, config, cutoff=cohort.cutoff)
    forecast_years = np.asarray(case.years, dtype=np.int64)
    n = p.codes.shape[0]
    tail = (case.tail, case.tail_months) if forecast and case.tail not in ("none", "flat") else None
    return ReplicateDesign(
        n, p.codes, h, occupancy, years, curve_a, curve_b, length, expected, observed, forecast_years, weights, tail
    )
