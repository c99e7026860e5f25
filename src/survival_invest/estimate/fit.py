"""Fitting Kaplan-Meier curves: from person arrays, or from sufficient statistics.

``kaplan_meier`` fits one curve, ``kaplan_meier_by`` one curve per group in a
single counting pass, ``kaplan_meier_from_counts`` the same curves from
per-group event and censoring counts (what the out-of-core engines hand over);
``area_between`` is the difference of two curves' RMST. The curve objects are
in :mod:`survival_invest.estimate.curves`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from survival_invest.errors import InputError
from survival_invest.estimate.checks import check_alpha_ci, check_survival_input, check_taus, group_codes
from survival_invest.estimate.curves import SurvivalCurve, SurvivalCurves
from survival_invest.estimate.estimates import AreaBetween, difference
from survival_invest.estimate.kernel import Counts, count_on_grid
from survival_invest.estimate.robust import influence_data, resolve_robust

__all__ = ["area_between", "kaplan_meier", "kaplan_meier_by", "kaplan_meier_from_counts"]


def kaplan_meier(
    durations: object,
    events: object,
    *,
    entry: object | None = None,
    weights: object | None = None,
    robust: bool | None = None,
    cluster: object | None = None,
    alpha: float = 0.05,
    ci: str = "log-log",
    label: str = "",
) -> SurvivalCurve:
    """Fit a Kaplan-Meier curve.

    Parameters
    ----------
    durations : array-like, shape (n,)
        Time to exit or censoring, >= 0. Integer periods (months or weeks since
        entry) take the fast counting path; floats are fine.
    events : array-like of 0/1 or bool, shape (n,)
        1 = exit observed (the event), 0 = censored.
    entry : array-like, shape (n,), optional
        Delayed entry (left truncation): subject *i* is at risk at ``t`` iff
        ``entry[i] < t <= durations[i]``.
    weights : array-like, shape (n,), optional
        Non-negative case weights; counts become weighted sums. Greenwood's formula
        on the weighted counts is right for frequency weights; other weights (IPW)
        need ``robust``.
    robust : bool or None, default None
        ``True``: the infinitesimal-jackknife (IJ) variance of S(t) and of the
        RMST (R ``survfit(..., robust = TRUE)``; see
        :mod:`survival_invest.estimate.robust` for the formula); ``False``:
        Greenwood; ``None``: robust when ``cluster`` is given or some weight is
        not an integer (R's rule), else Greenwood (so integer and unweighted
        fits are unchanged).
    cluster : array-like, shape (n,), optional
        Cluster ids (a person in several rows, a matched set): the rows of a
        cluster have their weighted influences summed before squaring, R's
        ``rowsum(w * U, cluster)``. With start-stop rows (``entry``) pass the
        person id here (R's ``id``). Needs ``robust`` True or None.
    alpha : float, default 0.05
        1 - confidence level.
    ci : {"log-log", "log", "plain"}, default "log-log"
        Pointwise band type (see :func:`survival_invest.estimate.summaries.bands`).
    label : str
        Name shown in tables and plots.

    Returns
    -------
    SurvivalCurve

    Notes
    -----
    ``S(t) = prod_{t_j <= t} (1 - d_j / n_j)``; events before censorings at tied
    times. Greenwood: ``Var S(t) = S(t)^2 sum_{t_j <= t} d_j / (n_j (n_j - d_j))``.
    Robust: ``Var S(t) = S(t)^2 sum_c (sum_{i in c} w_i U_i(t))^2`` with
    ``U_i(t) = -sum_{t_j <= t} (dN_ij - Y_ij d_j / n_j) / (n_j - d_j)``.

    Examples
    --------
    >>> import numpy as np
    >>> from survival_invest import kaplan_meier
    >>> km = kaplan_meier(np.array([1, 2, 2, 3]), np.array([1, 1, 0, 1]))
    >>> km.survival_at([0, 1, 2, 3]).round(3).tolist()
    [1.0, 0.75, 0.5, 0.0]
    """
    band = check_alpha_ci(alpha, ci, "kaplan_meier")
    x = check_survival_input(durations, events, entry, weights)
    use_robust = resolve_robust(robust, x.weights, cluster)
    counts = count_on_grid(
        x.durations, x.events, None, 1, entry=x.entry, weights=x.weights, max_duration=x.max_duration
    )
    inf = influence_data(counts, x.durations, x.events, None, x.entry, x.weights, cluster) if use_robust else None
    return SurvivalCurve(counts, alpha, band, label, influence=inf)


def kaplan_meier_by(
    durations: object,
    events: object,
    groups: object,
    *,
    entry: object | None = None,
    weights: object | None = None,
    robust: bool | None = None,
    cluster: object | None = None,
    alpha: float = 0.05,
    ci: str = "log-log",
) -> SurvivalCurves:
    """Fit one Kaplan-Meier curve per group in a single pass.

    The counting is one ``bincount`` over ``(group, time)`` cells (integer
    durations) or two plain sorts of one 64-bit (group, time) key per subject
    (float durations, each group's row holding only its own times:
    :mod:`survival_invest.estimate.kernel`), and every estimate is a cumulative
    sum along the group's row, so the cost does not grow with a Python loop
    over groups.

    Parameters
    ----------
    durations, events, entry, weights, robust, alpha, ci
        As for :func:`kaplan_meier`.
    cluster : array-like, shape (n,), optional
        As for :func:`kaplan_meier`; ids are shared across groups, so a matched
        set holding rows of both groups adds its covariance to ``area_between``.
    groups : array-like, shape (n,)
        Any labels, one per subject; curves are sorted by label (a group
        with no subject has no curve).

    Returns
    -------
    SurvivalCurves
    """
    band = check_alpha_ci(alpha, ci, "kaplan_meier_by")
    x = check_survival_input(durations, events, entry, weights)
    use_robust = resolve_robust(robust, x.weights, cluster)
    codes, labels, maybe_empty = group_codes(groups, x.durations.shape[0])
    counts = count_on_grid(
        x.durations, x.events, codes, len(labels), entry=x.entry, weights=x.weights, max_duration=x.max_duration
    )
    if maybe_empty:
        if x.weights is None:
            present = (counts.events + counts.censored).sum(axis=1) > 0
        else:  # a group may have only zero weights and still exist
            present = np.bincount(codes, minlength=len(labels)) > 0
        if not present.all():
            counts, labels = counts.take(np.flatnonzero(present)), labels[present]
            codes = (np.cumsum(present) - 1)[codes] if use_robust else codes
    inf = influence_data(counts, x.durations, x.events, codes, x.entry, x.weights, cluster) if use_robust else None
    return SurvivalCurves(counts, labels, alpha, band, influence=inf)


def area_between(
    comparison: SurvivalCurve, intervention: SurvivalCurve, tau: float, *, alpha: float | None = None
) -> AreaBetween:
    """Area between two curves up to ``tau``: ``Delta RMST(tau) = RMST_comparison - RMST_intervention``.

    Positive when the intervention group leaves support sooner (its curve lies
    lower). For integer period grids this equals ``sum_{t=0}^{tau-1}
    [S_comparison(t) - S_intervention(t)]``, the months of support saved per
    participant. ``SE = sqrt(V_comparison + V_intervention)`` (independent
    groups, survRM2), Wald interval and two-sided p-value ``2 Phi(-|Delta| / SE)``.
    When both curves are robust fits with ``cluster=`` ids, a cluster id found
    in both (a matched set) adds the covariance:
    ``SE^2 = V_c + V_i - 2 sum_c IF_c,comparison IF_c,intervention``.

    Parameters
    ----------
    comparison, intervention : SurvivalCurve
    tau : float
        Horizon, >= 0.
    alpha : float, optional
        Defaults to the comparison curve's alpha.

    Returns
    -------
    AreaBetween
    """
    for name, c in (("comparison", comparison), ("intervention", intervention)):
        if not isinstance(c, SurvivalCurve):
            raise InputError(f"{name} must be a SurvivalCurve from kaplan_meier(); got {type(c).__name__}.")
    taus = check_taus(tau, "area_between")
    if taus.shape[0] != 1:
        raise InputError(f"The 'tau' parameter of area_between must be a single number; got {tau!r}.")
    a = comparison.alpha if alpha is None else alpha
    c_est = comparison.rmst(float(taus[0]))
    i_est = intervention.rmst(float(taus[0]))
    cov = 0.0
    ci_, ii_ = comparison.influence, intervention.influence
    if ci_ is not None and ii_ is not None and ci_.explicit and ii_.explicit:
        uc, ui = comparison.rmst_influence(float(taus[0])).align(intervention.rmst_influence(float(taus[0])))
        cov = float((uc.fillna(0.0) * ui.fillna(0.0)).sum())
    return difference(c_est, i_est, float(taus[0]), a, covariance=cov)


def kaplan_meier_from_counts(
    table: pd.DataFrame,
    *,
    group: str | None = "group",
    alpha: float = 0.05,
    ci: str = "log-log",
) -> SurvivalCurves:
    """Fit Kaplan-Meier curves from sufficient statistics (no person rows).

    This is what the out-of-core and distributed engines hand over: per group
    and integer duration ``t`` the number of events, censorings and (for delayed
    entry) entries. The estimate is the same as :func:`kaplan_meier_by` on the
    persons behind the counts, because Kaplan-Meier, Greenwood and the RMST
    depend on the data only through them.

    Parameters
    ----------
    table : DataFrame
        Columns ``t`` (integer >= 0), ``events``, ``censored`` and optionally
        ``entered`` (subjects whose entry time is ``t``: at risk at times after
        ``t``, as ``entry`` in :func:`kaplan_meier`), plus the ``group`` column.
        Counts may be weighted sums (floats). Several rows per (group, t) are
        summed.
    group : str or None
        Name of the group column; None for a single curve labelled "".
    alpha, ci
        As in :func:`kaplan_meier`.

    Returns
    -------
    SurvivalCurves

    Notes
    -----
    ``n(t) = sum_{u >= t} (d_u + c_u) - sum_{u >= t} e_u`` with ``e_u`` the
    entries at ``u``; then ``S(t) = prod_{u <= t} (1 - d_u / n_u)``.
    """
    band = check_alpha_ci(alpha, ci, "kaplan_meier_from_counts")
    need = ["t", "events", "censored"] + ([group] if group else [])
    missing = [c for c in need if c not in table.columns]
    if missing:
        raise InputError(
            f"kaplan_meier_from_counts: the table lacks the columns {missing}; it has {list(table.columns)}."
        )
    t = table["t"].to_numpy()
    if t.size and (t.dtype.kind not in "iu" or t.min() < 0):
        raise InputError("kaplan_meier_from_counts: column 't' must hold whole durations >= 0.")
    if group:
        codes, labels, _ = group_codes(table[group], t.shape[0])
    else:
        codes, labels = np.zeros(t.shape[0], dtype=np.int64), np.array([""], dtype=object)
    n_groups = len(labels)
    length = int(t.max()) + 1 if t.size else 1
    flat = codes.astype(np.int64) * length + t.astype(np.int64)

    def cells(col: str) -> np.ndarray:
        values = table[col].to_numpy(dtype=np.float64)
        return np.bincount(flat, weights=values, minlength=n_groups * length).reshape(n_groups, length)

    events, censored = cells("events"), cells("censored")
    removed = events + censored
    at_risk = np.cumsum(removed[:, ::-1], axis=1)[:, ::-1]
    if "entered" in table.columns:
        entered = cells("entered")
        at_risk = at_risk - np.cumsum(entered[:, ::-1], axis=1)[:, ::-1]
    weighted = any(table[c].dtype.kind == "f" for c in ("events", "censored"))
    time = np.broadcast_to(np.arange(length, dtype=np.float64), (n_groups, length))
    has = removed > 0
    last = np.where(has.any(axis=1), length - 1 - np.argmax(has[:, ::-1], axis=1), -1).astype(np.float64)
    last[last < 0] = np.nan
    return SurvivalCurves(Counts(time, at_risk, events, censored, last, weighted, True), labels, alpha, band)
