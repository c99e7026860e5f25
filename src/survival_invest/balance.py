"""Baseline balance between participants and their comparison group.

The balance table shows, per covariate (and per level of a categorical one),
the means in both groups and the standardised mean difference (Austin 2009)::

    SMD = (mean_treated - mean_comparison) / sqrt((var_treated + var_comparison) / 2)

with weighted means and variances when weights are given (e.g. inverse-probability
weights), so the same table shows balance before and after adjustment. |SMD| <
0.1 is the usual threshold for "balanced".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from survival_invest.errors import InputError

__all__ = ["balance_table", "covariate_columns"]


def covariate_columns(
    persons: pd.DataFrame, covariates: list[str], *, drop_first: bool = False, who: str = "covariates"
) -> dict[str, np.ndarray]:
    """Covariates as named numeric columns: numeric ones as they are, others one 0/1 column per level.

    Levels are named ``name=level``; ``drop_first`` drops each categorical's first
    level (a regression design). Missing columns and missing numeric values are
    an :class:`InputError` naming them (``who`` says which function asked).
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
                raise InputError(f"{who}: column {c!r} has missing values at rows {np.flatnonzero(np.isnan(vals))[:5].tolist()}.")
            cols[c] = vals
        else:
            dummies = pd.get_dummies(x.astype("string").fillna("<NA>"), prefix=c, prefix_sep="=", drop_first=drop_first)
            for name in dummies.columns:
                cols[str(name)] = dummies[name].to_numpy(dtype=float)
    return cols


def _weighted_mean_var(x: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    sw = w.sum()
    if sw <= 0:
        return float("nan"), float("nan")
    m = float((w * x).sum() / sw)
    v = float((w * (x - m) ** 2).sum() / sw)
    return m, v


def balance_table(
    persons: pd.DataFrame,
    covariates: list[str],
    *,
    group_col: str = "group",
    treated: str = "intervention",
    weights: np.ndarray | pd.Series | None = None,
) -> pd.DataFrame:
    """Means and standardised mean differences of ``covariates`` between the groups.

    Parameters
    ----------
    persons : DataFrame
        One row per person (e.g. ``Cohort.persons``, joined with a person table).
    covariates : list of str
        Numeric columns are used as they are; other columns are expanded into one
        0/1 indicator per level.
    treated : str
        The value of ``group_col`` marking participants; every other row is comparison.
    weights : array-like, optional
        Case weights (e.g. inverse-probability weights); adds the weighted columns.

    Returns
    -------
    DataFrame indexed by ``covariate`` (``name`` or ``name=level``) with
    ``mean_treated, mean_comparison, smd`` and, with weights,
    ``mean_treated_weighted, mean_comparison_weighted, smd_weighted``.
    """
    missing = [c for c in covariates + [group_col] if c not in persons.columns]
    if missing:
        raise InputError(f"balance_table: columns {missing} are not in the persons table; it has {list(persons.columns)}.")
    is_t = (persons[group_col] == treated).to_numpy()
    if is_t.all() or not is_t.any():
        raise InputError(f"balance_table: both groups need persons; {int(is_t.sum())} of {len(is_t)} rows are {treated!r}.")
    cols = covariate_columns(persons, covariates, who="balance_table")
    w_all = None if weights is None else np.asarray(weights, dtype=float)
    rows = []
    for name, x in cols.items():  # one row per covariate level: a handful
        row = {"covariate": name}
        for suffix, w in (("", np.ones_like(x)), ("_weighted", w_all)):
            if w is None:
                continue
            mt, vt = _weighted_mean_var(x[is_t], w[is_t])
            mc, vc = _weighted_mean_var(x[~is_t], w[~is_t])
            pooled = np.sqrt((vt + vc) / 2.0)
            row[f"mean_treated{suffix}"] = mt
            row[f"mean_comparison{suffix}"] = mc
            row[f"smd{suffix}"] = (mt - mc) / pooled if pooled > 0 else 0.0
        rows.append(row)
    return pd.DataFrame(rows).set_index("covariate")
