"""Validation of the arrays passed to the estimators.

Validation happens once, at the boundary, and every message names the argument,
the first offending position and its value. The checks are whole-array
reductions (``min``, ``max``, ``isfinite``); the position of the first offender
is only searched for when a check has failed, so valid input pays a few passes
over memory and nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from survival_invest.errors import InputError, plain_repr
from survival_invest.estimate.summaries import CI_TYPES, CIType

__all__ = ["SurvivalInput", "as_1d", "check_alpha_ci", "check_survival_input", "check_taus", "group_codes"]


def as_1d(name: str, values: object) -> np.ndarray:
    """Return ``values`` as a one-dimensional numpy array without copying if possible.

    Accepts numpy arrays, pandas Series/Index, lists and tuples. Object and
    string arrays are converted to float; the first entry that cannot be
    converted is named in the error.
    """
    if isinstance(values, (pd.Series, pd.Index)):
        dtype = values.dtype
        if isinstance(dtype, pd.api.extensions.ExtensionDtype) and not isinstance(dtype, pd.CategoricalDtype):
            # nullable Int64/Float64/boolean: missing values become NaN and are reported below
            values = (
                values.to_numpy(dtype=float, na_value=np.nan)
                if values.hasnans
                else values.to_numpy(dtype=getattr(dtype, "numpy_dtype", None))
            )
        else:
            values = values.to_numpy()
    arr = np.asarray(values)
    if arr.ndim == 0:
        raise InputError(f"{name} must be one-dimensional (an array or Series); got a scalar {arr!r}.")
    if arr.ndim != 1:
        raise InputError(f"{name} must be one-dimensional; got an array of shape {arr.shape}.")
    if arr.dtype.kind in "OUS":
        converted = pd.to_numeric(pd.Series(arr), errors="coerce").to_numpy(dtype=float)
        bad = np.isnan(converted) & ~pd.isna(pd.Series(arr)).to_numpy()
        if bad.any():
            pos = int(np.argmax(bad))
            raise InputError(f"{name} must be numeric; position {pos} holds {_show(arr, pos)}.")
        arr = converted
    elif arr.dtype.kind not in "biuf":
        raise InputError(f"{name} must be numeric; got dtype {arr.dtype}.")
    return arr


def _show(arr: np.ndarray, pos: int) -> str:
    return plain_repr(arr[pos])


def _first(mask: np.ndarray) -> int:
    return int(np.argmax(mask))


def _check_finite_nonneg(name: str, arr: np.ndarray, *, allow_negative: bool = False) -> None:
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        pos = _first(~np.isfinite(arr))
        raise InputError(f"{name} must be finite numbers; position {pos} holds {_show(arr, pos)}.")
    if not allow_negative and arr.dtype.kind in "if" and arr.size and arr.min() < 0:
        pos = _first(arr < 0)
        raise InputError(f"{name} must be non-negative; position {pos} holds {_show(arr, pos)}.")


@dataclass(frozen=True)
class SurvivalInput:
    """Validated estimator input.

    Attributes
    ----------
    durations : ndarray
        Integer (``int64``) when every duration is a whole number given with an
        integer dtype, else ``float64``.
    events : ndarray of bool or integer, holding only 0 and 1
    entry : ndarray of float or None
    weights : ndarray of float64 or None
    max_duration : int or float
    """

    durations: np.ndarray
    events: np.ndarray
    entry: np.ndarray | None
    weights: np.ndarray | None
    max_duration: float


def check_survival_input(
    durations: object,
    events: object,
    entry: object | None = None,
    weights: object | None = None,
) -> SurvivalInput:
    """Validate durations, events, entry and weights and return them as arrays.

    Rules
    -----
    * ``durations``: finite and non-negative. Integer dtypes stay integer (the
      fast counting path); floats stay floats.
    * ``events``: 0/1 or boolean.
    * ``entry``: finite, ``entry <= duration``; an event exactly at the entry
      time is an error, because a subject is at risk only *strictly after* its
      entry (R's and lifelines' convention), so such an event could never be
      observed.
    * ``weights``: finite and non-negative.
    * all of equal length and not empty.

    Parameters
    ----------
    durations, events : array-like, shape (n,)
    entry, weights : array-like, shape (n,), optional

    Returns
    -------
    SurvivalInput

    Raises
    ------
    InputError
        Naming the argument, the first offending position and its value.
    """
    d = as_1d("durations", durations)
    e = as_1d("events", events)
    n = d.shape[0]
    if n == 0:
        raise InputError("durations is empty: at least one subject is needed to fit a curve.")
    if e.shape[0] != n:
        raise InputError(f"events has length {e.shape[0]} but durations has length {n}; they must match.")
    # Integer durations are checked for negatives by the counting kernel, whose
    # bincount rejects a negative key anyway: one pass over 8 bytes per subject less.
    _check_finite_nonneg("durations", d, allow_negative=d.dtype.kind in "iu")
    if d.dtype.kind == "b" or (d.dtype.kind in "iu" and d.dtype != np.int64):
        d = d.astype(np.int64)

    if e.dtype.kind != "b":
        if e.dtype.kind == "f" and not np.isfinite(e).all():
            pos = _first(~np.isfinite(e))
            raise InputError(f"events must be 0 or 1; position {pos} holds {_show(e, pos)}.")
        if e.min() < 0 or e.max() > 1 or (e.dtype.kind == "f" and not ((e == 0) | (e == 1)).all()):
            pos = _first((e != 0) & (e != 1))
            raise InputError(f"events must be 0 or 1; position {pos} holds {_show(e, pos)}.")
        if e.dtype.kind == "f":
            e = e.astype(np.int8)

    a = None
    if entry is not None:
        a = as_1d("entry", entry)
        if a.shape[0] != n:
            raise InputError(f"entry has length {a.shape[0]} but durations has length {n}; they must match.")
        _check_finite_nonneg("entry", a, allow_negative=True)
        a = a.astype(np.float64, copy=False)
        late = a > d
        if late.any():
            pos = _first(late)
            raise InputError(
                f"entry must not be after the duration; position {pos} has entry {_show(a, pos)} > duration {_show(d, pos)}."
            )
        at_entry = (e != 0) & (a == d)
        if at_entry.any():
            pos = _first(at_entry)
            raise InputError(
                f"an event cannot happen at the entry time (a subject is at risk only after entry); "
                f"position {pos} has entry = duration = {_show(d, pos)} with an event."
            )

    w = None
    if weights is not None:
        w = as_1d("weights", weights)
        if w.shape[0] != n:
            raise InputError(f"weights has length {w.shape[0]} but durations has length {n}; they must match.")
        _check_finite_nonneg("weights", w)
        w = w.astype(np.float64, copy=False)

    return SurvivalInput(d, e, a, w, d.max().item())


def check_alpha_ci(alpha: float, ci: str, func: str) -> CIType:
    """Check the interval settings of an estimator: ``0 < alpha < 1`` and ``ci`` one of the band types.

    Parameters
    ----------
    alpha : float
        1 - confidence level.
    ci : str
        Band type; one of :data:`survival_invest.estimate.summaries.CI_TYPES`.
    func : str
        The calling function's name, for the message.

    Returns
    -------
    str
        ``ci``, typed as the band type it is.

    Raises
    ------
    InputError
        Naming the parameter, the function and the value.
    """
    if not isinstance(alpha, (int, float)) or not (0.0 < float(alpha) < 1.0):
        raise InputError(f"The 'alpha' parameter of {func} must be in (0, 1). Got {alpha!r} instead.")
    for band in CI_TYPES:
        if ci == band:
            return band
    raise InputError(f"The 'ci' parameter of {func} must be one of {list(CI_TYPES)}. Got {ci!r} instead.")


def check_taus(taus: object, func: str) -> np.ndarray:
    """Horizons as a 1-D float array; every one finite and ``>= 0`` (a scalar becomes one horizon).

    ``func`` names the calling function in the message (:class:`InputError`
    with the first offending position and value).
    """
    arr = np.atleast_1d(np.asarray(taus, dtype=np.float64))
    bad = ~np.isfinite(arr) | (arr < 0)
    if arr.ndim != 1 or arr.size == 0:
        raise InputError(f"The 'tau' parameter of {func} must be a number or a 1-D list of numbers. Got {taus!r}.")
    if bad.any():
        pos = int(np.argmax(bad))
        raise InputError(
            f"The 'tau' parameter of {func} must be finite and >= 0; position {pos} holds {arr[pos].item()!r}."
        )
    return arr


def group_codes(groups: object, n: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """Integer codes 0..G-1, their labels, and whether some labels may have no subject.

    Rule: small non-negative integer labels (``max < max(4 n, 2**20)``) are
    used as codes directly (no pass over the subjects); empty groups are then
    dropped after counting. Booleans become codes 0/1. Anything else goes
    through ``pandas.factorize`` (hashing, sorted labels), whose labels all occur.
    Missing labels, a wrong shape or a length other than ``n`` are an :class:`InputError`.
    """
    values = np.asarray(groups)
    if values.ndim != 1:
        raise InputError(f"groups must be one-dimensional; got an array of shape {values.shape}.")
    if values.shape[0] != n:
        raise InputError(f"groups has length {values.shape[0]} but durations has length {n}; they must match.")
    if values.dtype.kind in "iu" and n:
        lo, hi = values.min(), values.max()
        if lo >= 0 and hi < max(4 * n, 1 << 20):
            return values, np.arange(int(hi) + 1), True
    if values.dtype.kind == "b":
        return values.astype(np.int8), np.array([False, True]), True
    missing = pd.isna(values)
    if missing.any():
        pos = int(np.argmax(missing))
        raise InputError(f"groups must not be missing; position {pos} holds {values[pos]!r}.")
    codes, labels = pd.factorize(values, sort=True)
    return codes.astype(np.int64, copy=False), np.asarray(labels), False
