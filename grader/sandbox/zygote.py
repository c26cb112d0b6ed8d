"""The zygote: imports torch once, then forks one child per part and watches it.

Importing torch takes seconds; forking a process that has imported it (and
run nothing) takes milliseconds. The runner starts one zygote per
submission, inside the isolation the OS allows, and sends it the plan on
stdin once the parts' inputs are written. For each part the zygote forks a
child in its own session, with stdout and stderr on pipes it reads itself
(keeping the first `output_kb`, counting the rest), and:

- kills the part when its time is up;
- counts the part's processes and threads, and kills the part past the
  limit when no pids cgroup does that job;
- kills at once any process that left its part's process tree: the zygote
  is a child subreaper, so such processes become its children;
- reports how each part ended as one JSON line on its own stdout, a pipe
  that no child holds, so student code cannot forge it. The zygote makes
  itself non-dumpable and each child drops every capability, so no child
  can reopen that pipe through `/proc/ZYGOTE/fd/1` either; in a PID
  namespace the zygote is its init, pid 1, so no other process there holds
  the pipe (the parent reads it with bounded memory all the same, see
  `grader.sandbox.events`).
"""

from __future__ import annotations

import gc
import json
import os
import selectors
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from grader.sandbox.processes import (
    become_subreaper,
    descendants,
    die_with_parent,
    drop_capabilities,
    kill,
    kill_group,
    no_new_privileges,
    process_table,
    set_dumpable,
    task_count,
)

POLL_S = 0.02
SCAN_S = 0.2  # how often the process table is read: the counting and the detached hunt
READ_BYTES = 1 << 16
READS_PER_TURN = 16  # an endless writer must not keep the zygote from its clock
MAX_FD = 1 << 16


@dataclass
class Capture:
    """One output stream of a part: the first `cap` bytes, and how many more were dropped."""

    fd: int
    cap: int
    kept: bytearray = field(default_factory=bytearray)
    dropped: int = 0

    def take(self, data: bytes) -> None:
        room = max(self.cap - len(self.kept), 0)
        self.kept += data[:room]
        self.dropped += max(len(data) - room, 0)


@dataclass
class Running:
    """A part whose child is alive."""

    part: dict[str, Any]
    pid: int
    started: float
    streams: dict[str, Capture]
    limit: str = ""  # "processes" when the zygote killed the part for it
    tasks_seen: int = 0

    @property
    def deadline(self) -> float:
        return self.started + float(self.part["timeout_s"])


def main(argv: list[str]) -> None:
    # Everything a child needs, imported before any fork so that no child imports it again;
    # the parent prepares the parts meanwhile and then sends the plan on stdin.
    import einops  # noqa: F401  # also: before the scratch folder joins sys.path, no einops.py of theirs
    import numpy  # noqa: F401
    import torch  # noqa: F401
    # Not torch._dynamo (a second more): the grader's training steps with grader.optim, not torch.optim.

    import grader.probes.cnn  # noqa: F401
    import grader.probes.pixel_shuffle  # noqa: F401
    import grader.probes.srnet  # noqa: F401
    from grader.allocator import tune_for_training
    from grader.fast_pool import install as install_fast_pool
    from grader.sandbox import child

    tune_for_training()  # inherited by every child: their training steps no longer grow and trim the heap
    pooling = install_fast_pool()  # inherited too, kept registered for the zygote's whole life  # noqa: F841
    # What was imported stays out of the garbage collector's sight: a child's collections would
    # otherwise touch, and so copy, every page of torch's objects it shares with this process.
    gc.freeze()
    become_subreaper()
    set_dumpable(False)  # before any child exists: its /proc entries, fd/1 included, closed to them
    plan = json.loads(sys.stdin.read())
    limits = plan["limits"]
    pending: list[dict[str, Any]] = list(plan["parts"])
    running: dict[int, Running] = {}
    selector = selectors.DefaultSelector()
    last_scan = 0.0
    while pending or running:
        while pending and len(running) < int(plan["workers"]):
            part = pending.pop(0)
            started = _start(part, lambda p=part: child.run(Path(p["io"]), Path(p["scratch"]), limits), limits)
            running[started.pid] = started
            for capture in started.streams.values():
                selector.register(capture.fd, selectors.EVENT_READ, capture)
            _emit({"event": "started", "part": part["name"], "pid": started.pid})
        _pump(selector, POLL_S)
        if time.monotonic() - last_scan >= SCAN_S:
            _police(running, int(limits["processes"]), bool(plan["count_processes"]))
            last_scan = time.monotonic()
        if _reap(running, selector):
            _police(running, int(limits["processes"]), False)
    _police(running, 0, False)
    os._exit(0)


def _start(part: dict[str, Any], run: Callable[[], None], limits: dict[str, Any]) -> Running:
    """Fork the part's child: own session, its part's cgroup, output on fresh pipes."""
    pipes = {"stdout": os.pipe(), "stderr": os.pipe()}
    pid = os.fork()
    if pid:
        for read_end, write_end in pipes.values():
            os.close(write_end)
            os.set_blocking(read_end, False)
        cap = int(limits["output_kb"]) << 10
        streams = {name: Capture(read_end, cap) for name, (read_end, _) in pipes.items()}
        return Running(part, pid, time.monotonic(), streams)
    code = 70
    try:
        os.setsid()
        die_with_parent()
        _join_cgroup(part.get("cgroup_fd"))
        # Dumpable again (debuggers and core-dump limits behave as usual), but with no capability
        # that could reach into the zygote, and none that an execve could bring back.
        set_dumpable(True)
        no_new_privileges()
        drop_capabilities()
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(pipes["stdout"][1], 1)
        os.dup2(pipes["stderr"][1], 2)
        # Nothing of the zygote's (its event pipe, other parts' pipes and cgroups) stays open.
        os.closerange(3, MAX_FD)
        run()
        code = 0
    finally:
        os._exit(code)


def _join_cgroup(fd: Any) -> None:
    if isinstance(fd, int):
        os.write(fd, b"0")  # "0" is the writing process itself


def _pump(selector: selectors.BaseSelector, timeout: float) -> None:
    """Read whatever the children printed, waiting at most `timeout`."""
    if not selector.get_map():
        time.sleep(timeout)
        return
    for key, _ in selector.select(timeout):
        _read_available(selector, key.data)


def _read_available(selector: selectors.BaseSelector, capture: Capture) -> None:
    for _ in range(READS_PER_TURN):
        try:
            data = os.read(capture.fd, READ_BYTES)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            selector.unregister(capture.fd)
            os.close(capture.fd)
            capture.fd = -1
            return
        capture.take(data)


def _police(running: dict[int, Running], max_tasks: int, count: bool) -> None:
    """Count each part's processes and threads; kill processes that left their part."""
    table = process_table()
    me = os.getpid()
    for pid, part in running.items():
        tree = descendants(table, pid)
        part.tasks_seen = max(part.tasks_seen, task_count(table, tree))
        if count and part.tasks_seen > max_tasks and not part.limit:
            part.limit = "processes"
            kill_group(pid)
            kill(tree)
    detached = [info.pid for info in table.values() if info.ppid == me and info.pid not in running]
    kill(detached)
    for pid in detached:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass


def _reap(running: dict[int, Running], selector: selectors.BaseSelector) -> bool:
    """Report the parts that ended or ran out of time; True if any did."""
    now = time.monotonic()
    ended = False
    for pid, part in list(running.items()):
        done, status = os.waitpid(pid, os.WNOHANG)
        timed_out = not done and now > part.deadline
        if timed_out:
            kill_group(pid)
            kill(descendants(process_table(), pid))
            _, status = os.waitpid(pid, 0)
        if done or timed_out:
            kill_group(pid)  # whatever the part started goes with it
            _finish(part, status, timed_out, now, selector)
            del running[pid]
            ended = True
    return ended


def _finish(part: Running, status: int, timed_out: bool, now: float, selector: selectors.BaseSelector) -> None:
    event: dict[str, Any] = {
        "event": "exit",
        "part": part.part["name"],
        "returncode": os.waitstatus_to_exitcode(status),
        "timed_out": timed_out,
        "duration_s": now - part.started,
        "limit": part.limit,
        "tasks": part.tasks_seen,
    }
    for name, capture in part.streams.items():
        if capture.fd >= 0:
            _read_available(selector, capture)
        if capture.fd >= 0:  # a process the part left behind still holds the pipe
            selector.unregister(capture.fd)
            os.close(capture.fd)
        event[name] = capture.kept.decode("utf-8", errors="replace")
        event[f"{name}_dropped"] = capture.dropped
    _emit(event)


def _emit(event: dict[str, Any]) -> None:
    """One JSON line on fd 1, written whole (the parent reads lines)."""
    data = (json.dumps(event) + "\n").encode("utf-8")
    while data:
        data = data[os.write(1, data) :]


# The bootstrap the runner passes with -c: it imports this copy of the grader even where
# PYTHONPATH is ignored (-I), then takes its folder off sys.path again before main().
BOOTSTRAP = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "import grader.sandbox.zygote as zygote; sys.path.remove(sys.argv[1]); "
    "zygote.main(sys.argv)"
)
