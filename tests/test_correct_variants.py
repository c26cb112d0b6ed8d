"""Correct submissions written unlike the reference earn the full score.

They are also the population of `docs/calibration.md`: every one of them is
run over 20 seeds with the default rubric there.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from grader.grading import Session, grade
from grader.results import Status
from tests.conftest import CORRECT, FIXTURES

VARIANTS = sorted(p for p in CORRECT.iterdir() if not p.name.startswith("."))


def test_there_are_at_least_eight_variants_in_every_format() -> None:
    assert len(VARIANTS) >= 8
    kinds = {p.suffix or "folder" for p in VARIANTS}
    assert {"folder", ".zip", ".ipynb", ".py"} <= kinds


@pytest.mark.parametrize("variant", VARIANTS, ids=[p.name for p in VARIANTS])
def test_correct_variant_earns_full_score(variant: Path, fast_session: Session) -> None:
    report = grade(variant, session=fast_session)
    assert [(t.name, t.output) for t in report.tests if t.status is not Status.PASSED] == []
    assert report.score == report.max_score == 30.0


def test_zip_fixture_is_built_from_its_source_folder() -> None:
    """The zip is committed as a student would hand it in; its readable source sits beside it."""
    source = FIXTURES / "zip-source"
    with zipfile.ZipFile(CORRECT / "zipped.zip") as archive:
        zipped = {name: archive.read(name) for name in archive.namelist()}
    on_disk = {p.relative_to(source).as_posix(): p.read_bytes() for p in source.rglob("*") if p.is_file()}
    assert zipped == on_disk
