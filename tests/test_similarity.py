"""Similarity flags: a disguised copy is found; correct code in other styles and the stubs are not."""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path

from grader.similarity import find_similar, normalised_lines, python_sources
from tests.conftest import ASSIGNMENT, CORRECT, REFERENCE, overlay_fixture


def disguise(source: Path, dest: Path) -> Path:
    """What a copier does: new names, no comments, other formatting."""
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("__pycache__", "*.md"))
    for file in dest.glob("*.py"):
        text = re.sub(r"#.*", "", file.read_text(encoding="utf-8"))
        for old, new in (("upscale_factor", "scale"), ("embedding", "feats"), ("x", "inputs"), ("model", "net")):
            text = re.sub(rf"\b{old}\b", new, text)
        file.write_text(text.replace("    ", "  "), encoding="utf-8")
    return dest


def class_of_correct_variants(course: Path) -> dict[str, Path]:
    entries = {}
    for fixture in sorted(p for p in CORRECT.iterdir() if p.is_dir()):
        entries[fixture.name] = overlay_fixture(fixture, course / fixture.name)
    return entries


def test_a_disguised_copy_is_flagged_with_the_shared_code(tmp_path: Path) -> None:
    entries = class_of_correct_variants(tmp_path)
    entries["alice"] = shutil.copytree(REFERENCE, tmp_path / "alice")
    entries["bob"] = disguise(REFERENCE, tmp_path / "bob")
    flags = find_similar(entries, ASSIGNMENT)
    assert [(f.first, f.second) for f in flags] == [("alice", "bob")]
    flag = flags[0]
    assert flag.score > 0.8 and flag.shared_lines >= 10
    shown = "\n".join(line.original for p in flag.passages for line in p.second)
    assert "rearrange" in shown or "conv" in shown  # the copier's own lines, as written


def test_the_released_stubs_never_count(tmp_path: Path) -> None:
    """Two students who handed in the untouched stubs share only base code."""
    entries = {name: shutil.copytree(ASSIGNMENT, tmp_path / name, ignore=shutil.ignore_patterns("*.ipynb"))
               for name in ("alice", "bob")}  # fmt: skip
    assert find_similar(entries, ASSIGNMENT) == []
    assert find_similar(entries, None) != []  # without the base code, the stubs look copied


def test_notebooks_and_zips_are_read(tmp_path: Path) -> None:
    cells = [{"cell_type": "code", "source": "%pip install einops\n" + (REFERENCE / f).read_text(), "metadata": {},
              "outputs": [], "execution_count": None} for f in ("cnn.py", "srnet.py", "pixel_shuffle.py")]  # fmt: skip
    notebook = tmp_path / "alice.ipynb"
    notebook.write_text(json.dumps({"cells": cells, "nbformat": 4, "nbformat_minor": 5, "metadata": {}}))
    archive = tmp_path / "bob.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in REFERENCE.glob("*.py"):
            z.write(f, f"bob/{f.name}")
    assert len(normalised_lines(python_sources(notebook))) == len(normalised_lines(python_sources(REFERENCE)))
    flags = find_similar({"alice.ipynb": notebook, "bob.zip": archive}, ASSIGNMENT)
    assert [(f.first, f.second) for f in flags] == [("alice.ipynb", "bob.zip")]


def test_code_that_does_not_parse_or_is_hostile_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "cnn.py").write_text("def broken(:\n" + "(" * 5000 + ")" * 5000, encoding="utf-8")
    (tmp_path / "a" / "x.ipynb").write_text("[" * 100000, encoding="utf-8")
    assert normalised_lines(python_sources(tmp_path / "a")) == []
