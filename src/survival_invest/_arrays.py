"""Small array helpers shared by the cohort builder, the engines, the economics and the adjustment (no Python loops)."""

from __future__ import annotations

import ctypes
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

__all__ = ["heap_allocations", "ragged_arange"]

_HEAP = threading.local()  # nesting depth of heap_allocations in this thread


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


@contextmanager
def heap_allocations() -> Iterator[None]:
    """Within the block, serve large arrays from malloc's heap instead of fresh ``mmap`` s (glibc only).

    glibc maps every array above 32 MB anew and unmaps it when freed, so each temporary faults its pages in
    again: in a VM that hands freed pages back to its host (the benchmark machine) that was half the CPU time of
    AIPW at 10^6 persons (19 of 38 s, system time), and 14 of 27 s of the in-memory engine's cohort and counts at
    10^8 spell rows. ``M_MMAP_MAX = 0`` and a 2 GB ``M_TRIM_THRESHOLD`` let the next temporary reuse freed
    memory; on leaving the outermost block glibc's defaults are set and ``malloc_trim(0)`` runs (blocks nest).
    """
    depth = getattr(_HEAP, "depth", 0)
    libc = None
    if depth == 0:
        try:
            libc = ctypes.CDLL("libc.so.6") if sys.platform.startswith("linux") else None
            if libc is not None:  # M_MMAP_MAX (-4), M_TRIM_THRESHOLD (-1)
                libc.mallopt(-4, 0)
                libc.mallopt(-1, 2**31 - 1)
        except (OSError, AttributeError):  # not glibc: nothing to do
            libc = None
    _HEAP.depth = depth + 1
    try:
        yield
    finally:
        _HEAP.depth = depth
        if libc is not None:  # glibc's defaults
            libc.mallopt(-4, 65536)
            libc.mallopt(-1, 128 * 1024)
            libc.malloc_trim(0)
