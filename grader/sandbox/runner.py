"""Parent side of the sandbox: start the zygote for one submission, watch the
clock, kill everything it started, and read back what each part observed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Mapping, Sequence

import numpy as np

import grader
from grader.sandbox.isolation import Isolation
from grader.sandbox.protocol import Job, ProbeResult, ProbeStatus, read_probe, started_probes, write_inputs
from grader.sandbox.zygote import BOOTSTRAP, EXIT_FILE, PIDS_FILE, STDERR_FILE, STDOUT_FILE

# Variables the zygote may inherit, besides the basics set below: what some CPUs and GPUs need.
PASSED_THROUGH = (
    "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "LD_LIBRARY_PATH", "CUDA_HOME",
    "NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES",
)  # fmt: skip
STARTUP_ALLOWANCE_S = 120.0  # importing torch in the zygote, on a slow or busy machine


@dataclass(frozen=True)
class PartRun:
    """Everything one part's child left behind, as plain data."""

    part: str
    probes: Mapping[str, ProbeResult]
    ending: str  # e.g. "the part finished", "the part timed out after 120 s"
    timed_out: bool
    stdout: str
    stderr: str
    duration_s: float

    def probe(self, name: str) -> ProbeResult:
        return self.probes[name]


@dataclass(frozen=True)
class PartJob:
    """One part to run: the job, its input arrays and its time limit."""

    job: Job
    inputs: Mapping[str, np.ndarray]
    timeout_s: float


@dataclass(frozen=True)
class SandboxSettings:
    isolation: Isolation
    workers: int
    output_kb: int


class Zygote:
    """A started zygote, importing torch while the parent prepares the parts.

    >>> with Zygote.start(settings, work_dir, "cpu", 1) as zygote:   # doctest: +SKIP
    ...     runs = zygote.run(parts, submission_dir)
    """

    def __init__(self, process: subprocess.Popen[bytes], settings: SandboxSettings, work_dir: Path) -> None:
        self.process, self.settings, self.work_dir = process, settings, work_dir

    @staticmethod
    def start(settings: SandboxSettings, work_dir: Path, device: str, threads: int) -> "Zygote":
        work_dir.mkdir(parents=True, exist_ok=True)
        process = subprocess.Popen(
            [*settings.isolation.prefix, sys.executable, "-I", "-c", BOOTSTRAP, _grader_root()],
            cwd=work_dir,
            env=_zygote_env(device, threads),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        return Zygote(process, settings, work_dir)

    def __enter__(self) -> "Zygote":
        return self

    def __exit__(self, *exc: object) -> None:
        _kill_everything(self.process, self.work_dir / PIDS_FILE)

    def run(self, parts: Sequence[PartJob], submission_dir: Path) -> dict[str, PartRun]:
        """Run every part on its own fresh copy of the submission; never raises for what children do."""
        entries = []
        for part in parts:
            io_dir, scratch = self.work_dir / part.job.part / "io", self.work_dir / part.job.part / "scratch"
            shutil.copytree(submission_dir, scratch, symlinks=True)
            (scratch / ".tmp").mkdir(exist_ok=True)
            write_inputs(io_dir, part.job, part.inputs)
            entries.append({"name": part.job.part, "io": str(io_dir), "scratch": str(scratch),
                            "timeout_s": part.timeout_s})  # fmt: skip
        plan = {"parts": entries, "workers": self.settings.workers, "work_dir": str(self.work_dir)}
        started = time.monotonic()
        try:
            _, zygote_err = self.process.communicate(
                json.dumps(plan).encode("utf-8"), timeout=STARTUP_ALLOWANCE_S + sum(p.timeout_s for p in parts)
            )
        except subprocess.TimeoutExpired:
            zygote_err = b""
        except (BrokenPipeError, OSError):  # the zygote died before reading its plan
            zygote_err = b"the sandbox process could not start"
        finally:
            _kill_everything(self.process, self.work_dir / PIDS_FILE)
        duration = time.monotonic() - started
        cap = self.settings.output_kb << 10
        problem = zygote_err.decode("utf-8", errors="replace")[-2000:] if self.process.returncode else ""
        return {
            p.job.part: _part_run(p, self.work_dir / p.job.part / "io", cap, duration, problem)
            for p in parts
        }


def _part_run(part: PartJob, io_dir: Path, cap: int, duration: float, zygote_problem: str) -> PartRun:
    exit_doc = _read_exit(io_dir)
    if exit_doc is None:
        timed_out = False
        ending = "the sandbox stopped before this part ended" + (f" ({zygote_problem.strip()})" if zygote_problem else "")
    else:
        timed_out = bool(exit_doc.get("timed_out"))
        ending = _ending(exit_doc.get("returncode"), timed_out, part.timeout_s)
    probes = _collect(io_dir, part.job, timed_out, ending)
    if exit_doc is not None and isinstance(exit_doc.get("duration_s"), (int, float)):
        duration = float(exit_doc["duration_s"])
    return PartRun(
        part.job.part, MappingProxyType(probes), ending, timed_out,
        _capped(io_dir / STDOUT_FILE, cap), _capped(io_dir / STDERR_FILE, cap), duration,
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
            results[name] = ProbeResult(name, status, message=f"not run: {ending} during step '{stopped_in}'")
    return results


def _read_exit(io_dir: Path) -> dict | None:
    try:
        doc = json.loads((io_dir / EXIT_FILE).read_text(encoding="utf-8")[:4096])
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def _ending(returncode: object, timed_out: bool, timeout_s: float) -> str:
    if timed_out:
        return f"the part timed out after {timeout_s:g} s"
    if not isinstance(returncode, int) or returncode == 0:
        return "the part's process ended before finishing its steps"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"the part's process was killed by {name}"
    return f"the part's process exited with status {returncode}"


def _capped(path: Path, cap: int) -> str:
    """The first `cap` bytes of a captured stream, with a note of how much was dropped."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            text = handle.read(cap).decode("utf-8", errors="replace")
    except OSError:
        return ""
    if size > cap:
        text += f"\n[... {size - cap} more bytes of output dropped]"
    return text


def _kill_everything(process: subprocess.Popen[bytes], pids_file: Path) -> None:
    """SIGKILL the zygote's group and every part's group; namespaces take the rest."""
    groups = [process.pid]
    try:
        groups += [int(line.split()[1]) for line in pids_file.read_text().splitlines() if line.strip()]
    except (OSError, ValueError, IndexError):
        pass
    for group in groups:
        try:
            os.killpg(group, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _zygote_env(device: str, threads: int) -> dict[str, str]:
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8:replace",
        "OMP_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads),
        "OPENBLAS_NUM_THREADS": str(threads),
        "CUBLAS_WORKSPACE_CONFIG": ":4096:8",
        "MPLBACKEND": "Agg",
        "CUDA_VISIBLE_DEVICES": os.environ.get("CUDA_VISIBLE_DEVICES", "0") if device == "cuda" else "",
    }
    env.update({k: os.environ[k] for k in PASSED_THROUGH if k in os.environ})
    return env


def _grader_root() -> str:
    """The folder holding this very `grader` package, so the zygote runs the same code."""
    return str(Path(grader.__file__).resolve().parent.parent)
