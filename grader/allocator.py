"""glibc's malloc set for training loops: the heap stops shrinking and growing at every step.

A training step allocates and frees the same tensors, a few hundred kilobytes to a few
megabytes each. With glibc's defaults, a process forked from the zygote (which imported
torch and freed much of what the import allocated) returned the top of its heap to the
system after nearly every step and took it back at the next, page faults and zeroing
included: the SR training ran at 5.7 ms a step in a part's child against 4.2 ms in a fresh
process, for the same kernels and the same bits (`docs/performance.md`). Keeping blocks of
up to 32 MiB on the heap and trimming only past 512 MiB free at its top removes that cost.

Only the allocator's bookkeeping changes: torch aligns every buffer to 64 bytes either way,
so the kernels, their rounding and every result are the same (a test compares them).
"""

from __future__ import annotations

import ctypes
import sys

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameters (malloc.h)
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20  # glibc's largest accepted value on 64-bit systems
TRIM_THRESHOLD = 512 << 20


def tune_for_training() -> bool:
    """Set this process's malloc (and that of children it forks later); False where not glibc."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None)  # the symbols the process already has: its C library among them
        mallopt = libc.mallopt
        version = libc.gnu_get_libc_version  # glibc only: musl's mallopt accepts and ignores
    except (OSError, AttributeError):
        return False
    del version
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
