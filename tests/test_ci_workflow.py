"""`cnn-grader init-ci`: the workflow is valid YAML, installs the course's grader, and its commands work here."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import grader
from grader.ci_workflow import WORKFLOW_PATH, CiSettings, render_workflow
from tests.conftest import ASSIGNMENT, FAST_RUBRIC, REFERENCE


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=900)  # fmt: skip


def steps(workflow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {step.get("name", step.get("uses")): step for step in workflow["jobs"]["grade"]["steps"]}


@pytest.mark.parametrize("requirement", ["./cnn_grader-1.2.3-py3-none-any.whl",
                                         "cnn-grader @ git+https://git.example.edu/c/cnn-grader@v1.2.3 #x"])
def test_the_workflow_is_valid_yaml_that_pins_the_grader(requirement: str) -> None:
    doc = yaml.safe_load(render_workflow(CiSettings(requirement, 24.5)))
    triggers = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` as true
    assert set(triggers) == {"push", "pull_request", "workflow_dispatch"}
    named = steps(doc)
    assert set(named) == {"actions/checkout@v4", "actions/setup-python@v5", "Install cnn-grader", "Grade",
                          "Report in the job summary"}  # fmt: skip
    assert shlex.split(named["Install cnn-grader"]["run"])[-1] == requirement
    assert named["Grade"]["run"] == "cnn-grader grade . --out grader-report --fail-under 24.5"
    assert named["Report in the job summary"]["if"] == "always()"
    assert doc["permissions"] == {"contents": "read"}


def test_init_ci_writes_it_once_with_the_full_score_and_a_wheel_by_default(tmp_path: Path) -> None:
    first = cli("init-ci", str(tmp_path))
    assert first.returncode == 0, first.stderr
    doc = yaml.safe_load((tmp_path / WORKFLOW_PATH).read_text(encoding="utf-8"))
    assert steps(doc)["Grade"]["run"].endswith("--fail-under 30")
    wheel = f"cnn_grader-{grader.__version__}-py3-none-any.whl"
    assert steps(doc)["Install cnn-grader"]["run"].strip().endswith(f" ./{wheel}") and (tmp_path / wheel).is_file()
    assert cli("init-ci", str(tmp_path)).returncode == 0  # the same files again: nothing to refuse
    again = cli("init-ci", str(tmp_path), "--fail-under", "20")
    assert again.returncode == 2 and "--force" in again.stderr
    assert cli("init-ci", str(tmp_path), "--fail-under", "20", "--force").returncode == 0
    assert "--fail-under 20" in (tmp_path / WORKFLOW_PATH).read_text(encoding="utf-8")
    git = cli("init-ci", str(tmp_path / "x"), "--requirement", "git+https://git.example.edu/c/cnn-grader@v1")
    assert git.returncode == 2  # the folder does not exist: click says so
    (tmp_path / "x").mkdir()
    git = cli("init-ci", str(tmp_path / "x"), "--requirement", "git+https://git.example.edu/c/cnn-grader@v1")
    assert git.returncode == 0 and not list((tmp_path / "x").glob("*.whl"))
    assert "'cnn-grader @ git+https://git.example.edu/c/cnn-grader@v1'" in (
        tmp_path / "x" / WORKFLOW_PATH).read_text(encoding="utf-8")


def run_step(command: str, repo: Path, summary: Path) -> subprocess.CompletedProcess[str]:
    """A `run:` step as the runner would, with this checkout's grader and the fast test rubric."""
    words = shlex.split(command)
    if words[0] == "cnn-grader":
        words = [sys.executable, "-m", "grader", *words[1:], "--rubric", str(FAST_RUBRIC), "--part", "pixel_shuffle"]
        command = shlex.join(words)
    env = {**os.environ, "GITHUB_STEP_SUMMARY": str(summary),
           "PYTHONPATH": str(Path(grader.__file__).resolve().parents[1])}  # fmt: skip
    return subprocess.run(["bash", "-e", "-c", command], cwd=repo, env=env, capture_output=True, text=True,
                          timeout=900)  # fmt: skip


@pytest.mark.parametrize(("solution", "fail_under", "status"), [(REFERENCE, 10, 0), (ASSIGNMENT, 5, 1)],
                         ids=["reference-passes", "stubs-fail"])  # fmt: skip
def test_the_grade_and_summary_steps_work_in_a_student_repository(
    solution: Path, fail_under: float, status: int, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(solution, repo, ignore=shutil.ignore_patterns("__pycache__", "*.ipynb"))
    named = steps(yaml.safe_load(render_workflow(CiSettings("cnn-grader", fail_under))))
    summary = tmp_path / "summary.md"
    grade = run_step(named["Grade"]["run"], repo, summary)
    assert grade.returncode == status, grade.stderr
    report = run_step(named["Report in the job summary"]["run"], repo, summary)  # runs always()
    assert report.returncode == 0, report.stderr
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("# cnn-grader: repo") and ("Score: 10 / 10" if status == 0 else "Score: 0 / 10") in text
