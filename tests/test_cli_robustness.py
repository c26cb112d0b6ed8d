"""The command line whatever happens: Ctrl-C, a bug of the grader, bad data folders.

- Ctrl-C (SIGINT to the command's process group, as a terminal sends it) stops `grade`,
  `check` and `batch` with exit status 130 (SIGTERM: 143), no process of the sandbox left
  and no temporary folder left;
- a bug of the grader is exit status 3 with one line, and `grade` still writes every
  report file, each check an error with the reason (also when a report writer is the bug);
- a --sr-root whose photos cannot feed the PSNR check is a usage error (2), not a grade.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import FAST_RUBRIC, REPO, build_submission
from tests.hostile.harness import leftovers, sandbox_markers

HANGS_AT_IMPORT = "import time\n\ntime.sleep(600)\n"


def _command(name: str, submission: Path, out: Path) -> list[str]:
    fast = ["--rubric", str(FAST_RUBRIC), "--part", "pixel_shuffle", "-q"]
    if name == "grade":
        return ["grade", str(submission), "--out", str(out), *fast]
    if name == "batch":
        return ["batch", str(submission.parent), "--out", str(out), *fast]
    return ["check", str(submission), "-q"]


@pytest.mark.parametrize(
    "name, signum, status",
    [("grade", signal.SIGINT, 130), ("check", signal.SIGINT, 130), ("batch", signal.SIGINT, 130),
     ("grade", signal.SIGTERM, 143)],
    ids=["grade", "check", "batch", "grade-sigterm"],
)  # fmt: skip
def test_ctrl_c_exits_130_and_leaves_no_process_and_no_temporary_folder(name: str, signum: int, status: int,
                                                                        tmp_path: Path) -> None:  # fmt: skip
    submission = build_submission(tmp_path / "entries" / "alice", {"pixel_shuffle.py": HANGS_AT_IMPORT})
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "grader", *_command(name, submission, tmp_path / "out")],
        cwd=REPO, env={**os.environ, "TMPDIR": str(scratch)}, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        while not list(scratch.glob("cnn-grader-*/parts/*/io/out/started")):  # student code is running
            assert process.poll() is None and time.monotonic() < deadline, process.communicate()
            time.sleep(0.1)
        markers = sandbox_markers(process.pid)  # this grade's sandbox: other tests may run theirs meanwhile
        os.killpg(process.pid, signum)  # what a terminal's Ctrl-C does (SIGINT to the foreground group)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == status, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    # torch keeps its own compile cache there (torchinductor_USER); the grader's folders must be gone
    assert list(scratch.glob("cnn-grader-*")) == [], "a temporary folder was left behind"
    assert markers, "the sandbox running the student's code was not found"
    assert leftovers("no-token", markers) == [], "processes left running"


RUN_WITH_A_BUG = (
    "import sys\n"
    "import grader.grading as grading\n"
    "def broken(*args, **kwargs):\n"
    "    raise RuntimeError('a bug \\x1b[2J in the grader')\n"
    "grading.grade_workspace = broken\n"
    "from grader.cli import main\n"
    "main(sys.argv[1:], prog_name='cnn-grader')\n"
)


def test_a_grader_bug_exits_3_and_still_writes_every_report_file(tmp_path: Path) -> None:
    submission = build_submission(tmp_path / "alice")
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-c", RUN_WITH_A_BUG, "grade", str(submission), "--out", str(out),
         "--rubric", str(FAST_RUBRIC), "-q"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 3, result.stderr
    assert "internal error" in result.stderr and "\x1b" not in result.stderr
    assert {p.name for p in out.iterdir()} >= {"junit.xml", "report.json", "report.md", "results.json", "report.html"}
    doc = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert doc["score"] == 0 and doc["submission"] == "alice"
    assert {t["status"] for t in doc["tests"]} == {"error"} and len(doc["tests"]) >= 20
    assert all("internal error of the grader (RuntimeError: a bug" in t["output"] for t in doc["tests"])


RUN_WITH_A_WRITER_BUG = (
    "import sys\n"
    "import grader.report.writers as report\n"
    "markdown = report.WRITERS[1]\n"
    "def broken(graded, out):\n"
    "    if any(t.status.value != 'error' for t in graded.tests):  # the real report, not the error report\n"
    "        raise RuntimeError('a bug in a writer')\n"
    "    return markdown(graded, out)\n"
    "report.WRITERS = (report.WRITERS[0], broken, *report.WRITERS[2:])\n"
    "from grader.cli import main\n"
    "main(sys.argv[1:], prog_name='cnn-grader')\n"
)


def test_a_bug_of_a_report_writer_exits_3_and_still_writes_the_error_report(tmp_path: Path) -> None:
    """The writers fail after report.json is written: every file is written again from the
    error report, so no file is missing and none holds the grade the bug interrupted."""
    submission = build_submission(tmp_path / "alice")
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-c", RUN_WITH_A_WRITER_BUG, "grade", str(submission), "--out", str(out),
         "--rubric", str(FAST_RUBRIC), "--part", "pixel_shuffle", "-q"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 3, result.stderr
    assert "internal error (RuntimeError: a bug in a writer)" in result.stderr
    assert {p.name for p in out.iterdir()} >= {"junit.xml", "report.json", "report.md", "results.json", "report.html"}
    doc = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert doc["score"] == 0 and {t["status"] for t in doc["tests"]} == {"error"}
    assert all("internal error of the grader (RuntimeError: a bug in a writer)" in t["output"] for t in doc["tests"])
    assert "a bug in a writer" in (out / "report.md").read_text(encoding="utf-8")
    assert not list(out.glob(".*"))  # no temporary file left behind


def _photos(folder: Path, size: int, flat: bool) -> Path:
    rng = np.random.default_rng(0)
    for split in ("train", "test"):
        (folder / split).mkdir(parents=True)
        for index in range(2):
            pixels = np.full((size, size), 128, np.uint8) if flat else rng.integers(0, 256, (size, size), np.uint8)
            Image.fromarray(pixels).save(folder / split / f"{index}.png")
    return folder


@pytest.mark.parametrize(
    "size, flat, why",
    [(64, True, "too flat to draw"), (20, False, "at least")],
    ids=["flat", "small"],
)
def test_an_sr_root_that_cannot_feed_the_psnr_check_is_a_usage_error(tmp_path: Path, size: int, flat: bool,
                                                                     why: str) -> None:  # fmt: skip
    root = _photos(tmp_path / "photos", size, flat)
    result = subprocess.run(
        [sys.executable, "-m", "grader", "grade", str(REPO / "reference"), "--out", str(tmp_path / "out"),
         "--rubric", str(FAST_RUBRIC), "--sr-root", str(root), "-q"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert f"--sr-root {root}" in result.stderr and why in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out" / "report.json").exists()
