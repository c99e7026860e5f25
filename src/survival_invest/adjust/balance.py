"""Baseline balance between participants and their comparison group.

The balance table shows, per covariate (and per level of a categorical one),
the means in both groups and the standardised mean difference (Austin 2009)::

    SMD = (mean_treated - mean_comparison) / sqrt((var_treated + var_comparison) / 2)

with weighted means and variances when weights are given (e.g. inverse-probability
weights). One table shows balance before adjustment (the persons as given,
e.g. the ``non_participants`` cohort), after inverse-probability weighting
(``weights``) and after matching (``matched``: the persons of a cohort built
with ``comparison="matched"``, optionally weighted too). |SMD| < 0.1 is the
usual threshold for "balanced".

Each SMD uses its own groups' variances (the pooled SD of the unweighted
groups for ``smd``, of the weighted groups for ``smd_weighted``), the common
practice of ``cobalt`` and ``tableone``.

The baseline covariates of the engine (:func:`baseline_covariates`) are age
at entry, sex (from a person table attached with
:meth:`survival_invest.Cohort.with_persons`), prior weeks on support at entry
and benefit group at entry.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from survival_invest.errors import InputError

__all__ = ["BASELINE", "balance_table", "baseline_covariates", "covariate_columns"]

#: The baseline covariates in the order tables show them.
BASELINE = ("age", "sex", "prior_weeks", "benefit_group")


def covariate_columns(
    persons: pd.DataFrame, covariates: Sequence[str], *, drop_first: bool = False, who: str = "covariates"
) -> dict[str, np.ndarray]:
    """Covariates as named numeric columns: numeric ones as they are, others one 0/1 column per level.

    Levels are named ``name=level``, in sorted order (a categorical column: in
    the order of its categories, unused ones left out); ``drop_first`` drops each categorical's first
    level (a regression design). Missing columns and missing numeric values are
    an :class:`InputError` naming them (``who`` says which function asked).

    Parameters
    ----------
    persons : DataFrame
    covariates : sequence of str
        Column names of ``persons``.
    drop_first : bool
        Drop each categorical's first level.
    who : str
        The calling function's name, for messages.

    Returns
    -------
    dict of str to ndarray of float
        One entry per numeric covariate and per used level of a categorical one.
    """
    missing = [c for c in covariates if c not in persons.columns]
    if missing:
        raise InputError(f"{who}: columns {missing} are not in the persons table; it has {list(persons.columns)}.")
    cols: dict[str, np.ndarray] = {}
    for c in covariates:
        x = persons[c]
        if pd.api.types.is_numeric_dtype(x) and not pd.api.types.is_bool_dtype(x):
            vals = x.to_numpy(dtype=float)
            if np.isnan(vals).any():
                raise InputError(
                    f"{who}: column {c!r} has missing values at rows {np.flatnonzero(np.isnan(vals))[:5].tolist()}."
                )
            cols[c] = vals
        else:
            if isinstance(x.dtype, pd.CategoricalDtype):  # keep the categories' order (e.g. age bands), used ones only
                x = x.cat.remove_unused_categories()
                if x.isna().any():
                    x = x.cat.add_categories("<NA>").fillna("<NA>")
            else:
                x = x.astype("string").fillna("<NA>")
            dummies = pd.get_dummies(x, prefix=c, prefix_sep="=", drop_first=drop_first)
            for name in dummies.columns:
                cols[str(name)] = dummies[name].to_numpy(dtype=float)
    return cols


def baseline_covariates(persons: pd.DataFrame) -> list[str]:
    """The baseline covariates ``persons`` has: ``age``, ``sex``, ``prior_weeks``, ``benefit_group``.

    Age and sex come from a person table (:meth:`survival_invest.Cohort.with_persons`);
    without one only prior weeks and benefit group are used. When some persons
    are absent from the table (age unknown), ``age_band`` (with its
    ``"unknown"`` level) replaces ``age``, so nobody is dropped from the balance
    table or the propensity model.
    """
    out = []
    for c in BASELINE:
        if c == "age" and "age" in persons.columns and persons["age"].isna().any() and "age_band" in persons.columns:
            out.append("age_band")
        elif c in persons.columns:
            out.append(c)
    return out


def _weighted_mean_var(x: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    sw = w.sum()
    if sw <= 0:
        return float("nan"), float("nan")
    m = float((w * x).sum() / sw)
    v = float((w * (x - m) ** 2).sum() / sw)
    return m, v


def balance_table(
    persons: pd.DataFrame,
    covariates: Sequence[str] | None = None,
    *,
    group_col: str = "group",
    treated: str = "intervention",
    weights: np.ndarray | pd.Series | None = None,
    matched: pd.DataFrame | None = None,
    matched_weights: np.ndarray | pd.Series | None = None,
) -> pd.DataFrame:
    """Means and standardised mean differences of ``covariates`` between the groups, before and after adjustment.

    Parameters
    ----------
    persons : DataFrame
        One row per person (e.g. ``Cohort.persons`` of the unadjusted
        comparison, with :meth:`~survival_invest.Cohort.with_persons` for age and sex).
    covariates : list of str, optional
        Numeric columns are used as they are; other columns are expanded into one
        0/1 indicator per level. Default: :func:`baseline_covariates` of ``persons``.
    group_col : str
        The column holding each row's group.
    treated : str
        The value of ``group_col`` marking participants; every other row is comparison.
    weights : array-like, optional
        Case weights of ``persons`` (e.g. inverse-probability weights); adds the
        ``_weighted`` columns (after IPW).
    matched : DataFrame, optional
        The persons of a matched cohort (``comparison="matched"``); adds the
        ``_matched`` columns (after matching: matched participants vs their controls).
    matched_weights : array-like, optional
        Weights of ``matched`` (e.g. :func:`survival_invest.cohort.matching.match_weights`,
        or IPW fitted on the matched cohort); adds ``_matched_weighted``.

    Returns
    -------
    DataFrame indexed by ``covariate`` (``name`` or ``name=level``) with
    ``mean_treated, mean_comparison, smd`` (before adjustment) and, per
    adjustment given, ``mean_treated_<a>, mean_comparison_<a>, smd_<a>`` for
    ``a`` in ``weighted``, ``matched``, ``matched_weighted``. A level present in
    only one of the frames has 0 as its mean in the other.
    """
    if covariates is None:
        covariates = baseline_covariates(persons)
    if matched_weights is not None and matched is None:
        raise InputError("balance_table: matched_weights needs matched (the persons of a matched cohort).")
    designs: list[tuple[str, pd.DataFrame, np.ndarray | None]] = [("", persons, None)]
    if weights is not None:
        designs.append(("_weighted", persons, np.asarray(weights, dtype=float)))
    if matched is not None:
        designs.append(("_matched", matched, None))
        if matched_weights is not None:
            designs.append(("_matched_weighted", matched, np.asarray(matched_weights, dtype=float)))
    tables = {}
    for suffix, frame, w in designs:  # at most four designs
        missing = [c for c in [*covariates, group_col] if c not in frame.columns]
        what = "the matched persons" if frame is matched else "the persons table"
        if missing:
            raise InputError(f"balance_table: columns {missing} are not in {what}; it has {list(frame.columns)}.")
        if w is not None and w.shape != (len(frame),):
            raise InputError(
                f"balance_table: {len(w)} weights for {len(frame)} rows of {what}; give one weight per row."
            )
        is_t = (frame[group_col] == treated).to_numpy()
        if is_t.all() or not is_t.any():
            raise InputError(
                f"balance_table: both groups need persons; {int(is_t.sum())} of {len(is_t)} rows of {what} are {treated!r}."
            )
        cols = covariate_columns(frame, covariates, who="balance_table")
        ww = np.ones(len(frame)) if w is None else w
        rows = {}
        for name, x in cols.items():  # one row per covariate level: a handful
            mt, vt = _weighted_mean_var(x[is_t], ww[is_t])
            mc, vc = _weighted_mean_var(x[~is_t], ww[~is_t])
            pooled = np.sqrt((vt + vc) / 2.0)
            rows[name] = {
                f"mean_treated{suffix}": mt,
                f"mean_comparison{suffix}": mc,
                f"smd{suffix}": (mt - mc) / pooled if pooled > 0 else 0.0,
            }
        tables[suffix] = pd.DataFrame.from_dict(rows, orient="index")
    out = pd.concat(list(tables.values()), axis=1)
    mean_cols = [c for c in out.columns if c.startswith("mean_")]
    out[mean_cols] = out[mean_cols].fillna(0.0)  # a level absent from one frame has share 0 there
    smd_cols = [c for c in out.columns if c.startswith("smd")]
    out[smd_cols] = out[smd_cols].fillna(0.0)
    out.index.name = "covariate"
    return out
