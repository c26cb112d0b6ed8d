"""One part's child process: runs the part's probes on the student's code.

The zygote forks it (see `grader.sandbox.zygote`); torch is already
imported, no student code has run yet. It limits itself, then writes one
result per probe into IO_DIR/out. It computes no score: whatever it writes,
the parent checks.
"""

from __future__ import annotations

import os
import resource
import sys
from pathlib import Path


def limit_resources(memory_mb: int, file_size_mb: int, device: str) -> None:
    """Address space (CPU) or data size (CUDA maps huge virtual ranges), files, no core dumps."""
    memory = memory_mb << 20
    kind = resource.RLIMIT_DATA if device == "cuda" else resource.RLIMIT_AS
    resource.setrlimit(kind, (memory, memory))
    size = file_size_mb << 20
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def run(io_dir: Path, scratch: Path) -> None:
    """Run the job in `io_dir` against the copy in `scratch`, then leave without cleanup."""
    import numpy as np
    import torch

    from grader.probes import probes_for
    from grader.probes.common import NotRun, ProbeContext, describe_exception
    from grader.sandbox.protocol import INPUTS_FILE, JOB_FILE, OUT_DIR, STARTED_FILE, Job, write_probe

    job = Job.from_json((io_dir / JOB_FILE).read_text(encoding="utf-8"))
    with np.load(io_dir / INPUTS_FILE, allow_pickle=False) as archive:
        inputs = {key: archive[key] for key in archive.files}
    limit_resources(job.memory_mb, job.file_size_mb, job.device)
    torch.set_num_threads(job.threads)
    os.environ.update(HOME=str(scratch), TMPDIR=str(scratch / ".tmp"))
    probes = probes_for(job.part)
    ctx = ProbeContext(job=job, inputs=inputs, scratch=scratch)
    os.chdir(scratch)
    sys.path.insert(0, str(scratch))
    started = open(io_dir / OUT_DIR / STARTED_FILE, "a", encoding="utf-8")
    for name in job.probes:
        started.write(name + "\n")
        started.flush()
        try:
            values, arrays = probes[name](ctx)
        except NotRun as exc:
            write_probe(io_dir, name, "error", {"not_run": True}, {}, str(exc))
        # BaseException: student code may raise SystemExit or KeyboardInterrupt on purpose.
        except BaseException as exc:  # noqa: BLE001
            write_probe(io_dir, name, "error", {}, {}, describe_exception(exc, scratch))
        else:
            write_probe(io_dir, name, "ok", values, arrays, "")
    started.close()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - student code may have replaced or closed them
            pass
    # Skip interpreter shutdown: student atexit hooks and __del__ methods must not run after us.
    os._exit(0)
