"""The limits: rubric defaults and validation, and the sentence each one produces when hit."""

from __future__ import annotations

import errno
import signal
import subprocess
import sys
from typing import Any

import pytest

from grader.rubric import LIMIT_DEFAULTS, RubricError, rubric_from_dict, tomllib
from grader.sandbox.limits import exception_hint, output_message, signal_hint
from tests.conftest import FAST_RUBRIC


def _doc() -> dict[str, Any]:
    return tomllib.loads(FAST_RUBRIC.read_text(encoding="utf-8"))


def test_limits_left_out_of_a_rubric_take_their_defaults() -> None:
    doc = _doc()
    for key in LIMIT_DEFAULTS:
        doc["limits"].pop(key)
    limits = rubric_from_dict(doc).limits
    assert (limits.memory_mb, limits.file_size_mb, limits.output_kb, limits.processes) == (4096, 256, 64, 64)


@pytest.mark.parametrize("key, value", [("processes", 0), ("memory_mb", -1), ("processes", "many")])
def test_bad_limits_are_rubric_errors(key: str, value: Any) -> None:
    doc = _doc()
    doc["limits"][key] = value
    with pytest.raises(RubricError, match=key):
        rubric_from_dict(doc)


@pytest.mark.parametrize(
    "exc, words",
    [
        (MemoryError(), "memory limit of 1024 MiB per process ([limits] memory_mb)"),
        (RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 4 TB"), "limit of 1024 MiB"),
        (OSError(errno.EFBIG, "File too large"), "file size limit of 8 MiB ([limits] file_size_mb)"),
        (BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable"), "possibly the part reached the limit"),
        (RuntimeError("can't start new thread"), "limit of 16 processes and threads ([limits] processes)"),
    ],
)
def test_exceptions_from_a_limit_name_it(exc: BaseException, words: str) -> None:
    assert words in exception_hint(exc, 1024, 8, 16)


def test_other_exceptions_name_no_limit() -> None:
    assert exception_hint(ValueError("bad shape"), 1024, 8, 16) == ""
    assert exception_hint(MemoryError(), 0, 0) == ""  # no limit in force: nothing to blame


def test_deadly_signals_name_the_likely_limit() -> None:
    assert "file size limit of 8 MiB" in signal_hint(signal.SIGXFSZ, 1024, 8)
    assert "possibly the memory limit of 1024 MiB" in signal_hint(signal.SIGSEGV, 1024, 8)
    assert signal_hint(signal.SIGKILL, 1024, 8) == ""


def test_output_note_names_the_limit() -> None:
    assert output_message(1000, 64) == (
        "[... 1000 more bytes of output dropped: only the first 64 KiB are kept ([limits] output_kb)]"
    )


def test_the_child_reads_its_limits_back_from_the_kernel() -> None:
    code = (
        "import resource; from grader.sandbox.limits import rlimits_mb; "
        "resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30)); "
        "resource.setrlimit(resource.RLIMIT_FSIZE, (5 << 20, 5 << 20)); print(rlimits_mb())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "(3072, 5)"
