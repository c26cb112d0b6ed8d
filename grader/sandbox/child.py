"""One part's child process: runs the part's probes on the student's code.

The zygote forks it (see `grader.sandbox.zygote`) in its own session, with
torch already imported and no student code run yet. It limits itself, then
writes one result per probe into IO_DIR/out. It computes no score: whatever
it writes, the parent checks.
"""

from __future__ import annotations

import os
import resource
import sys
from pathlib import Path
from typing import Any, Mapping

from grader.sandbox.limits import exception_hint


def limit_resources(memory_mb: int, file_size_mb: int, device: str) -> None:
    """Address space (CPU) or data size (CUDA maps huge virtual ranges), files, no core dumps."""
    memory = memory_mb << 20
    kind = resource.RLIMIT_DATA if device == "cuda" else resource.RLIMIT_AS
    resource.setrlimit(kind, (memory, memory))
    size = file_size_mb << 20
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


class ThreadGuard:
    """Keeps torch at the rubric's thread count: results (and fairness) depend on it.

    `torch.set_num_threads` is replaced by a function that only records the
    request, and the count is set again before every probe in case the
    submission reached torch's internals.
    """

    def __init__(self, torch: Any, threads: int) -> None:
        self.torch, self.threads, self.requested = torch, threads, 0
        self.setter = torch.set_num_threads
        self.setter(threads)
        torch.set_num_threads = self.record

    def record(self, count: int) -> None:
        self.requested = max(self.requested, int(count))

    def pin(self) -> str:
        """Set the count again; a note if the submission had changed it or asked for more."""
        changed = self.torch.get_num_threads()
        self.setter(self.threads)
        asked = max(self.requested, changed if changed != self.threads else 0)
        if asked and asked != self.threads:
            return (f"the submission asked torch for {asked} threads; the grader keeps "
                    f"{self.threads} ([grading] threads)")  # fmt: skip
        return ""


def run(io_dir: Path, scratch: Path, limits: Mapping[str, Any]) -> None:
    """Run the job in `io_dir` against the copy in `scratch`, then leave without cleanup."""
    import torch

    from grader.precision import full_float32
    from grader.probes import prepare_child, probes_for
    from grader.probes.common import ProbeContext
    from grader.sandbox.feed import await_inputs
    from grader.sandbox.protocol import JOB_FILE, OUT_DIR, STARTED_FILE, Job

    job = Job.from_json((io_dir / JOB_FILE).read_text(encoding="utf-8"))
    limit_resources(job.memory_mb, job.file_size_mb, job.device)
    guard = ThreadGuard(torch, job.threads)
    os.environ.update(HOME=str(scratch), TMPDIR=str(scratch / ".tmp"))
    probes = probes_for(job.part)
    prepare_child(job.part)  # before the first probe imports the student's module
    ctx = ProbeContext(job=job, inputs={}, scratch=scratch, io_dir=io_dir)
    os.chdir(scratch)
    sys.path.insert(0, str(scratch))
    started = open(io_dir / OUT_DIR / STARTED_FILE, "a", encoding="utf-8")
    hint_limits = (job.memory_mb, job.file_size_mb, int(limits["processes"]))
    notes: list[str] = []
    for name in job.probes:
        started.write(name + "\n")
        started.flush()
        ctx.inputs = await_inputs(io_dir, name)  # only this probe's, and only now
        if job.device == "cuda":
            full_float32(torch)  # before every probe: the submission's module may have turned TF32 on
        _run_probe(io_dir, name, probes[name], ctx, hint_limits, notes)
        note = guard.pin()
        if note and note not in notes:
            notes.append(note)
    started.close()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - student code may have replaced or closed them
            pass
    # Skip interpreter shutdown: student atexit hooks and __del__ methods must not run after us.
    os._exit(0)


def _run_probe(io_dir: Path, name: str, probe: Any, ctx: Any, hint_limits: tuple[int, int, int],
               notes: list[str]) -> None:  # fmt: skip
    from grader.probes.common import NotRun
    from grader.sandbox.protocol import write_probe
    from grader.schema import encode

    try:
        values, arrays = encode(probe(ctx))
    except NotRun as exc:
        write_probe(io_dir, name, "error", {"not_run": True}, {}, str(exc), notes)
    # BaseException: student code may raise SystemExit or KeyboardInterrupt on purpose.
    except BaseException as exc:  # noqa: BLE001
        write_probe(io_dir, name, "error", {}, {}, _explain(exc, ctx.scratch, hint_limits), notes)
    else:
        write_probe(io_dir, name, "ok", values, arrays, "", notes)


def _explain(exc: BaseException, scratch: Path, hint_limits: tuple[int, int, int]) -> str:
    """The student's traceback, plus the limit it ran into if any; never raises."""
    from grader.probes.common import describe_exception

    try:
        message = describe_exception(exc, scratch)
    except BaseException:  # noqa: BLE001 - an exception whose __str__ raises
        message = f"{type(exc).__name__} (its message could not be shown)"
    try:
        hint = exception_hint(exc, *hint_limits)
    except BaseException:  # noqa: BLE001
        hint = ""
    return f"{message}\n{hint}" if hint and hint not in message else message
