"""`cnn-grader init-ci`: a GitHub Actions workflow for a student's repository.

The workflow installs the course's cnn-grader (the requirement of
`grader.install`: by default a pinned wheel kept in the repository, or a
git URL) and grades the repository with it; the Markdown report goes to the
job summary, and the job fails when the score is below `--fail-under`. The
checks, the rubric and the reference live in the installed grader, not in
the repository's code, so nothing a student edits there changes them (only
the workflow file and a shipped wheel, which the instructor's own grading
does not use). `cnn-grader release` writes the same workflow into a release.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

import grader
from grader.generated_files import Generated, Written, write_generated
from grader.install import InstallSource

WORKFLOW_PATH = Path(".github/workflows/cnn-grader.yml")
# CPU wheels of torch: GitHub's runners have no GPU, and these are a fraction of the size.
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
REPORT_DIR = "grader-report"


@dataclass(frozen=True)
class CiSettings:
    """What the workflow pins: `CiSettings("./cnn_grader-0.1.0-py3-none-any.whl", fail_under=30.0)`."""

    requirement: str  # what pip installs (grader.install)
    fail_under: float
    grader_version: str = grader.__version__
    python: str = "3.11"
    torch_index: str | None = TORCH_CPU_INDEX


def render_workflow(settings: CiSettings) -> str:
    """The workflow file's text.

    >>> "--extra-index-url https://download.pytorch.org/whl/cpu cnn-grader==0.1.0" in render_workflow(
    ...     CiSettings("cnn-grader==0.1.0", 30.0))
    True
    """
    index = f" --extra-index-url {settings.torch_index}" if settings.torch_index else ""
    return f"""\
# Written by cnn-grader {settings.grader_version} (`cnn-grader init-ci` or `cnn-grader release`).
# Grades this repository with the cnn-grader pinned below. The checks live in
# that installed package, not in this repository's code.
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
      - name: Install cnn-grader
        run: |
          python -m pip install{index} {shlex.quote(settings.requirement)}
      - name: Grade
        run: cnn-grader grade . --out {REPORT_DIR} --fail-under {settings.fail_under:g}
      - name: Report in the job summary
        if: always()
        run: if [ -f {REPORT_DIR}/report.md ]; then cat {REPORT_DIR}/report.md >> "$GITHUB_STEP_SUMMARY"; fi
"""


def write_workflow(install: InstallSource, fail_under: float, repository: Path, force: bool = False,
                   python: str = "3.11") -> list[Written]:  # fmt: skip
    """Write the workflow (and the wheel it installs, if any) into `repository`.

    Files with other content are kept unless `force` (`grader.generated_files`).
    """
    files = [Generated(WORKFLOW_PATH.as_posix(),
                       render_workflow(CiSettings(install.requirement, fail_under, python=python)).encode("utf-8"))]
    if install.wheel is not None:
        files.append(Generated(install.wheel.name, install.wheel.data))
    return write_generated(repository, files, force)
