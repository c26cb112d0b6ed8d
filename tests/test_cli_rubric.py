"""A bad rubric is a usage error on every command that takes one: a message and exit status 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from grader.rubric import default_rubric_text
from tests.conftest import REFERENCE

# Each edit of the shipped rubric, and what the message must say.
BAD_RUBRICS = {
    "unknown-key": (('[checks."cnn.accuracy"]\npoints = 4.0', '[checks."cnn.accuracy"]\npoints = 4.0\nthreshhold = 1.0'),
                    'unknown key(s) in [checks."cnn.accuracy"]: threshhold'),
    "negative-points": (('[checks."cnn.architecture"]\npoints = 2.0', '[checks."cnn.architecture"]\npoints = -2.0'),
                        'points must not be negative, got -2.0'),
    "missing-check": (('[checks."srnet.imports"]\npoints = 0.0\n', ""), "missing check(s) in [checks]: srnet.imports"),
}  # fmt: skip


def bad_rubric(tmp_path: Path, case: str) -> Path:
    (old, new), _ = BAD_RUBRICS[case]
    text = default_rubric_text()
    assert old in text, case
    path = tmp_path / f"{case}.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("case", sorted(BAD_RUBRICS))
def test_grade_refuses_a_bad_rubric(case: str, tmp_path: Path) -> None:
    result = cli("grade", str(REFERENCE), "--out", str(tmp_path / "out"), "--rubric", str(bad_rubric(tmp_path, case)))
    assert result.returncode == 2, result.stderr
    assert BAD_RUBRICS[case][1] in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "command",
    [["check", str(REFERENCE)], ["batch", "COURSE", "--out", "OUT"],
     ["calibrate", str(REFERENCE), "--out", "OUT", "--seeds", "2"]],  # fmt: skip
    ids=["check", "batch", "calibrate"],
)
def test_every_other_grading_command_refuses_it_too(command: list[str], tmp_path: Path) -> None:
    (tmp_path / "course").mkdir()
    args = [a.replace("OUT", str(tmp_path / "out")).replace("COURSE", str(tmp_path / "course")) for a in command]
    result = cli(*args, "--rubric", str(bad_rubric(tmp_path, "negative-points")))
    assert result.returncode == 2, result.stderr
    assert "points must not be negative" in result.stderr and "Traceback" not in result.stderr
