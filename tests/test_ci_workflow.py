"""`cnn-grader init-ci`: the workflow is valid YAML, pins the grader, and its commands work here."""

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


def test_the_workflow_is_valid_yaml_that_pins_the_grader() -> None:
    doc = yaml.safe_load(render_workflow(CiSettings("1.2.3", 24.5)))
    triggers = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` as true
    assert set(triggers) == {"push", "pull_request", "workflow_dispatch"}
    named = steps(doc)
    assert set(named) == {"actions/checkout@v4", "actions/setup-python@v5", "Install cnn-grader 1.2.3", "Grade",
                          "Report in the job summary"}  # fmt: skip
    assert '"cnn-grader==1.2.3"' in named["Install cnn-grader 1.2.3"]["run"]
    assert named["Grade"]["run"] == "cnn-grader grade . --out grader-report --fail-under 24.5"
    assert named["Report in the job summary"]["if"] == "always()"
    assert doc["permissions"] == {"contents": "read"}


def test_init_ci_writes_it_once_with_the_full_score_by_default(tmp_path: Path) -> None:
    first = cli("init-ci", str(tmp_path))
    assert first.returncode == 0, first.stderr
    doc = yaml.safe_load((tmp_path / WORKFLOW_PATH).read_text(encoding="utf-8"))
    assert steps(doc)["Grade"]["run"].endswith("--fail-under 30")
    assert f"Install cnn-grader {grader.__version__}" in steps(doc)
    again = cli("init-ci", str(tmp_path), "--fail-under", "20")
    assert again.returncode == 2 and "--force" in again.stderr
    assert cli("init-ci", str(tmp_path), "--fail-under", "20", "--force").returncode == 0
    assert "--fail-under 20" in (tmp_path / WORKFLOW_PATH).read_text(encoding="utf-8")


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
    named = steps(yaml.safe_load(render_workflow(CiSettings(grader.__version__, fail_under))))
    summary = tmp_path / "summary.md"
    grade = run_step(named["Grade"]["run"], repo, summary)
    assert grade.returncode == status, grade.stderr
    report = run_step(named["Report in the job summary"]["run"], repo, summary)  # runs always()
    assert report.returncode == 0, report.stderr
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("# cnn-grader: repo") and ("Score: 10 / 10" if status == 0 else "Score: 0 / 10") in text
