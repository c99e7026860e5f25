"""Small array helpers shared by the cohort builder and the economics (no Python loops)."""

from __future__ import annotations

import numpy as np

__all__ = ["ragged_arange"]


def ragged_arange(lengths: np.ndarray, dtype: type = np.int64) -> tuple[np.ndarray, np.ndarray]:
    """``(owner, k)`` for ``k = 0 .. lengths[i] - 1`` of every owner ``i``, concatenated.

    The vectorised form of ``[(i, k) for i, n in enumerate(lengths) for k in range(n)]``:
    one ``np.repeat`` and one ``np.arange``.
    """
    lengths = np.maximum(np.asarray(lengths), 0).astype(np.int64)
    owner: np.ndarray = np.repeat(np.arange(lengths.shape[0], dtype=dtype), lengths)
    starts = np.cumsum(lengths) - lengths
    k = np.repeat((-starts).astype(dtype), lengths)
    k += np.arange(owner.shape[0], dtype=dtype)
    return owner, k
