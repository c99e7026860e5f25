"""Adjustment for selection: propensity scores and inverse-probability weights.

Participants are chosen, not randomised. Weighting the comparison group so its
baseline covariates look like the participants' removes the selection the
covariates explain:

* the propensity ``e(x) = P(participant | x)`` is a logistic regression on the
  covariates (scikit-learn's ``LogisticRegression`` without penalty — a
  maintained, tested fitter rather than a hand-written Newton loop);
* ``estimand="att"`` (the effect on the participants, what a municipality
  asks): participants get weight 1, comparison persons ``e / (1 - e)``, scaled
  so the comparison weights sum to the number of participants;
* ``estimand="ate"`` with ``stabilized=True``: ``P(T) / e`` for participants
  and ``(1 - P(T)) / (1 - e)`` for the comparison group (Robins, Hernán).
* ``trim=q`` truncates the weights at their ``q`` and ``1 - q`` quantiles within each group.

The covariates default to the engine's baseline covariates
(:func:`survival_invest.adjust.balance.baseline_covariates`: age and sex from a person
table attached with :meth:`survival_invest.Cohort.with_persons`, prior weeks on
support and benefit group at entry); persons absent from the person table are
kept in an explicit ``"unknown"`` level (``age_band``, ``sex``), never dropped.

The weights can be fitted on any cohort: on a ``non_participants`` cohort they
adjust for the measured baseline differences, but not for a comparison clock
that starts at a non-comparable moment (immortal time; see
``docs/comparisons.md``); on a ``matched`` cohort they remove what imbalance the
matching left (e.g. in age).

Weighted curves come from the core's ``weights``. Greenwood's formula on
weighted counts does not account for estimated weights, so intervals for
weighted areas come from :func:`ipw_bootstrap`, which re-fits the propensity
model in every replicate (a loop over replicates for the small logistic fit
only) and fits all replicate curves in one weighted ``kaplan_meier_by`` pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from survival_invest.adjust.balance import baseline_covariates, covariate_columns
from survival_invest.errors import InputError
from survival_invest.estimate.bootstrap import replicate_counts
from survival_invest.estimate.fit import kaplan_meier_by

if TYPE_CHECKING:  # pragma: no cover - scikit-learn is imported where it is used (heavy)
    from sklearn.linear_model import LogisticRegression

__all__ = ["IPWArea", "design_matrix", "ipw_area", "ipw_bootstrap", "ipw_weights", "propensity"]


#: Which population the weights make the comparison group resemble (see the module docstring).
Estimand = Literal["att", "ate"]
ESTIMANDS: tuple[Estimand, ...] = ("att", "ate")


def design_matrix(persons: pd.DataFrame, covariates: Sequence[str] | None = None) -> np.ndarray:
    """Covariates as a numeric matrix: numeric columns as they are, others one-hot (first level dropped).

    ``covariates=None``: :func:`~survival_invest.adjust.balance.baseline_covariates` of ``persons``.
    """
    if covariates is None:
        covariates = baseline_covariates(persons)
    parts = list(covariate_columns(persons, covariates, drop_first=True, who="design_matrix").values())
    if not parts:
        raise InputError("no usable covariates: give at least one column with variation.")
    return np.column_stack(parts)


def _unpenalised() -> dict[str, Any]:
    """No penalty, spelled as the installed scikit-learn wants it (``C=inf`` from 1.8, ``penalty=None`` before)."""
    import sklearn

    major, minor = (int(v) for v in sklearn.__version__.split(".")[:2])
    return {"C": np.inf} if (major, minor) >= (1, 8) else {"penalty": None}


def _standardise(x: np.ndarray) -> np.ndarray:
    """Centred and scaled columns: a well-conditioned fit of the same (unpenalised) model."""
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    return (x - x.mean(axis=0)) / scale


def _logistic(warm_start: bool = False) -> LogisticRegression:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=2000, warm_start=warm_start, **_unpenalised())


def propensity(x: np.ndarray, treated: np.ndarray) -> np.ndarray:
    """``P(participant | x)`` by an unpenalised logistic regression (scikit-learn)."""
    z = _standardise(x)
    model = _logistic()
    model.fit(z, treated.astype(int))
    return model.predict_proba(z)[:, 1]


def ipw_weights(
    ps: np.ndarray,
    treated: np.ndarray,
    *,
    estimand: Estimand = "att",
    stabilized: bool = True,
    trim: float | None = None,
) -> np.ndarray:
    """Inverse-probability weights from propensity scores.

    Rules (``e`` = propensity clipped to ``[1e-12, 1 - 1e-12]``, ``T`` = participant):

    * ``att``: participants 1, comparison persons ``e / (1 - e)``, then the
      comparison weights are scaled to sum to the number of participants
      (after trimming).
    * ``ate``: ``P(T) / e`` for participants and ``(1 - P(T)) / (1 - e)`` for the
      comparison group when ``stabilized``, else ``1 / e`` and ``1 / (1 - e)``.
    * ``trim=q``: weights clipped to their ``q`` and ``1 - q`` quantiles within each group.

    Parameters
    ----------
    ps : ndarray of float, shape (n,)
        Propensity scores ``P(participant | x)``.
    treated : ndarray of bool or 0/1, shape (n,)
        Participant indicator.
    estimand : {"att", "ate"}
    stabilized : bool
        Stabilised ATE weights (ignored for ``att``).
    trim : float in [0, 0.5), optional
        Quantile at which to truncate the weights.

    Returns
    -------
    ndarray of float, shape (n,)
    """
    if estimand not in ESTIMANDS:
        raise InputError(f"estimand must be 'att' or 'ate'; got {estimand!r}.")
    if trim is not None and not (0.0 <= trim < 0.5):
        raise InputError(f"trim must be in [0, 0.5); got {trim!r}.")
    t = treated.astype(bool)
    ps = np.clip(ps, 1e-12, 1 - 1e-12)
    if estimand == "att":
        w = np.where(t, 1.0, ps / (1 - ps))
    else:
        pt = t.mean() if stabilized else 1.0
        w = np.where(t, pt / ps, (1 - pt if stabilized else 1.0) / (1 - ps))
    if trim:
        for grp in (t, ~t):
            lo, hi = np.quantile(w[grp], [trim, 1 - trim])
            w[grp] = np.clip(w[grp], lo, hi)
    if estimand == "att":
        w[~t] *= t.sum() / w[~t].sum()
    return w


@dataclass(frozen=True)
class IPWArea:
    """Weighted area between the curves, with a bootstrap interval (propensity re-fitted per replicate)."""

    tau: float
    value: float
    se: float
    lower: float
    upper: float
    n_boot: int


def ipw_area(
    persons: pd.DataFrame,
    covariates: Sequence[str] | None,
    tau: float,
    *,
    estimand: Estimand = "att",
    stabilized: bool = True,
    trim: float | None = None,
) -> tuple[float, np.ndarray]:
    """Weighted ``RMST_comparison - RMST_intervention`` to ``tau`` and the weights used.

    The propensity is :func:`propensity` on :func:`design_matrix` of
    ``covariates``; the weights are :func:`ipw_weights`; the curves are
    Kaplan-Meier curves with those case weights.

    Parameters
    ----------
    persons : DataFrame
        One row per person: ``group`` (``"comparison"``/``"intervention"``),
        ``duration``, ``event`` and the covariate columns (e.g. ``Cohort.persons``).
    covariates : sequence of str or None
        None: :func:`~survival_invest.adjust.balance.baseline_covariates` of ``persons``.
    tau : float
        Horizon.
    estimand, stabilized, trim
        As for :func:`ipw_weights`.

    Returns
    -------
    (area, weights) : (float, ndarray of shape (n,))
    """
    treated = (persons["group"] == "intervention").to_numpy()
    w = ipw_weights(
        propensity(design_matrix(persons, covariates), treated),
        treated,
        estimand=estimand,
        stabilized=stabilized,
        trim=trim,
    )
    # only the point estimate is used here: robust=False skips the per-row IJ variance of fractional weights
    fit = kaplan_meier_by(persons["duration"], persons["event"], persons["group"], weights=w, robust=False)
    return float(fit.area_between("comparison", "intervention", tau)["value"].iloc[0]), w


def ipw_bootstrap(
    persons: pd.DataFrame,
    covariates: Sequence[str] | None,
    tau: float,
    *,
    n_boot: int = 300,
    seed: int = 0,
    alpha: float = 0.05,
    estimand: Estimand = "att",
    stabilized: bool = True,
    trim: float | None = None,
) -> IPWArea:
    """IPW area with a percentile bootstrap interval; persons resampled within their group.

    ``covariates=None``: the baseline covariates of ``persons``. Rows are
    resampled as independent units; in a matched cohort a person who is a
    control in several months has several rows, resampled separately.

    Each replicate's propensity model is the logistic fit on the resampled
    persons, computed as a fit with the replicate counts as frequency weights
    (the same likelihood as duplicated rows) started from the full-sample
    coefficients (``warm_start``), which needs a few iterations only.

    Parameters
    ----------
    persons, covariates, tau
        As for :func:`ipw_area`.
    n_boot : int
        Replicates.
    seed : int
        Seed of ``numpy.random.default_rng``; equal seeds give identical results.
    alpha : float
        1 - level of the percentile interval.
    estimand, stabilized, trim
        As for :func:`ipw_weights`.

    Returns
    -------
    IPWArea
        The full-sample weighted area, the bootstrap SE (``ddof=1``) and the
        ``alpha / 2``, ``1 - alpha / 2`` percentiles of the replicates.
    """
    treated = (persons["group"] == "intervention").to_numpy()
    codes = treated.astype(np.int64)
    x = design_matrix(persons, covariates)
    value, _ = ipw_area(persons, covariates, tau, estimand=estimand, stabilized=stabilized, trim=trim)
    rng = np.random.default_rng(seed)
    counts = replicate_counts(codes, 2, n_boot, rng)
    n = len(persons)
    weights = np.zeros((n_boot, n))
    z, t_int = _standardise(x), treated.astype(int)
    model = _logistic(warm_start=True)
    model.fit(z, t_int)
    for b in range(n_boot):  # only the small logistic fit per replicate; the curves are fitted in one pass below
        model.fit(z, t_int, sample_weight=counts[b])
        idx = np.repeat(np.arange(n), counts[b])
        ps = model.predict_proba(z)[:, 1][idx]
        w_rows = ipw_weights(ps, treated[idx], estimand=estimand, stabilized=stabilized, trim=trim)
        weights[b] = np.bincount(idx, weights=w_rows, minlength=n)  # sum over the copies of each person
    key = (np.arange(n_boot)[:, None] * 2 + codes[None, :]).ravel()
    keep = weights.ravel() > 0
    d = np.tile(persons["duration"].to_numpy(), n_boot)[keep]
    e = np.tile(persons["event"].to_numpy(), n_boot)[keep]
    fit = kaplan_meier_by(d, e, key[keep], weights=weights.ravel()[keep], robust=False)  # values only
    r = fit.rmst(tau)["value"].to_numpy().reshape(n_boot, 2)
    reps = r[:, 0] - r[:, 1]
    lo, hi = np.quantile(reps, [alpha / 2, 1 - alpha / 2])
    return IPWArea(float(tau), value, float(reps.std(ddof=1)), float(lo), float(hi), int(n_boot))
