"""The sentences a student reads when their code runs into one of the rubric's limits.

Each limit shows up differently: an exception inside the child (MemoryError,
EFBIG, a fork that fails), a signal that ended the process, or a verdict of
the zygote or the parent (time, process count, output size). Each function
here turns one of those into a sentence that names the limit, its value and
the rubric key that sets it.
"""

from __future__ import annotations

import errno
import signal

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


def exception_hint(exc: BaseException, memory_mb: int, file_size_mb: int, processes: int) -> str:
    """The limit an exception raised in student code points to, or ''.

    >>> exception_hint(MemoryError(), 4096, 256, 64)
    'the memory limit of 4096 MiB per process ([limits] memory_mb) was reached'
    """
    if isinstance(exc, MemoryError):
        return memory_message(memory_mb)
    if isinstance(exc, OSError) and exc.errno == errno.EFBIG:
        return file_size_message(file_size_mb)
    if isinstance(exc, OSError) and exc.errno in (errno.EAGAIN, errno.ENOMEM) and "fork" in str(exc).lower():
        return processes_message(processes)
    text = str(exc).lower()
    if isinstance(exc, RuntimeError) and any(word in text for word in ALLOCATION_WORDS):
        return memory_message(memory_mb)
    if isinstance(exc, (RuntimeError, BlockingIOError)) and ("new thread" in text or "resource temporarily" in text):
        return processes_message(processes)
    return ""


def signal_hint(signum: int, memory_mb: int, file_size_mb: int) -> str:
    """What a deadly signal most likely means under our limits, or ''."""
    if signum == signal.SIGXFSZ:
        return file_size_message(file_size_mb)
    if signum in (signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS):
        # Native code that cannot allocate often aborts or crashes instead of raising.
        return f"possibly {memory_message(memory_mb)}"
    return ""
