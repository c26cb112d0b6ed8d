"""The command's quick exit: hooks run, output flushed, the status kept."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from grader.leave import exit_code

REPO = Path(__file__).resolve().parents[1]

LEAVING = """
import atexit, sys, threading, time
from pathlib import Path
from grader.leave import leave
marker = Path(sys.argv[1])
atexit.register(lambda: marker.write_text("hook ran"))
if sys.argv[2] == "thread":  # a thread still writing: the exit must wait for it
    threading.Thread(target=lambda: (time.sleep(0.3), print("thread done", flush=True))).start()
sys.stdout.write("unflushed output")
leave(5)
"""


def run(tmp_path: Path, mode: str) -> subprocess.CompletedProcess[str]:
    marker = tmp_path / f"marker-{mode}"
    done = subprocess.run([sys.executable, "-c", LEAVING, str(marker), mode], cwd=REPO, capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert marker.read_text() == "hook ran"
    return done


def test_leave_runs_the_hooks_flushes_and_keeps_the_status(tmp_path: Path) -> None:
    done = run(tmp_path, "plain")
    assert done.returncode == 5 and done.stdout == "unflushed output"


def test_leave_waits_for_a_thread_that_still_works(tmp_path: Path) -> None:
    done = run(tmp_path, "thread")
    assert done.returncode == 5 and "thread done" in done.stdout


def test_exit_codes_read_as_python_reads_them() -> None:
    assert [exit_code(None), exit_code(0), exit_code(2), exit_code(256 + 3)] == [0, 0, 2, 3]
    assert exit_code("a message") == 1


def test_the_command_exits_with_click_s_statuses() -> None:
    version = subprocess.run([sys.executable, "-m", "grader", "--version"], cwd=REPO, capture_output=True, text=True)
    assert version.returncode == 0 and "cnn-grader" in version.stdout
    usage = subprocess.run([sys.executable, "-m", "grader", "grade"], cwd=REPO, capture_output=True, text=True)
    assert usage.returncode == 2 and "Missing argument" in usage.stderr
