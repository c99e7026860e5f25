"""The joint interval of the portfolio: cases that share persons, clustered by person across cases.

Why
---
A person in the target groups of two cases enters both cases' comparison
curves, so the two cases' figures are correlated and the portfolio's variance
is not the sum of the cases' variances. The exact variance of a sum of
figures that are smooth functions of the persons is that of the sum over
cases of each *person's* influence (the infinitesimal jackknife clustered by
person across cases), which is what a joint bootstrap over persons across cases
estimates, at the cost of one product instead of ``B`` replicates.

The rule
--------
For every figure ``f = (case, kind, measure, year)`` with person-level
contributions (the in-memory engine's cohorts), each row ``r`` of the case's
cohort gets its influence ``L_fr`` (:func:`case_contributions`): for realised
figures :func:`~survival_invest.economics.influence.person_influence`; for the
forecast ``sum_t w_f(t) (S_c(t) - S_i(t))`` (the published forecast's weights
at the full sample's inflow and prices, :func:`replicate_design`) the
derivative of both curves, ``w_f . dS_c/dw_r`` for a comparison row and
``-w_f . dS_i/dw_r`` for a participant. Rows are summed per person (matched
across cases by the person id as text) and::

    C_fg = sum_p (sum_{r of p in f's case} L_fr) (sum_{r of p in g's case} L_gr)
    rho_fg = C_fg / sqrt(C_ff C_gg)

The portfolio's half-width of a sum of figures with published half-widths
``h_f`` is ``sqrt(sum_fg h_f rho_fg h_g)``: the correlation from the persons,
the scale from each case's own published interval (the delta method, the
person-level one, or the payment file's). So the portfolio's interval agrees
with the case intervals it is made of (one case alone gives its own interval;
disjoint cases give exactly the quadrature rule, ``rho = 0``) and the matrix
is positive semi-definite by construction. The same matrix, across years,
gives the total over the years (a case's years rest on the same curves).

Where the published interval is not the curve-based one, the correlation is
the curve basis's: realised kroner from the payment file take the correlation
of the same case's curve-based realised kroner (same persons, same windows);
a forecast with a fitted tail takes the correlation of its observed part (the
tail's own error is in the published half-width, not in the correlation). A
figure with no contributions (an SQL engine, a count case) is taken as
perfectly correlated with every other (``rho = 1``: never too narrow); the
monthly job uses the joint rule only when every case with an interval has
contributions, and otherwise the rules of
:mod:`survival_invest.economics.portfolio` (quadrature for disjoint cases,
linear sums when persons are shared), and says in the log which rule a run used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from survival_invest.cohort.build import Cohort
from survival_invest.config import CaseConfig, Portfolio
from survival_invest.economics.influence import km_derivative, occupancy_derivative, person_influence
from survival_invest.economics.replicates import ReplicateDesign, replicate_design
from survival_invest.stats import CaseStatistics

__all__ = ["CaseContributions", "case_contributions", "joint_correlation", "portfolio_correlation"]

#: The results table's measures in the order of the design's (``replicates.MEASURES``).
_RESULT_MEASURES = ("saved_fte", "savings", "refusion_part")


@dataclass(frozen=True)
class CaseContributions:
    """One case's person-level influences: ``influence[r, k]`` of row ``r`` on figure ``keys[k]``.

    ``person`` holds each row's person id as text (the key that matches persons
    across cases); ``keys`` are ``(kind, measure, year)`` in the results table's
    names.
    """

    person: np.ndarray
    keys: tuple[tuple[str, str, int], ...]
    influence: np.ndarray


def _group_curve(design: ReplicateDesign, persons: pd.DataFrame, code: int) -> np.ndarray:
    """``w_r dS_g(t)/dw_r`` for every row (0 outside group ``code``), shape ``(n, H)``."""
    h = design.horizon
    w = np.where(design.codes == code, 1.0, 0.0)
    if design.occupancy:
        cols = slice(code * h, (code + 1) * h)
        followed = np.asarray(design.curve_a[:, cols].todense())
        on = np.asarray(design.curve_b[:, cols].todense())
        return occupancy_derivative(followed, on, w)[1]
    duration = persons["duration"].to_numpy().astype(np.int64)
    event = persons["event"].to_numpy().astype(bool)
    return km_derivative(duration, event, w, h)[1]


def _forecast_influence(design: ReplicateDesign, persons: pd.DataFrame) -> np.ndarray:
    """Influence of every row on the forecast figures, shape ``(n, 3, Yf)`` (module docstring)."""
    fw = np.asarray(design.forecast_w, dtype=np.float64)
    flat = fw.reshape(-1, design.horizon).T  # (H, 3 * Yf)
    comparison = _group_curve(design, persons, 0) @ flat
    participants = _group_curve(design, persons, 1) @ flat
    out = np.where((design.codes == 0)[:, None], comparison, -participants)
    out = out.reshape(-1, 3, fw.shape[1])
    out[:, 0, :] /= 12.0
    return out


def case_contributions(cohort: Cohort, case: CaseConfig, config: Portfolio, stats: CaseStatistics) -> CaseContributions:
    """The person-level influences of a survival case's realised and forecast figures (module docstring).

    Parameters
    ----------
    cohort : Cohort
        The case's cohort (the in-memory engine's).
    case : CaseConfig
        A survival case (first exit or occupancy; a matched cohort's rows are its persons' rows).
    config : Portfolio
        Price index, price level and refusion.
    stats : CaseStatistics
        The cohort's statistics.

    Returns
    -------
    CaseContributions
    """
    design = replicate_design(cohort, case, config, stats, forecast=True)
    persons = cohort.persons
    n = len(persons)
    realised = person_influence(design, persons, np.ones(n))
    forecast = _forecast_influence(design, persons)
    keys = [("realised", m, int(y)) for m in _RESULT_MEASURES for y in design.years]
    keys += [("forecast", m, int(y)) for m in _RESULT_MEASURES for y in design.forecast_years]
    influence = np.concatenate([realised.reshape(n, -1), forecast.reshape(n, -1)], axis=1)
    person = persons["person_id"].astype(str).to_numpy()
    return CaseContributions(person, tuple(keys), influence)


def joint_correlation(contributions: Mapping[str, CaseContributions]) -> pd.DataFrame:
    """The correlation of every pair of figures of every case, clustered by person across cases.

    Parameters
    ----------
    contributions : mapping of case id to CaseContributions
        Each case's :func:`case_contributions`.

    Returns
    -------
    DataFrame
        Square, index and columns ``(case_id, kind, measure, year)``; a figure
        without variance has correlation 0 with the others and 1 with itself.
    """
    ids = [c.person for c in contributions.values()]
    if not ids:
        return pd.DataFrame()
    codes, uniques = pd.factorize(np.concatenate(ids))
    blocks, labels, start = [], [], 0
    for case_id, c in contributions.items():  # a handful of cases
        n = c.person.shape[0]
        rows = codes[start : start + n]
        start += n
        # rows of one person summed (a person in both groups of a case is one cluster)
        gather = sparse.csr_matrix((np.ones(n), (rows, np.arange(n))), shape=(len(uniques), n))
        blocks.append(sparse.csr_matrix(gather @ c.influence))
        labels += [(case_id, *k) for k in c.keys]
    summed = sparse.hstack(blocks, format="csc")
    cov = np.asarray((summed.T @ summed).todense())
    sd = np.sqrt(np.diag(cov))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(sd, sd)
    corr = np.where(np.isfinite(corr), corr, 0.0)
    np.fill_diagonal(corr, 1.0)
    index = pd.MultiIndex.from_tuples(labels, names=["case_id", "kind", "measure", "year"])
    return pd.DataFrame(corr, index=index, columns=index)


def portfolio_correlation(
    config: Portfolio, cohorts: Mapping[str, Cohort], statistics: Mapping[str, CaseStatistics]
) -> pd.DataFrame | None:
    """The run's :func:`joint_correlation`, or None when a survival case has no cohort (an SQL engine).

    Parameters
    ----------
    config : Portfolio
        The run's config (its survival cases).
    cohorts : mapping of case id to Cohort
        The in-memory engine's cohorts.
    statistics : mapping of case id to CaseStatistics
        Every case's statistics.

    Returns
    -------
    DataFrame or None
        Count cases have no interval and take no part; a payment-based realised
        savings figure uses the curve basis's correlation (module docstring).
    """
    survival = [c for c in config.cases if c.method == "survival"]
    if any(c.id not in cohorts or c.id not in statistics for c in survival):
        return None
    parts = {c.id: case_contributions(cohorts[c.id], c, config, statistics[c.id]) for c in survival}
    return joint_correlation(parts)
