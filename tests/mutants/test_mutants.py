"""Every mutant (a realistic wrong submission) loses points in its part, in the checks it names.

A mutant folder holds only the files that differ from the reference and an
`expect.toml`: the part that must lose points, the checks that must lose
points, and optionally a shorter timeout for that part. Only the mutant's
part is graded here; `tests/test_grading.py` grades a few whole mutants to
show that the other parts keep their full marks.

Training is what makes a grade slow. A mutant that must be caught by a
training check is graded with the fast rubric; the others with the fast
rubric cut to one training step, since no other check reads what training
produces (the cut training check then fails, and is not asserted on).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.checks import checks_for
from grader.grading import Session, grade
from grader.results import PARTS
from grader.rubric import tomllib
from tests.conftest import MUTANTS, TRAINING_CHECKS, fast_rubric, overlay_fixture, part_session

FOLDERS = sorted(p for p in MUTANTS.iterdir() if (p / "expect.toml").is_file())


@dataclass(frozen=True)
class Expectation:
    part: str
    loses: tuple[str, ...]
    timeout_s: float | None

    @staticmethod
    def read(folder: Path) -> "Expectation":
        doc = tomllib.loads((folder / "expect.toml").read_text(encoding="utf-8"))
        unknown = set(doc) - {"part", "loses", "timeout_s"}
        assert not unknown, f"{folder.name}/expect.toml: unknown keys {unknown}"
        timeout = doc.get("timeout_s")
        return Expectation(doc["part"], tuple(doc["loses"]), None if timeout is None else float(timeout))


def test_catalogue_is_large_and_well_formed() -> None:
    assert len(FOLDERS) >= 30
    names = {c.name for part in PARTS for c in checks_for(part)}
    for folder in FOLDERS:
        expect = Expectation.read(folder)
        assert expect.part in PARTS, folder.name
        assert expect.loses and set(expect.loses) <= names, folder.name
        assert all(name.startswith(expect.part + ".") for name in expect.loses), folder.name
        assert folder.name.replace("-", "_").startswith(expect.part), "name mutants after their part"
        assert list(folder.glob("*.py")), f"{folder.name} changes no file"
    for part in PARTS:
        assert sum(Expectation.read(f).part == part for f in FOLDERS) >= 10, part


@pytest.mark.parametrize("folder", FOLDERS, ids=[p.name for p in FOLDERS])
def test_mutant_loses_points_in_the_named_checks(folder: Path, tmp_path: Path, fast_session: Session) -> None:
    expect = Expectation.read(folder)
    timeouts = {expect.part: expect.timeout_s} if expect.timeout_s else {}
    trains = any(name in TRAINING_CHECKS for name in expect.loses)
    rubric = fast_rubric(steps=None if trains else 1, **timeouts)
    session = part_session(fast_session, expect.part, rubric)
    report = grade(overlay_fixture(folder, tmp_path / "submission"), session=session)
    assert {t.part for t in report.tests} == {expect.part}
    by_name = {t.name: t for t in report.tests}
    kept = [name for name in expect.loses if by_name[name].score >= by_name[name].max_score]
    assert kept == [], "not caught by " + ", ".join(f"{n}: {by_name[n].output}" for n in kept)
