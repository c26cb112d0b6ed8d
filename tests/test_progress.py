"""The live progress: plain lines in a log, a live table on a terminal, nothing with -q;
the child's training steps reach it, bounded, and are never scored."""

from __future__ import annotations

import io
import json
from pathlib import Path

from grader.progress import LiveDisplay, PlainLines, Silent, make_progress
from grader.sandbox.progress_channel import FILENAME, StepNote, StepReporter, read_note
from grader.sandbox.protocol import OUT_DIR, STARTED_FILE
from tests.test_cli import cli
from tests.conftest import FAST_RUBRIC, REFERENCE


def io_dir(tmp_path: Path, started: str = "import\ntrain\n") -> Path:
    (tmp_path / OUT_DIR).mkdir(parents=True)
    (tmp_path / OUT_DIR / STARTED_FILE).write_text(started, encoding="utf-8")
    return tmp_path


def test_the_child_reports_steps_and_the_parent_reads_them(tmp_path: Path) -> None:
    folder = io_dir(tmp_path)
    reporter = StepReporter(folder, "train")
    for step in range(1, 201):
        reporter(step, 200, 2.3 / step)
    assert read_note(folder, "cnn") == StepNote("cnn", "train", 200, 200, 2.3 / 200)  # the last step is always written


def test_a_forged_progress_file_is_bounded_or_ignored(tmp_path: Path) -> None:
    folder = io_dir(tmp_path)
    out = folder / OUT_DIR / FILENAME
    out.write_text(json.dumps({"probe": "train", "step": 10**12, "of": 10**13, "loss": 1.0}))
    assert read_note(folder, "cnn") == StepNote("cnn", "train")  # steps out of bounds: phase only
    out.write_text(json.dumps({"probe": "train", "step": 5, "of": 10, "loss": "NaN", "pad": "x" * 10_000}))
    assert read_note(folder, "cnn") == StepNote("cnn", "train")  # too long: read cut, not parsed
    out.write_text(json.dumps({"probe": "train", "step": 5, "of": 10, "loss": "NaN"}))
    assert read_note(folder, "cnn") == StepNote("cnn", "train", 5, 10, None)  # no number: no loss shown
    out.write_text(json.dumps({"probe": "train", "step": 5, "of": 10, "loss": 1e300}))
    assert read_note(folder, "cnn") == StepNote("cnn", "train", 5, 10, None)


def test_plain_lines_in_a_log_and_nothing_when_quiet() -> None:
    stream = io.StringIO()
    assert isinstance(make_progress(False, stream), PlainLines)  # not a terminal
    assert isinstance(make_progress(True, stream), Silent)
    plain = PlainLines(stream)
    plain.phase("alice.zip", "cnn", "starting the sandbox")
    for step in (1, 2, 3, 60):
        plain.step("alice.zip", StepNote("cnn", "train", step, 60, 0.5))
    plain.batch(3, 10, [])
    lines = stream.getvalue().splitlines()
    assert lines[0] == "[alice.zip] cnn: starting the sandbox"
    assert lines[1] == "[alice.zip] cnn: training step 1 of 60, loss 0.5"
    assert lines[2] == "[alice.zip] cnn: training step 60 of 60, loss 0.5"  # throttled, the last step shown
    assert lines[3] == "batch: 3 of 10 done"


def test_the_live_display_draws_on_a_terminal() -> None:
    from rich.console import Console

    stream = io.StringIO()
    live = LiveDisplay(Console(file=stream, force_terminal=True, width=100))
    live.step("alice.zip", StepNote("srnet", "train", 120, 1500, 0.0123))
    live.batch(1, 4, [])
    live.close()
    assert "training step 120 of 1500, loss 0.0123" in stream.getvalue()
    assert "1 of 4 submissions done" in stream.getvalue()


def test_grade_shows_its_phases_on_stderr_and_nothing_with_q(tmp_path: Path) -> None:
    result = cli("grade", str(REFERENCE), "--out", str(tmp_path / "a"), "--rubric", str(FAST_RUBRIC), "--part", "cnn")
    assert result.returncode == 0, result.stderr
    assert "[reference] cnn: starting the sandbox" in result.stderr
    assert "[reference] cnn: training step" in result.stderr and ", loss " in result.stderr
    quiet = cli("grade", str(REFERENCE), "--out", str(tmp_path / "b"), "--rubric", str(FAST_RUBRIC), "--part", "cnn",
                "-q")  # fmt: skip
    assert quiet.returncode == 0 and quiet.stderr == ""
