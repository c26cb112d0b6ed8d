"""The marker that torch's own pixel shuffle leaves in Part 3: a NaN with a payload of ours.

While Part 3 is graded, the child replaces torch's pixel shuffle kernels with
ones that return this NaN everywhere (`grader.probes.shuffle_poison`). The
parent recognises it in whatever arrays come back, so that the use of torch's
pixel shuffle shows in the values themselves, not in anything the child says.

The float32 marker's mantissa is also the top of the float64 marker's, so a
cast either way keeps it recognisable; the sign is ignored (a negation keeps
the payload too). No arithmetic of student code produces this payload by
accident: the NaNs that hardware makes carry none.
"""

from __future__ import annotations

import numpy as np

MANTISSA32 = 0x407A9D  # quiet bit + payload, 23 bits
BITS32 = 0x7F800000 | MANTISSA32
BITS64 = (0x7FF << 52) | (MANTISSA32 << 29) | 0x5EED


def carries_marker(array: np.ndarray | None) -> bool:
    """True if any float32 or float64 entry is the marker NaN.

    >>> carries_marker(np.array([1.0, np.uint32(BITS32).view(np.float32)], dtype=np.float32))
    True
    >>> carries_marker(np.array([np.nan, 1.0]))
    False
    """
    if array is None or array.dtype.kind != "f" or array.size == 0:
        return False
    if array.dtype == np.float32:
        bits = np.ascontiguousarray(array).view(np.uint32) & np.uint32(0x7FFFFFFF)
        return bool(np.any(bits == np.uint32(BITS32)))
    if array.dtype == np.float64:
        bits = np.ascontiguousarray(array).view(np.uint64) & np.uint64(0x7FFFFFFFFFFFFFFF)
        return bool(np.any((bits >> np.uint64(29)) == np.uint64(BITS64 >> 29)))
    return False


def count_marked(arrays: list[np.ndarray | None]) -> int:
    """How many of the arrays carry the marker."""
    return sum(carries_marker(a) for a in arrays)
