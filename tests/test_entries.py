"""Every entry of a batch's folder is listed, with a student id and, when it cannot be graded, why."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from grader.entries import list_entries
from grader.roster import GRADESCOPE_METADATA
from tests.conftest import REFERENCE


def zip_folders(path: Path, folders: dict[str, Path]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for top, source in folders.items():
            for file in sorted(source.glob("*.py")):
                archive.write(file, f"{top}/{file.name}")


def test_every_entry_gets_a_verdict(tmp_path: Path) -> None:
    course = tmp_path / "course"
    course.mkdir()
    shutil.copytree(REFERENCE, course / "alice")
    (course / "bob").mkdir()
    (course / "bob" / ".DS_Store").write_bytes(b"x")
    (course / "carol.tar.gz").write_bytes(b"\x1f\x8b")
    (course / "dave.docx").write_bytes(b"PK")
    zip_folders(course / "erin.zip", {"v1": REFERENCE, "v2": REFERENCE})
    zip_folders(course / "frank.zip", {"frank": REFERENCE})
    (course / "gina.zip").write_bytes(b"not a zip")
    (course / "harry.ipynb").write_text("{}", encoding="utf-8")
    (course / ".hidden").write_text("", encoding="utf-8")
    (course / "ivan").symlink_to(course / "alice")
    (course / "out").mkdir()
    entries = {e.name: e for e in list_entries(course, exclude=course / "out")}
    assert list(entries) == ["alice", "bob", "carol.tar.gz", "dave.docx", "erin.zip", "frank.zip", "gina.zip",
                             "harry.ipynb", "ivan"]  # fmt: skip
    assert entries["alice"].problem == entries["frank.zip"].problem == entries["harry.ipynb"].problem == ""
    assert entries["bob"].problem == "an empty folder"
    assert "unsupported file type (.tar.gz)" in entries["carol.tar.gz"].problem
    assert "unsupported file type (.docx)" in entries["dave.docx"].problem
    assert "2 top-level folders (v1, v2)" in entries["erin.zip"].problem
    assert "not a readable zip" in entries["gina.zip"].problem
    assert "symbolic link" in entries["ivan"].problem
    assert [e.student for e in entries.values()] == ["alice", "bob", "carol", "dave", "erin", "frank", "gina",
                                                     "harry", "ivan"]  # fmt: skip
    assert entries["carol.tar.gz"].folder == "carol.tar"


def test_github_classroom_names_give_the_usernames(tmp_path: Path) -> None:
    for name in ("cnn-lab-alice", "cnn-lab-bob-smith", "cnn-lab-carol.zip"):
        (tmp_path / name).mkdir() if "." not in name else (tmp_path / name).write_bytes(b"")
    assert [e.student for e in list_entries(tmp_path)] == ["alice", "bob-smith", "carol"]


def test_a_gradescope_export_names_the_submitters(tmp_path: Path) -> None:
    for sub in ("submission_101", "submission_102", "submission_103"):
        shutil.copytree(REFERENCE, tmp_path / sub)
    (tmp_path / GRADESCOPE_METADATA).write_text(
        "submission_101:\n"
        "  :submitters:\n"
        "  - :name: Alice Smith\n"
        "    :sid: '2024001'\n"
        "    :email: alice@example.edu\n"
        "  :created_at: 2026-01-01 10:00:00 +0000\n"
        "submission_102:\n"
        "  :submitters:\n"
        "  - :name: Bob\n"
        "    :email: bob@example.edu\n"
        "  - :name: Carol\n"
        "    :sid: 2024003\n",
        encoding="utf-8",
    )
    entries = list_entries(tmp_path)
    assert [(e.name, e.student) for e in entries] == [
        ("submission_101", "2024001"), ("submission_102", "bob@example.edu;2024003"),
        ("submission_103", "submission_103"),
    ]  # fmt: skip
