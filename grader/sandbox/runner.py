"""Parent side of the sandbox: start the zygote for one submission, watch the
clock, kill everything it started, and read back what each part observed.

How a part ended comes from the zygote's own stdout (see
`grader.sandbox.zygote`), which student code cannot reach; what it observed
comes from the part's out folder and is checked as untrusted data (see
`grader.sandbox.protocol`).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import grader
from grader.interrupts import deferred
from grader.sandbox.cgroup import PartCgroups
from grader.sandbox.events import STDERR_TAIL, EventLog, Tail, exchange
from grader.sandbox.feed import Feeder, PartFeed
from grader.sandbox.filesystem import SandboxView
from grader.sandbox.isolation import Isolation
from grader.sandbox.limits import Limits, output_message, processes_message, signal_hint
from grader.sandbox.processes import in_sessions, kill, kill_group, process_table, with_marker
from grader.sandbox.progress_channel import StepNote, Watcher
from grader.sandbox.protocol import (
    MAX_ARRAY_BYTES,
    OUT_DIR,
    STARTED_FILE,
    MalformedOutput,
    Job,
    ProbeResult,
    ProbeStatus,
    encode_arrays,
    read_out_file,
    read_probe,
    started_probes,
    write_job,
)
from grader.sandbox.zygote import BOOTSTRAP
from grader.text import decode

if TYPE_CHECKING:  # `check` starts the sandbox before anything needs numpy
    import numpy as np

# Variables the zygote may inherit, besides the basics set below: what some CPUs and GPUs need.
PASSED_THROUGH = (
    "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "LD_LIBRARY_PATH", "CUDA_HOME",
    "NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES",
)  # fmt: skip
STARTUP_ALLOWANCE_S = 120.0  # importing torch in the zygote, on a slow or busy machine
# In the environment of the zygote and of everything it starts (unless they drop it): the
# parent's last sweep finds processes that escaped every other net by this variable.
MARKER_VARIABLE = "CNN_GRADER_SANDBOX"
FINISHED = "the part's process finished every step"  # a part's ending when its child wrote every result


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
    notes: tuple[str, ...] = ()  # limits the part ran into, requests the grader refused

    def probe(self, name: str) -> ProbeResult:
        return self.probes[name]


@dataclass(frozen=True)
class PartJob:
    """One part to run: the job, each probe's input arrays and its time limit."""

    job: Job
    inputs: Mapping[str, Mapping[str, np.ndarray]]  # probe -> its inputs (see grader.sandbox.feed)
    timeout_s: float


@dataclass(frozen=True)
class SandboxSettings:
    isolation: Isolation
    workers: int
    limits: Limits


class Zygote:
    """A started zygote, importing torch while the parent prepares the parts.

    >>> with Zygote.start(settings, work_dir, ("cnn",), "cpu", 1) as zygote:   # doctest: +SKIP
    ...     runs = zygote.run(parts, submission_dir)
    """

    def __init__(self, process: subprocess.Popen[bytes], settings: SandboxSettings, work_dir: Path,
                 cgroups: PartCgroups | None, marker: str) -> None:  # fmt: skip
        self.process, self.settings, self.work_dir = process, settings, work_dir
        self.cgroups, self.marker = cgroups, marker
        self.part_pids: set[int] = set()
        self.closed = False

    @staticmethod
    def start(settings: SandboxSettings, work_dir: Path, parts: Sequence[str], device: str, threads: int) -> "Zygote":
        """Start the zygote for `parts`; their folders are made now, since the sandbox view binds them."""
        writable = []
        for part in parts:
            writable += [work_dir / part / "io" / OUT_DIR, work_dir / part / "scratch"]
        for folder in writable:
            folder.mkdir(parents=True, exist_ok=True)
        cgroups = _make_cgroups(settings, parts)
        marker = f"{MARKER_VARIABLE}={secrets.token_hex(8)}"
        view = SandboxView(work_dir, tuple(writable), device)
        process = subprocess.Popen(
            [*settings.isolation.prefix(view), sys.executable, "-I", "-c", BOOTSTRAP, _grader_root()],
            cwd=work_dir,
            env=_zygote_env(device, threads, marker),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            pass_fds=tuple(cgroups.procs_fds.values()) if cgroups else (),
        )
        return Zygote(process, settings, work_dir, cgroups, marker)

    def __enter__(self) -> "Zygote":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, parts: Sequence[PartJob], submission_dir: Path,
            on_progress: Callable[[StepNote], None] | None = None,
            on_exit: Callable[[PartRun], None] | None = None) -> dict[str, PartRun]:  # fmt: skip
        """Run every part on its own fresh copy of the submission; never raises for what children do.

        `on_progress` receives each part's current step and training loss while it runs (display only).
        `on_exit` receives each part's run as soon as its child ends, while other parts may still
        run, so that the parent can score it meanwhile. Whatever the sandbox leaves running is only
        killed at the end, so that run counts only if nothing changed it since: the returned run of
        such a part is that same object (`is`) when its out folder, exit and limits stayed the same,
        and a run read again after the kill otherwise."""
        entries, feeds = [], []
        for part in parts:
            io_dir, scratch = self.work_dir / part.job.part / "io", self.work_dir / part.job.part / "scratch"
            shutil.copytree(submission_dir, scratch, symlinks=True, dirs_exist_ok=True)
            (scratch / ".tmp").mkdir(exist_ok=True)
            write_job(io_dir, part.job)
            payloads = {probe: encode_arrays(part.inputs.get(probe, {})) for probe in part.job.probes}
            feeds.append(PartFeed(io_dir, part.job.probes, payloads))
            fd = self.cgroups.procs_fds.get(part.job.part) if self.cgroups else None
            entries.append({"name": part.job.part, "io": str(io_dir), "scratch": str(scratch),
                            "timeout_s": part.timeout_s, "cgroup_fd": fd})  # fmt: skip
        limits = self.settings.limits
        plan = {"parts": entries, "workers": self.settings.workers, "count_processes": self.cgroups is None,
                "limits": {"processes": limits.processes, "output_kb": limits.output_kb}}  # fmt: skip
        started = time.monotonic()
        by_name = {p.job.part: (p, feed) for p, feed in zip(parts, feeds)}
        early: dict[str, tuple[PartRun, bytes, dict[str, Any], int]] = {}

        def exited(name: str, event: dict[str, Any]) -> None:
            part, feed = by_name[name]
            feed.close()  # nothing is released or frozen after the child's end: what is read now stays
            if on_exit is None or name in early:
                return
            try:
                hits = self.cgroups.limit_hits(name) if self.cgroups else 0
                digest = out_digest(self.work_dir / name / "io", part.job.probes)
                run = _part_run(part, feed, event, limits, time.monotonic() - started, "", hits)
            except Exception:  # noqa: BLE001 - the part is read again at the end, as without on_exit
                return
            early[name] = (run, digest, dict(event), hits)
            on_exit(run)

        log = EventLog(frozenset(p.job.part for p in parts), event_line_limit(limits.output_kb), on_exit=exited)
        stderr = Tail(STDERR_TAIL)
        watched = [(p.job.part, self.work_dir / p.job.part / "io") for p in parts]
        with Feeder(feeds), Watcher(watched, on_progress) if on_progress else nullcontext():
            self._communicate(plan, log, stderr, STARTUP_ALLOWANCE_S + sum(p.timeout_s for p in parts))
        events = log.events
        self.part_pids = {e["pid"] for e in events["started"].values() if _plausible_pid(e.get("pid"))}
        hits = {p.job.part: self.cgroups.limit_hits(p.job.part) if self.cgroups else 0 for p in parts}
        self.close()
        duration = time.monotonic() - started
        problem = decode(bytes(stderr.data))[-2000:] if self.process.returncode else ""
        runs = {}
        for p, feed in zip(parts, feeds):
            name = p.job.part
            if name in early:
                run, digest, event, early_hits = early[name]
                if (events["exit"].get(name) == event and hits[name] == early_hits
                        and out_digest(self.work_dir / name / "io", p.job.probes) == digest):  # fmt: skip
                    runs[name] = run
                    continue
            runs[name] = _part_run(p, feed, events["exit"].get(name), limits, duration, problem, hits[name])
        return runs

    def _communicate(self, plan: dict[str, Any], log: EventLog, stderr: Tail, timeout: float) -> None:
        """Send the plan, then read the zygote's events and stderr, with bounded memory, until
        it ends or `timeout` passes; then kill it and read what is left for 10 s at most."""
        if not exchange(self.process, json.dumps(plan).encode("utf-8"), log, stderr, timeout):
            self.close()
            exchange(self.process, b"", log, stderr, 10.0)

    def close(self) -> None:
        """Kill the zygote and everything the submission started; remove the cgroups. Idempotent."""
        if self.closed:
            return
        with deferred():  # a second Ctrl-C must not leave the sandbox running
            self._close()

    def _close(self) -> None:
        kill_group(self.process.pid)
        for pid in self.part_pids:  # meaningful only without a PID namespace; harmless with one
            if not self.settings.isolation.pid_namespace:
                kill_group(pid)
        table = process_table()
        sessions = self.part_pids if not self.settings.isolation.pid_namespace else set()
        kill(in_sessions(table, sessions) | with_marker(table, self.marker))
        if self.cgroups is not None:
            self.cgroups.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.closed = True


def out_digest(io_dir: Path, probes: Sequence[str]) -> bytes:
    """A digest of the out files a part's run is read from (see `_collect`), as they are now."""
    digest = hashlib.blake2b(digest_size=32)
    names = [STARTED_FILE, *(f"{probe}{suffix}" for probe in probes for suffix in (".json", ".npz"))]
    for name in names:
        try:
            data = read_out_file(io_dir, name, MAX_ARRAY_BYTES + 1, truncate=True)
            entry = b"-" if data is None else b"F" + hashlib.blake2b(data, digest_size=32).digest()
        except MalformedOutput as exc:
            entry = b"E" + str(exc).encode("utf-8", "replace")
        digest.update(len(entry).to_bytes(8, "little") + entry)
    return digest.digest()


def _make_cgroups(settings: SandboxSettings, parts: Sequence[str]) -> PartCgroups | None:
    root = settings.isolation.pids_cgroup
    if root is None:
        return None
    try:
        return PartCgroups.create(root, parts, settings.limits.processes)
    except OSError:
        return None  # the zygote counts processes instead


def event_line_limit(output_kb: int) -> int:
    """The longest line the zygote writes: an exit event holds two captured streams of at
    most `output_kb` each, and JSON's ASCII escapes write one byte as at most six."""
    return 12 * (output_kb << 10) + (64 << 10)


def _plausible_pid(pid: Any) -> bool:
    """A part leader's pid the parent may kill the session of: never 0, init, nor the grader's own."""
    return isinstance(pid, int) and not isinstance(pid, bool) and pid > 1 and pid not in (os.getpid(), os.getpgrp())


def _part_run(part: PartJob, feed: PartFeed, event: dict[str, Any] | None, limits: Limits, duration: float,
              zygote_problem: str, cgroup_hits: int) -> PartRun:  # fmt: skip
    if event is None:
        timed_out = False
        problem = f" ({zygote_problem.strip()})" if zygote_problem else ""
        ending = f"the sandbox stopped before this part ended{problem}"
    else:
        timed_out = bool(event.get("timed_out"))
        ending = _ending(event, part, limits)
        if isinstance(event.get("duration_s"), (int, float)):
            duration = float(event["duration_s"])
    probes, finished = _collect(feed.io_dir, part.job, timed_out, ending, feed.frozen)
    if finished and event is not None and event.get("returncode") == 0 and not timed_out:
        ending = FINISHED
    notes = [note for result in probes.values() for note in result.notes]
    if feed.failure:
        notes.append(f"internal grader error: the input feed stopped early ({feed.failure}); please report it")
    if cgroup_hits or (event or {}).get("limit") == "processes":
        notes.append(processes_message(limits.processes))
    streams = [_stream(event, name, limits.output_kb) for name in ("stdout", "stderr")]
    return PartRun(part.job.part, MappingProxyType(probes), ending, timed_out, streams[0], streams[1], duration,
                   tuple(dict.fromkeys(notes)))  # fmt: skip


def _ending(event: dict[str, Any], part: PartJob, limits: Limits) -> str:
    """How the part's child ended, in the words of the limit it ran into if any."""
    returncode = event.get("returncode")
    if event.get("timed_out"):
        return f"the part timed out after {part.timeout_s:g} s ([limits.timeout_s] {part.job.part})"
    if event.get("limit") == "processes":
        return f"the part was stopped: {processes_message(limits.processes)}"
    if not isinstance(returncode, int) or returncode == 0:
        return "the part's process ended before finishing its steps"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        hint = signal_hint(-returncode, limits.memory_mb, limits.file_size_mb)
        return f"the part's process was killed by {name}" + (f" ({hint})" if hint else "")
    return f"the part's process exited with status {returncode}"


def _collect(io_dir: Path, job: Job, timed_out: bool, ending: str,
             frozen: Mapping[str, ProbeResult]) -> tuple[dict[str, ProbeResult], bool]:  # fmt: skip
    """One result per probe: written ones as read (or as frozen when the next probe's inputs were
    released), the interrupted one, then the unrun ones; and whether the child wrote them all."""
    started = started_probes(io_dir)
    results: dict[str, ProbeResult] = {}
    stopped_in = ""
    for name in job.probes:
        result = frozen.get(name) or read_probe(io_dir, name)
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
    return results, not stopped_in


def _stream(event: dict[str, Any] | None, name: str, output_kb: int) -> str:
    """A captured stream as the zygote kept it, with a note of how much it dropped."""
    if event is None or not isinstance(event.get(name), str):
        return ""
    text = event[name][: output_kb << 10]
    dropped = event.get(f"{name}_dropped")
    if isinstance(dropped, int) and dropped > 0:
        text += "\n" + output_message(dropped, output_kb)
    return text


def _zygote_env(device: str, threads: int, marker: str) -> dict[str, str]:
    """A scrubbed environment: nothing of the grader's own but what CPUs and GPUs need."""
    name, _, value = marker.partition("=")
    env = {
        name: value,
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8:replace",
        "OMP_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads),
        "OPENBLAS_NUM_THREADS": str(threads),
        "CUBLAS_WORKSPACE_CONFIG": os.environ.get("CUBLAS_WORKSPACE_CONFIG", ":4096:8"),  # as the parent (grader.precision)
        "MPLBACKEND": "Agg",
        "CUDA_VISIBLE_DEVICES": os.environ.get("CUDA_VISIBLE_DEVICES", "0") if device == "cuda" else "",
    }
    env.update({k: os.environ[k] for k in PASSED_THROUGH if k in os.environ})
    return env


def _grader_root() -> str:
    """The folder holding this very `grader` package, so the zygote runs the same code."""
    return str(Path(grader.__file__).resolve().parent.parent)
