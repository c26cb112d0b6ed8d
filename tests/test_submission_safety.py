"""Staging never escapes the target folder or crashes on a malformed zip (more cases in tests/hostile)."""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

import pytest

from grader.submission import SubmissionError, stage
from tests.conftest import REFERENCE


def _zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def test_a_name_that_is_both_a_file_and_a_folder_is_a_clear_error(tmp_path: Path) -> None:
    path = _zip(tmp_path / "s.zip", {"cnn.py": b"x = 1\n", "cnn.py/inner.py": b"y = 2\n"})
    with pytest.raises(SubmissionError, match="cannot be extracted"):
        stage(path, tmp_path / "out")


def test_an_unknown_compression_method_is_a_clear_error(tmp_path: Path) -> None:
    path = _zip(tmp_path / "s.zip", {"cnn.py": b"x = 1\n"})
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        start = data.find(signature)
        data[start + offset : start + offset + 2] = (99).to_bytes(2, "little")  # AES, which zipfile cannot read
    path.write_bytes(bytes(data))
    with pytest.raises(SubmissionError, match="cannot be extracted"):
        stage(path, tmp_path / "out")


def test_a_truncated_zip_is_a_clear_error(tmp_path: Path) -> None:
    path = _zip(tmp_path / "s.zip", {"cnn.py": b"x = 1\n" * 1000})
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(SubmissionError, match="not a readable zip file"):
        stage(path, tmp_path / "out")


def test_a_folder_submission_copies_regular_files_only(tmp_path: Path) -> None:
    source = tmp_path / "submission"
    shutil.copytree(REFERENCE, source)
    regular = sorted(p.name for p in source.rglob("*") if p.is_file())
    (source / "passwd.py").symlink_to("/etc/passwd")
    (source / "outside").symlink_to(tmp_path, target_is_directory=True)
    os.mkfifo(source / "pipe")
    staged = stage(source, tmp_path / "out")
    copied = sorted(p.name for p in staged.folder.rglob("*"))
    assert copied == regular
    assert "cnn.py" in copied
