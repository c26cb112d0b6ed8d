"""Shared fixtures: paths, the fast test rubric, and submissions built on the reference."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from grader.grading import PLANNERS, Session, grade, open_session
from grader.options import GradeOptions
from grader.parts.context import PlanContext
from grader.parts.source import PartSource
from grader.results import Report
from grader.rubric import Rubric, load_rubric, rubric_from_dict, tomllib

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "reference"
ASSIGNMENT = REPO / "assignment"
FIXTURES = REPO / "tests" / "fixtures"
CORRECT = FIXTURES / "correct"
MUTANTS = REPO / "tests" / "mutants"
FAST_RUBRIC = REPO / "tests" / "rubrics" / "fast.toml"
TRAINING_CHECKS = ("cnn.accuracy", "srnet.psnr")
# Prepared plans go to a folder of this run, not the user's cache (subprocesses inherit it). The
# workers of a parallel run (pytest-xdist) share one, so that each plan is computed once per run.
_RUN = os.environ.get("PYTEST_XDIST_TESTRUNUID")
if _RUN:
    _CACHE = Path(tempfile.gettempdir()) / f"cnn-grader-test-cache-{_RUN}"
    _CACHE.mkdir(exist_ok=True)
    os.environ["CNN_GRADER_CACHE"] = str(_CACHE)
else:
    os.environ["CNN_GRADER_CACHE"] = tempfile.mkdtemp(prefix="cnn-grader-test-cache-")


def fast_rubric(steps: int | None = None, **timeouts: float) -> Rubric:
    """The test rubric, optionally with shorter part timeouts (e.g. pixel_shuffle=15.0), or with
    `steps` replacing the training budgets of the accuracy and PSNR checks."""
    doc: dict[str, Any] = tomllib.loads(FAST_RUBRIC.read_text(encoding="utf-8"))
    doc["limits"]["timeout_s"].update(timeouts)
    if steps is not None:
        for name in TRAINING_CHECKS:
            doc["checks"][name]["steps"] = steps
    return rubric_from_dict(doc, str(FAST_RUBRIC))


def build_submission(dest: Path, overrides: dict[str, str] | None = None, base: Path = REFERENCE) -> Path:
    """A copy of `base` (the reference) with some files replaced or added."""
    shutil.copytree(base, dest, ignore=shutil.ignore_patterns("__pycache__"))
    for name, text in (overrides or {}).items():
        (dest / name).write_text(text, encoding="utf-8")
    return dest


def overlay_fixture(fixture: Path, dest: Path) -> Path:
    """A fixture folder holds only the files that differ from the reference."""
    files = {p.name: p.read_text(encoding="utf-8") for p in fixture.glob("*.py")}
    return build_submission(dest, files)


def plan_part(session: Session, part: str, seed: int | None = None, path: Path | None = None) -> Any:
    """The parent's plan of one part (inputs, expected answers) as a CPU grade makes it, for the
    reference's file or the one at `path`, with the session's seed or `seed`."""
    module = PLANNERS[part]
    ctx = PlanContext(session.rubric, "cpu", session.seed if seed is None else seed, session.data, session.memo)
    return module.plan(ctx, PartSource(module.MODULE, path or REFERENCE / module.MODULE))


def part_session(session: Session, part: str, rubric: Rubric | None = None, **timeouts: float) -> Session:
    """The same session (data, memo) grading one part only, with another rubric or shorter timeouts."""
    options = replace(session.options, parts=(part,))
    if rubric is None:
        rubric = fast_rubric(**timeouts) if timeouts else session.rubric
    return replace(session, options=options, rubric=rubric)


@pytest.fixture(scope="session")
def fast_session() -> Session:
    """One grading session for the whole run: the data sets load once."""
    return open_session(GradeOptions(device="cpu"), fast_rubric())


@pytest.fixture(scope="session")
def reference_report(fast_session: Session) -> Report:
    """The reference graded once with the fast rubric, shared by the tests that only read it."""
    return grade(REFERENCE, session=fast_session)


@pytest.fixture(scope="session")
def default_rubric() -> Rubric:
    return load_rubric()


@pytest.fixture()
def python() -> str:
    return sys.executable


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true", help="Rewrite the reporters' golden files.")


@pytest.fixture()
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))
