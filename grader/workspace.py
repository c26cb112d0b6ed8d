"""One submission's scratch space: its staged copy and its started sandbox.

Nothing here imports torch, on purpose: `cnn-grader check` opens the
workspace first, so the sandbox imports torch while the parent does too.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from grader.interrupts import deferred
from grader.sandbox.runner import SandboxSettings, Zygote
from grader.submission import StagedSubmission, SubmissionError, stage, submission_name


@dataclass(frozen=True)
class Workspace:
    """The staged submission and its sandbox; when staging failed, `problem` says why
    and there is neither."""

    name: str
    folder: Path
    started: float  # time.monotonic() when the grade began
    staged: StagedSubmission | None
    zygote: Zygote | None
    problem: str = ""


@contextmanager
def open_workspace(
    submission: Path, sandbox: SandboxSettings, parts: Sequence[str], device: str, threads: int, keep: bool = False
) -> Iterator[Workspace]:
    """Stage `submission` in a fresh folder and start its sandbox; remove both afterwards.

    >>> with open_workspace(Path("reference"), settings, ("cnn",), "cpu", 1) as ws:   # doctest: +SKIP
    ...     ws.staged.sources["cnn"].module
    'cnn.py'
    """
    started = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix="cnn-grader-"))
    try:
        try:
            staged = stage(Path(submission), folder / "submission")
        except SubmissionError as exc:
            yield Workspace(submission_name(Path(submission)), folder, started, None, None, str(exc))
            return
        with Zygote.start(sandbox, folder / "parts", parts, device, threads) as zygote:
            yield Workspace(staged.name, folder, started, staged, zygote)
    finally:
        if not keep:
            with deferred():  # a second Ctrl-C must not leave the scratch folder behind
                shutil.rmtree(folder, ignore_errors=True)
