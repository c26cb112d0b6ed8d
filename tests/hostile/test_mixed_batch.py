"""A batch over a course folder that mixes hostile submissions with correct ones: it finishes,
every entry has its row with a state that says what happened, the correct ones are graded in
full, and every report file of every graded entry parses for its reader."""

from __future__ import annotations

import csv
import json
import shutil
import zipfile
from dataclasses import replace
from pathlib import Path

from grader.batch import grade_batch
from grader.grading import Session
from grader.results import report_from_dict
from tests.conftest import CORRECT, REFERENCE, overlay_fixture
from tests.hostile.harness import BUILDERS, HOSTILE, build_overlay
from tests.report.soundness import assert_report_files_sound

PART = "pixel_shuffle"
FULL = "10"  # the part's points in the fast rubric


def _built(builder: str, scratch: Path, dest: Path) -> Path:
    """A case's builder output moved into the course folder as `dest` (the file name kept when
    `dest` is a folder: the Latin-1 notebook's name is the point of that case)."""
    made = BUILDERS[builder](scratch / builder)
    return Path(shutil.move(str(made), str(dest)))


def _two_top_folders(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for top in ("first-try", "final"):
            for item in sorted(REFERENCE.glob("*.py")):
                archive.write(item, f"{top}/{item.name}")
    return path


def test_a_batch_mixing_hostile_and_correct_submissions_gives_every_entry_a_row(
    fast_session: Session, tmp_path: Path
) -> None:
    course, scratch = tmp_path / "course", tmp_path / "scratch"
    course.mkdir()
    for name in ("notebook-latin1-name", "notebook-lone-surrogate", "notebook-deep-json", "zip-backslash-paths"):
        (scratch / name).mkdir(parents=True)
    shutil.copytree(REFERENCE, course / "alice", ignore=shutil.ignore_patterns("__pycache__"))
    overlay_fixture(CORRECT / "functional-style", course / "bob")
    latin1 = _built("notebook-latin1-name", scratch, course)
    _built("notebook-lone-surrogate", scratch, course / "carol.ipynb")
    _built("notebook-deep-json", scratch, course / "dave.ipynb")
    _built("zip-backslash-paths", scratch, course / "erin.zip")
    build_overlay(HOSTILE / "message-lone-surrogate", course / "frank", {})
    build_overlay(HOSTILE / "message-terminal-escapes", course / "grace", {})
    (course / "heidi").mkdir()  # an empty folder
    (course / "ivan.rar").write_bytes(b"Rar!\x1a\x07\x00")  # an archive the grader does not open
    _two_top_folders(course / "judy.zip")
    entries = len(list(course.iterdir()))

    session = replace(fast_session, options=replace(fast_session.options, parts=(PART,)))
    out = tmp_path / "out"
    grade_batch(course, out, session, jobs=2)

    with open(out / "gradebook.csv", encoding="utf-8", newline="") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    assert len(rows) == entries, sorted(rows)
    assert "Übung_réseau" in rows, sorted(rows)  # the Windows-1252 name, read as Windows wrote it
    states = {student: row["state"] for student, row in rows.items()}
    graded = ["alice", "bob", "Übung_réseau", "carol", "erin", "frank", "grace"]
    assert {student: states[student] for student in graded} == dict.fromkeys(graded, "graded"), states
    refused = ["dave", "heidi", "ivan", "judy"]  # a notebook too deep to read, empty, unsupported, ambiguous
    assert {student: states[student] for student in refused} == dict.fromkeys(refused, "not gradable"), states
    assert all(rows[student]["reason"] for student in refused)
    assert "nested too deeply" in rows["dave"]["reason"]
    full = ["alice", "bob", "Übung_réseau", "carol", "erin"]  # correct code, however it was handed in
    assert {student: rows[student][PART] for student in full} == dict.fromkeys(full, FULL)
    assert {student: rows[student][PART] for student in ("frank", "grace")} == {"frank": "0", "grace": "0"}
    for student in graded:
        report_json = out / rows[student]["report"]
        assert_report_files_sound(report_from_dict(json.loads(report_json.read_text(encoding="utf-8"))),
                                  report_json.parent)  # fmt: skip
    assert latin1.exists()
