"""Parent side of the sandbox: start a child for one part, watch its clock,
kill everything it started, and read back what it observed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import IO, Mapping

import numpy as np

import grader
from grader.sandbox.child import BOOTSTRAP
from grader.sandbox.isolation import Isolation
from grader.sandbox.protocol import Job, ProbeResult, ProbeStatus, read_probe, started_probes, write_inputs

# Variables a child may inherit: locale-free basics, plus what some CPUs and GPUs need.
PASSED_THROUGH = (
    "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "LD_LIBRARY_PATH", "CUDA_HOME",
    "NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES",
)  # fmt: skip


@dataclass(frozen=True)
class PartRun:
    """Everything one child left behind, as plain data."""

    part: str
    probes: Mapping[str, ProbeResult]
    ending: str  # e.g. "finished", "timed out after 120 s", "killed by SIGKILL"
    timed_out: bool
    stdout: str
    stderr: str
    duration_s: float

    def probe(self, name: str) -> ProbeResult:
        return self.probes[name]


@dataclass(frozen=True)
class ChildSettings:
    """How to start children: the wrapper, the time limit and the output cap."""

    isolation: Isolation
    timeout_s: float
    output_kb: int


class _CappedReader(threading.Thread):
    """Drains a pipe so the child never blocks, keeping only the first `cap` bytes."""

    def __init__(self, stream: IO[bytes], cap: int) -> None:
        super().__init__(daemon=True)
        self.stream, self.cap = stream, cap
        self.kept = bytearray()
        self.dropped = 0

    def run(self) -> None:
        for chunk in iter(lambda: self.stream.read(65536), b""):
            room = self.cap - len(self.kept)
            self.kept += chunk[: max(room, 0)]
            self.dropped += max(len(chunk) - max(room, 0), 0)

    def text(self) -> str:
        text = self.kept.decode("utf-8", errors="replace")
        if self.dropped:
            text += f"\n[... {self.dropped} more bytes of output dropped]"
        return text


def run_part(
    job: Job,
    inputs: Mapping[str, np.ndarray],
    submission_dir: Path,
    work_dir: Path,
    settings: ChildSettings,
) -> PartRun:
    """Run `job` on a fresh copy of the submission; never raises for anything the child does."""
    io_dir, scratch = work_dir / "io", work_dir / "scratch"
    shutil.copytree(submission_dir, scratch, symlinks=True)
    (scratch / ".tmp").mkdir(exist_ok=True)
    write_inputs(io_dir, job, inputs)
    command = [
        *settings.isolation.prefix,
        sys.executable, "-I", "-c", BOOTSTRAP, str(io_dir), str(scratch), _grader_root(),
    ]  # fmt: skip
    started = time.monotonic()
    process = subprocess.Popen(
        command,
        cwd=io_dir,
        env=_child_env(job, scratch),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    readers = [_CappedReader(s, settings.output_kb << 10) for s in (process.stdout, process.stderr)]
    for reader in readers:
        reader.start()
    timed_out = False
    try:
        process.wait(timeout=settings.timeout_s)
    except subprocess.TimeoutExpired:
        timed_out = True
    finally:
        _kill_group(process)
    for reader in readers:
        reader.join(timeout=5)
    duration = time.monotonic() - started
    ending = _ending(process.returncode, timed_out, settings.timeout_s)
    probes = _collect(io_dir, job, timed_out, ending)
    return PartRun(
        job.part, MappingProxyType(probes), ending, timed_out,
        readers[0].text(), readers[1].text(), duration,
    )  # fmt: skip


def _collect(io_dir: Path, job: Job, timed_out: bool, ending: str) -> dict[str, ProbeResult]:
    """One result per probe: written ones as read, the interrupted one, then the unrun ones."""
    started = started_probes(io_dir)
    results: dict[str, ProbeResult] = {}
    stopped_in = ""
    for name in job.probes:
        result = read_probe(io_dir, name)
        if result is not None and not stopped_in:
            results[name] = result
        elif not stopped_in and name in started:
            stopped_in = name
            status = ProbeStatus.TIMEOUT if timed_out else ProbeStatus.CRASHED
            results[name] = ProbeResult(name, status, message=f"{ending} while running this step")
        else:
            stopped_in = stopped_in or name
            status = ProbeStatus.TIMEOUT if timed_out else ProbeStatus.NOT_RUN
            results[name] = ProbeResult(
                name, status, message=f"not run: {ending} during step '{stopped_in}'"
            )
    return results


def _ending(returncode: int | None, timed_out: bool, timeout_s: float) -> str:
    if timed_out:
        return f"the part timed out after {timeout_s:g} s"
    if returncode is None or returncode == 0:
        return "the child process ended early"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"the child process was killed by {name}"
    return f"the child process exited with status {returncode}"


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the child's whole process group; namespaces take the rest with them."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _child_env(job: Job, scratch: Path) -> dict[str, str]:
    threads = str(job.threads)
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(scratch),
        "TMPDIR": str(scratch / ".tmp"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8:replace",
        "OMP_NUM_THREADS": threads,
        "MKL_NUM_THREADS": threads,
        "OPENBLAS_NUM_THREADS": threads,
        "CUBLAS_WORKSPACE_CONFIG": ":4096:8",
        "MPLBACKEND": "Agg",
    }
    env["CUDA_VISIBLE_DEVICES"] = os.environ.get("CUDA_VISIBLE_DEVICES", "0") if job.device == "cuda" else ""
    env.update({k: os.environ[k] for k in PASSED_THROUGH if k in os.environ})
    return env


def _grader_root() -> str:
    """The folder holding this very `grader` package, so the child runs the same code."""
    return str(Path(grader.__file__).resolve().parent.parent)
