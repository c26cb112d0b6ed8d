"""`cnn-grader init-ci`: a GitHub Actions workflow for a student's repository.

The workflow installs a pinned cnn-grader from the package index and grades
the repository with it; the Markdown report goes to the job summary, and
the job fails when the score is below `--fail-under`. The checks, the rubric
and the reference live in the installed grader, not in the repository, so
nothing a student edits there changes them (only the workflow file itself,
which the instructor's own grading does not use).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

WORKFLOW_PATH = Path(".github/workflows/cnn-grader.yml")
# CPU wheels of torch: GitHub's runners have no GPU, and these are a fraction of the size.
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
REPORT_DIR = "grader-report"


@dataclass(frozen=True)
class CiSettings:
    """What the workflow pins: `CiSettings(grader_version="0.1.0", fail_under=30.0)`."""

    grader_version: str
    fail_under: float
    python: str = "3.11"
    torch_index: str | None = TORCH_CPU_INDEX


def render_workflow(settings: CiSettings) -> str:
    """The workflow file's text.

    >>> "cnn-grader==0.1.0" in render_workflow(CiSettings("0.1.0", 30.0))
    True
    """
    index = f" --extra-index-url {settings.torch_index}" if settings.torch_index else ""
    return f"""\
# Written by `cnn-grader init-ci` (cnn-grader {settings.grader_version}).
# Grades this repository with the cnn-grader release pinned below. The checks
# live in that installed package, not in this repository.
name: cnn-grader

on:
  push:
  pull_request:
  workflow_dispatch:

permissions:
  contents: read

jobs:
  grade:
    runs-on: ubuntu-latest
    timeout-minutes: 30
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "{settings.python}"
      - name: Install cnn-grader {settings.grader_version}
        run: python -m pip install{index} "cnn-grader=={settings.grader_version}"
      - name: Grade
        run: cnn-grader grade . --out {REPORT_DIR} --fail-under {settings.fail_under:g}
      - name: Report in the job summary
        if: always()
        run: if [ -f {REPORT_DIR}/report.md ]; then cat {REPORT_DIR}/report.md >> "$GITHUB_STEP_SUMMARY"; fi
"""


def write_workflow(settings: CiSettings, repository: Path, force: bool = False) -> Path:
    """Write the workflow into `repository`; an existing one is kept unless `force`."""
    path = repository / WORKFLOW_PATH
    if path.exists() and not force:
        raise FileExistsError(f"{path} exists; use --force to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_workflow(settings), encoding="utf-8")
    return path
