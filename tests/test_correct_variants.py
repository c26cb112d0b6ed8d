"""Correct submissions written unlike the reference earn the full score.

They are also the population of `docs/calibration.md`: every one of them is
run over 20 seeds with the default rubric there.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from grader.grading import Session, grade
from grader.results import Status
from tests.conftest import CORRECT, FIXTURES, REFERENCE, part_session

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


# Part 3 written in other styles: graded alone (nothing to train, so not in the calibration
# population). Folders hold the files that differ from the reference, subfolders included.
PART3 = FIXTURES / "correct-pixel-shuffle"
PART3_VARIANTS = sorted(p for p in PART3.iterdir() if not p.name.startswith("."))


def test_part3_variants_cover_the_styles_that_must_keep_their_points() -> None:
    assert {p.name for p in PART3_VARIANTS} >= {"self-tests", "helper-module-call", "rearrange-layer",
                                                "package-helper", "notebook-compares-with-torch.ipynb"}  # fmt: skip


@pytest.mark.parametrize("variant", PART3_VARIANTS, ids=[p.name for p in PART3_VARIANTS])
def test_part3_variant_earns_full_marks(variant: Path, tmp_path: Path, fast_session: Session) -> None:
    session = part_session(fast_session, "pixel_shuffle")
    submission = variant
    if variant.is_dir():
        submission = tmp_path / "submission"
        shutil.copytree(REFERENCE, submission, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(variant, submission, dirs_exist_ok=True)
    report = grade(submission, session=session)
    assert [(t.name, t.output) for t in report.tests if t.status is not Status.PASSED] == []
    assert report.score == report.max_score == 10.0
