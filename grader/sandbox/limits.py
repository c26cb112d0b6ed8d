"""The sentences a student reads when their code runs into one of the rubric's limits.

Each limit shows up differently: an exception inside the child (MemoryError,
EFBIG, a fork that fails), a signal that ended the process, or a verdict of
the zygote or the parent (time, process count, output size). Each function
here turns one of those into a sentence that names the limit, its value and
the rubric key that sets it.
"""

from __future__ import annotations

import errno
import resource
import signal
from dataclasses import dataclass
from typing import Mapping



@dataclass(frozen=True)
class Limits:
    """What one part's processes may use; each limit's message names its rubric key."""

    timeout_s: Mapping[str, float]
    memory_mb: int  # address space of each process (data segment on CUDA)
    file_size_mb: int  # largest file a process may write
    output_kb: int  # stdout and stderr kept per part; the rest is counted and dropped
    processes: int = 64  # processes and threads of a part at once


# Words in torch's and the C++ runtime's messages for an allocation that failed.
ALLOCATION_WORDS = ("can't allocate memory", "std::bad_alloc", "cannot allocate memory", "out of memory")


def memory_message(memory_mb: int) -> str:
    return f"the memory limit of {memory_mb} MiB per process ([limits] memory_mb) was reached"


def file_size_message(file_size_mb: int) -> str:
    return f"a file grew past the file size limit of {file_size_mb} MiB ([limits] file_size_mb)"


def processes_message(processes: int) -> str:
    return f"the part reached the limit of {processes} processes and threads ([limits] processes)"


def output_message(dropped: int, output_kb: int) -> str:
    return f"[... {dropped} more bytes of output dropped: only the first {output_kb} KiB are kept ([limits] output_kb)]"


def rlimits_mb() -> tuple[int, int]:
    """The memory and file size limits in force in this process, in MiB (0: none).

    The child reads them back rather than being told: they are what the kernel enforces.
    """
    memory = [limit for limit in (_soft(resource.RLIMIT_AS), _soft(resource.RLIMIT_DATA)) if limit]
    return (min(memory) if memory else 0) >> 20, _soft(resource.RLIMIT_FSIZE) >> 20


def _soft(kind: int) -> int:
    """The soft limit in bytes, 0 for none."""
    soft = resource.getrlimit(kind)[0]
    return 0 if soft == resource.RLIM_INFINITY else soft


def exception_hint(exc: BaseException, memory_mb: int, file_size_mb: int, processes: int | None = None) -> str:
    """The limit an exception raised in student code points to, or ''.

    >>> exception_hint(MemoryError(), 4096, 256, 64)
    'the memory limit of 4096 MiB per process ([limits] memory_mb) was reached'
    """
    text = str(exc).lower()
    out_of_memory = isinstance(exc, MemoryError) or (
        isinstance(exc, RuntimeError) and any(word in text for word in ALLOCATION_WORDS)
    )
    if out_of_memory and memory_mb:
        return memory_message(memory_mb)
    if isinstance(exc, OSError) and exc.errno == errno.EFBIG and file_size_mb:
        return file_size_message(file_size_mb)
    # EAGAIN also comes from non-blocking I/O, hence "possibly".
    spawn_failed = (isinstance(exc, OSError) and exc.errno == errno.EAGAIN) or (
        isinstance(exc, RuntimeError) and "new thread" in text
    )
    if spawn_failed and processes is not None:
        return f"possibly {processes_message(processes)}"
    return ""


def signal_hint(signum: int, memory_mb: int, file_size_mb: int) -> str:
    """What a deadly signal most likely means under our limits, or ''."""
    if signum == signal.SIGXFSZ:
        return file_size_message(file_size_mb)
    if signum in (signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS):
        # Native code that cannot allocate often aborts or crashes instead of raising.
        return f"possibly {memory_message(memory_mb)}"
    return ""
