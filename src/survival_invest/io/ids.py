"""Identifier columns at national scale: compact strings and integer keys for equality.

A national memberships file holds tens of millions of rows. Python string
objects cost ~60 bytes each and every ``str.strip``/``isin``/``duplicated`` on
them is a Python-speed hash; these helpers keep identifiers as Arrow strings
(pandas ``string[pyarrow]``: one buffer, vectorised C++ kernels) and compare
them through integer keys:

* when every id is a canonical decimal integer (``"120034"``, not ``"007"``,
  ``"+5"`` or ``"5.0"``) the key is the integer itself (a cast, no hashing);
* otherwise the key is a factorisation code, consistent across all the
  columns passed together.

Two ids get the same key exactly when their strings are equal.
"""

from __future__ import annotations

import itertools
from typing import cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["arrow_strings", "categories", "integer_ids", "integer_ids_where_canonical", "person_keys"]


def _to_arrow(values: pd.Series) -> pa.ChunkedArray | pa.Array | None:
    """The column as an Arrow string array, or ``None`` when Arrow cannot take it as is (mixed objects)."""
    arr = values.array
    pa_arr = getattr(arr, "_pa_array", None)  # ArrowStringArray / ArrowExtensionArray
    try:
        if pa_arr is None:
            if values.dtype.kind in "iu":
                pa_arr = pa.array(values.to_numpy())
            elif values.dtype.kind == "f":
                return None  # floats from Parquet need the '.0' rule of the caller
            else:
                pa_arr = pa.array(np.asarray(values, dtype=object), from_pandas=True)
        if pa.types.is_integer(pa_arr.type):
            pa_arr = pc.cast(pa_arr, pa.string())
        if not (pa.types.is_string(pa_arr.type) or pa.types.is_large_string(pa_arr.type)):
            return None
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None
    return pa_arr


def arrow_strings(values: pd.Series) -> pd.Series:
    """Stripped strings as ``string[pyarrow]`` (missing values stay missing).

    Integers become their decimal text; anything Arrow cannot read directly
    (mixed Python objects, floats) goes through pandas' ``astype("string")``.
    """
    pa_arr = _to_arrow(values)
    if pa_arr is None:
        return values.astype("string").str.strip().astype("string[pyarrow]")
    if isinstance(pa_arr, pa.ChunkedArray):
        pa_arr = pa_arr.combine_chunks()
    trimmed = pc.utf8_trim_whitespace(pa_arr)
    if pa.types.is_large_string(trimmed.type):
        trimmed = pc.cast(trimmed, pa.string())
    return pd.Series(pd.arrays.ArrowStringArray(trimmed), index=values.index, name=values.name)


def categories(values: pd.Series, *, lower: bool = False) -> pd.Series:
    """A column with few distinct values (case ids, group names) as a stripped categorical.

    Cleans each distinct value once and stores one small integer per row
    (national scale: 29 million group names cost 29 MB instead of 700 MB).
    Values that differ only by surrounding blanks (or case, with ``lower``)
    become one category; missing values stay missing. Falls back to
    :func:`arrow_strings` when most values are distinct.
    """
    codes, uniq = pd.factorize(values, use_na_sentinel=True)
    if len(uniq) > max(len(values) // 2, 16):
        out = arrow_strings(values)
        return out.str.lower() if lower else out
    clean = arrow_strings(pd.Series(np.asarray(uniq, dtype=object)))
    if lower:
        clean = clean.str.lower()
    inverse, cats = pd.factorize(clean, use_na_sentinel=True)
    merged = np.where(codes >= 0, inverse[np.maximum(codes, 0)], -1) if len(uniq) else np.full(len(values), -1)
    cat = pd.Categorical.from_codes(merged.astype(np.int64), categories=pd.Index(np.asarray(cats, dtype=object)))
    return pd.Series(cat, index=values.index, name=values.name)


def integer_ids(values: pd.Series) -> np.ndarray | None:
    """The ids as int64 when every one is a canonical decimal integer, else ``None``.

    Canonical: the integer's decimal text is the id itself, so equal integers
    mean equal strings (``"007"`` and ``"7"`` are different persons and are
    not integers here).
    """
    if values.dtype.kind in "iu":
        return values.to_numpy().astype(np.int64)
    if values.isna().any():
        return None
    pa_arr = _to_arrow(values)
    if pa_arr is None:
        return None
    try:
        ints = pc.cast(pa_arr, pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if not pc.all(pc.equal(pc.cast(ints, pa.string()), pc.cast(pa_arr, pa.string()))).as_py():
        return None
    out = ints.to_numpy() if isinstance(ints, pa.Array) else ints.combine_chunks().to_numpy()
    return np.asarray(out, dtype=np.int64)


def integer_ids_where_canonical(values: pd.Series) -> pd.arrays.IntegerArray:
    """The ids as nullable Int64: the integer where the id is canonical (see :func:`integer_ids`), else missing.

    For a table that mixes integer ids with others (``"x9"``, ``"0007"``):
    those can never equal an integer extract's ids compared as text. A check
    per value (pandas, slower than the single Arrow cast of
    :func:`integer_ids`, which callers try first).
    """
    text = values.astype("string").reset_index(drop=True)
    num = pd.to_numeric(text, errors="coerce").astype("Int64")
    canonical = (num.astype("string") == text).fillna(False).to_numpy(dtype=bool)
    # pandas-stubs type Series.array as ExtensionArray; an Int64 Series holds an IntegerArray
    return cast(pd.arrays.IntegerArray, num.where(canonical).array)


def person_keys(*columns: pd.Series) -> list[np.ndarray]:
    """Integer keys for one or more id columns, equal exactly where the ids are equal (across all columns).

    Integers when every id is canonical (see :func:`integer_ids`), else codes of
    one :func:`pandas.factorize` over the columns together. Missing ids get
    distinct negative keys only in the factorised case (``-1``); callers check
    for missing ids first.
    """
    ints = [integer_ids(c) for c in columns]
    known = [i for i in ints if i is not None]
    if len(known) == len(ints):
        return known
    sizes = np.cumsum([0] + [len(c) for c in columns])
    codes, _ = pd.factorize(pd.concat([c.astype("string") for c in columns], ignore_index=True))
    return [np.asarray(codes[a:b], dtype=np.int64) for a, b in itertools.pairwise(sizes)]
