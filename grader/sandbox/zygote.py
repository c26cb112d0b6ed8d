"""The zygote: imports torch once, then forks one child per part.

Importing torch takes seconds; forking a process that has imported it (and
run nothing) takes milliseconds. The runner starts one zygote per
submission, inside the namespaces when the OS allows, and sends it the
plan on stdin once the parts' inputs are written. For each part it forks a child in its own process group,
with stdout and stderr going to files of the part's io folder, kills it
when the part's time is up, and writes `exit.json` with how it ended.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

EXIT_FILE = "exit.json"
PIDS_FILE = "pids.txt"
STDOUT_FILE = "stdout.txt"
STDERR_FILE = "stderr.txt"
POLL_S = 0.02


def main(argv: list[str]) -> None:
    # Everything a child needs, imported before any fork so that no child imports it again;
    # the parent prepares the parts meanwhile and then sends the plan on stdin.
    import einops  # noqa: F401  # also: before the scratch folder joins sys.path, no einops.py of theirs
    import numpy  # noqa: F401
    import torch  # noqa: F401
    import torch._dynamo  # noqa: F401  # torch.optim imports it on first use: seconds in every child otherwise

    import grader.probes.cnn  # noqa: F401
    import grader.probes.pixel_shuffle  # noqa: F401
    import grader.probes.srnet  # noqa: F401
    from grader.sandbox import child

    plan = json.loads(sys.stdin.read())
    work_dir = Path(plan["work_dir"])
    pending: list[dict[str, Any]] = list(plan["parts"])
    running: dict[int, tuple[dict[str, Any], float, float]] = {}
    pids = open(work_dir / PIDS_FILE, "a", encoding="utf-8")
    while pending or running:
        while pending and len(running) < int(plan["workers"]):
            part = pending.pop(0)
            pid = _fork_child(part, child.run)
            pids.write(f"{part['name']} {pid}\n")
            pids.flush()
            now = time.monotonic()
            running[pid] = (part, now, now + float(part["timeout_s"]))
        _reap(running)
        time.sleep(POLL_S)
    os._exit(0)


def _fork_child(part: dict[str, Any], run: Any) -> int:
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    code = 70
    try:
        os.setpgid(0, 0)
        io_dir = Path(part["io"])
        for fd, name in ((1, STDOUT_FILE), (2, STDERR_FILE)):
            target = os.open(io_dir / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(target, fd)
            os.close(target)
        os.closerange(3, 1024)
        run(io_dir, Path(part["scratch"]))
        code = 0
    finally:
        os._exit(code)


def _reap(running: dict[int, tuple[dict[str, Any], float, float]]) -> None:
    now = time.monotonic()
    for pid, (part, started, deadline) in list(running.items()):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            _kill_group(pid)  # whatever the part started goes with it
            _write_exit(part, status, timed_out=False, duration=now - started)
            del running[pid]
        elif now > deadline:
            _kill_group(pid)
            _, status = os.waitpid(pid, 0)
            _write_exit(part, status, timed_out=True, duration=now - started)
            del running[pid]


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _write_exit(part: dict[str, Any], status: int, timed_out: bool, duration: float) -> None:
    doc = {"timed_out": timed_out, "returncode": os.waitstatus_to_exitcode(status), "duration_s": duration}
    path = Path(part["io"]) / EXIT_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc), encoding="utf-8")
    os.replace(tmp, path)


# The bootstrap the runner passes with -c: it imports this copy of the grader even where
# PYTHONPATH is ignored (-I), then takes its folder off sys.path again before main().
BOOTSTRAP = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "import grader.sandbox.zygote as zygote; sys.path.remove(sys.argv[1]); "
    "zygote.main(sys.argv)"
)
