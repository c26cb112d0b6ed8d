"""The command line as a user runs it: exit codes, files written, messages."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ASSIGNMENT, FAST_RUBRIC, REFERENCE


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "grader", *args], capture_output=True, text=True, cwd=cwd, timeout=900
    )


@pytest.mark.slow
def test_readme_main_job_grades_the_reference_in_full(tmp_path: Path) -> None:
    """`cnn-grader grade reference --out report/` with the shipped rubric, training included."""
    result = cli("grade", str(REFERENCE), "--out", str(tmp_path / "report"))
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert report["score"] == report["max_score"] == 30.0, [
        (t["name"], t["output"]) for t in report["tests"] if t["status"] != "passed"
    ]
    assert set(report) >= {"score", "max_score", "submission", "grader_version", "device", "tests"}
    assert report["device"] == "cpu"
    for name in ("report.md", "results.json", "junit.xml"):
        assert (tmp_path / "report" / name).is_file()
    assert "30 / 30" in result.stdout


def test_stubs_exit_zero_and_fail_under_exits_one(tmp_path: Path) -> None:
    result = cli("grade", str(ASSIGNMENT), "--out", str(tmp_path / "a"), "--rubric", str(FAST_RUBRIC), "-q")
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "a" / "report.json").read_text())["score"] == 0.0
    result = cli("grade", str(ASSIGNMENT), "--out", str(tmp_path / "b"), "--rubric", str(FAST_RUBRIC),
                 "-q", "--fail-under", "10")  # fmt: skip
    assert result.returncode == 1
    assert "score 0 / 30 is below --fail-under 10" in result.stderr  # says why it failed
    assert (tmp_path / "b" / "report.json").is_file()


def test_bad_usage_exits_two_with_a_message(tmp_path: Path) -> None:
    missing = cli("grade", str(tmp_path / "nope"), "--out", str(tmp_path / "r"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text("[grading]\nseed = 1\nthreads = 1\nworkers = 0\n[limits]\n", encoding="utf-8")
    rubric = cli("grade", str(REFERENCE), "--out", str(tmp_path / "r"), "--rubric", str(bad))
    assert rubric.returncode == 2 and "Error" in rubric.stderr and "Traceback" not in rubric.stderr
    nodata = cli("grade", str(REFERENCE), "--out", str(tmp_path / "r"), "--mnist-root", str(tmp_path))
    assert nodata.returncode == 2 and "MNIST" in nodata.stderr and "Traceback" not in nodata.stderr


def test_batch_writes_a_gradebook_and_resumes(tmp_path: Path) -> None:
    course = tmp_path / "course"
    shutil.copytree(REFERENCE, course / "alice")
    shutil.copytree(ASSIGNMENT, course / "bob")
    (course / "carol.ipynb").write_text("not a notebook", encoding="utf-8")
    out = tmp_path / "out"
    args = ("batch", str(course), "--out", str(out), "--rubric", str(FAST_RUBRIC), "--part", "pixel_shuffle")
    first = cli(*args)
    assert first.returncode == 0, first.stderr
    rows = list(csv.DictReader((out / "gradebook.csv").open()))
    assert [(r["submission"], r["score"], r["state"]) for r in rows] == [
        ("alice", "10", "graded"), ("bob", "0", "graded"), ("carol.ipynb", "0", "not gradable"),
    ]  # fmt: skip
    assert "not a Jupyter notebook" in rows[2]["reason"]
    assert (out / "alice" / "report.json").is_file() and (out / "carol" / "report.json").is_file()
    second = cli(*args)
    assert [r["state"] for r in csv.DictReader((out / "gradebook.csv").open())] == ["reused", "reused", "not gradable"]
    assert "reused" in second.stdout


def test_device_cuda_grades_on_the_gpu_or_is_refused_clearly(tmp_path: Path) -> None:
    import torch

    result = cli("grade", str(REFERENCE), "--out", str(tmp_path / "r"), "--rubric", str(FAST_RUBRIC),
                 "--device", "cuda", "--part", "pixel_shuffle", "-q")  # fmt: skip
    if torch.cuda.is_available():
        assert result.returncode == 0, result.stderr
        report = json.loads((tmp_path / "r" / "report.json").read_text())
        assert report["device"] == "cuda" and report["score"] == report["max_score"] == 10.0
    else:
        assert result.returncode == 2 and "no CUDA device" in result.stderr
