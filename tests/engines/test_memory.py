"""The in-memory engine's allocation setting: large arrays from the heap within the block, nested blocks too."""

from __future__ import annotations

import ctypes
import sys

import numpy as np
import pytest

from survival_invest._arrays import heap_allocations


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks")
    ] + [("keepcost", ctypes.c_size_t)]


def _mapped_blocks() -> int | None:
    """glibc's count of chunks served by their own mmap (None off glibc)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = _MallInfo2
    except (OSError, AttributeError):
        return None
    return int(libc.mallinfo2().hblks)


@pytest.mark.skipif(not sys.platform.startswith("linux") or _mapped_blocks() is None, reason="glibc's mallinfo2")
def test_large_arrays_come_from_the_heap_inside_nested_blocks_and_from_mmap_after() -> None:
    def mapped_while_alive() -> int:
        a = np.ones(8_000_000)  # 64 MB: above glibc's largest mmap threshold
        n = _mapped_blocks()
        assert a.sum() == 8_000_000 and n is not None
        return n

    base = _mapped_blocks()
    assert base is not None
    with heap_allocations():
        with heap_allocations():
            assert mapped_while_alive() == base
        assert mapped_while_alive() == base  # the inner block's exit leaves the outer one's setting
    assert mapped_while_alive() == base + 1  # glibc's defaults again
