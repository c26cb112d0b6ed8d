"""Turn what a student hands in into a clean folder the children can import from.

A submission is a folder with `cnn.py`, `srnet.py` and `pixel_shuffle.py`,
a `.zip` of such a folder (one top-level folder or none), a Jupyter
notebook, or a single `.py` file (a Colab export) defining all three parts.
Only regular files are copied: no symlinks, nothing outside the folder,
within size and count limits.
"""

from __future__ import annotations

import os
import shutil
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Mapping

from grader.notebook import NotebookError, extract_definitions, read_notebook_cells
from grader.parts.context import PartSource

PART_FILES: Mapping[str, str] = MappingProxyType(
    {"cnn": "cnn.py", "srnet": "srnet.py", "pixel_shuffle": "pixel_shuffle.py"}
)
COMBINED_MODULE = "submission_module.py"
MAX_FILES = 2000
MAX_BYTES = 100 << 20
MAX_RATIO = 100  # code and notebooks compress about 3-10 times; zip bombs a thousand times and more
RATIO_FLOOR = 1 << 20  # small entries may compress as well as they like
IGNORED_DIRS = frozenset({"__pycache__", ".git", ".ipynb_checkpoints", "__MACOSX", ".venv"})


class SubmissionError(ValueError):
    """A submission that cannot be read at all; every check gets this message."""


@dataclass(frozen=True)
class StagedSubmission:
    """The clean copy, and where each part's code is (None: missing, see `problems`)."""

    name: str
    folder: Path
    sources: Mapping[str, PartSource | None]
    problems: Mapping[str, str]
    notes: tuple[str, ...] = field(default=())


def stage(path: Path, dest: Path) -> StagedSubmission:
    """Copy or extract `path` into the empty folder `dest` and find the parts.

    >>> stage(Path("reference"), Path(tempfile.mkdtemp()) / "s").sources["cnn"].module  # doctest: +SKIP
    'cnn.py'
    """
    path = Path(path)
    dest.mkdir(parents=True)
    suffix = path.suffix.lower()
    if path.is_dir():
        _copy_folder(_part_root(path), dest)
        return _from_folder(path.name, dest)
    if suffix == ".zip":
        _extract_zip(path, dest)
        return _from_folder(path.name, dest)
    if suffix in (".ipynb", ".py"):
        return _from_single_file(path, dest)
    raise SubmissionError(f"{path.name}: expected a folder, a .zip, a .ipynb or a .py file")


def _from_folder(name: str, folder: Path) -> StagedSubmission:
    present = {part: (folder / file).is_file() for part, file in PART_FILES.items()}
    notebooks = sorted(folder.glob("*.ipynb"))
    if not any(present.values()) and len(notebooks) == 1:
        # A folder holding just a notebook is graded as that notebook.
        staged = _from_single_file(notebooks[0], folder / ".notebook")
        return StagedSubmission(name, staged.folder, staged.sources, staged.problems, staged.notes)
    sources = {
        part: PartSource(file, folder / file) if present[part] else None
        for part, file in PART_FILES.items()
    }
    problems = {
        part: f"{file} is missing from the submission" for part, file in PART_FILES.items() if not present[part]
    }
    return StagedSubmission(name, folder, MappingProxyType(sources), MappingProxyType(problems))


def _from_single_file(path: Path, dest: Path) -> StagedSubmission:
    dest.mkdir(parents=True, exist_ok=True)
    try:
        if path.suffix.lower() == ".ipynb":
            cells = read_notebook_cells(path)
        else:
            cells = [path.read_text(encoding="utf-8", errors="replace")]
    except (OSError, NotebookError) as exc:
        raise SubmissionError(str(exc)) from exc
    extracted = extract_definitions(cells, is_notebook=path.suffix.lower() == ".ipynb")
    module = dest / COMBINED_MODULE
    module.write_text(extracted.source, encoding="utf-8")
    sources = {part: PartSource(COMBINED_MODULE, module, combined=True) for part in PART_FILES}
    return StagedSubmission(path.name, dest, MappingProxyType(sources), MappingProxyType({}), extracted.notes)


def _part_root(folder: Path) -> Path:
    """The folder itself, or its only subfolder when the parts sit one level down."""
    if any((folder / f).is_file() for f in PART_FILES.values()):
        return folder
    subfolders = [p for p in folder.iterdir() if p.is_dir() and not p.is_symlink() and p.name not in IGNORED_DIRS]
    if len(subfolders) == 1 and any((subfolders[0] / f).is_file() for f in PART_FILES.values()):
        return subfolders[0]
    return folder


def _copy_folder(source: Path, dest: Path) -> None:
    """Copy regular files; symlinks (to files or folders) are left behind."""
    count, total = 0, 0
    for root, dirs, files in os.walk(source, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in IGNORED_DIRS and not os.path.islink(os.path.join(root, d)))
        for name in sorted(files):
            item = Path(root) / name
            if item.is_symlink() or not item.is_file():
                continue
            count, total = count + 1, total + item.stat().st_size
            if count > MAX_FILES or total > MAX_BYTES:
                raise SubmissionError(f"the submission has more than {MAX_FILES} files or {MAX_BYTES >> 20} MiB")
            target = dest / item.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(item, target)


def _extract_zip(path: Path, dest: Path) -> None:
    """Extract regular files only, refusing escapes, links and bombs."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise SubmissionError(f"{path.name} is not a readable zip file: {exc}") from exc
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir() and _wanted(m)]
        if len(members) > MAX_FILES:
            raise SubmissionError(f"{path.name} holds more than {MAX_FILES} files")
        if sum(m.file_size for m in members) > MAX_BYTES:
            raise SubmissionError(f"{path.name} expands to more than {MAX_BYTES >> 20} MiB")
        for member in members:
            if member.file_size > RATIO_FLOOR and member.file_size > MAX_RATIO * max(member.compress_size, 1):
                raise SubmissionError(f"{path.name}: entry {member.filename!r} is compressed more than "
                                      f"{MAX_RATIO}:1, like a zip bomb")  # fmt: skip
        strip = _common_top(members)
        written = 0
        for member in members:
            relative = _safe_relative(member.filename, path.name)
            if strip:
                relative = PurePosixPath(*relative.parts[1:])
            target = dest.joinpath(*relative.parts)
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                written = _extract_member(archive, member, target, written, path.name)
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError,
                    OSError) as exc:  # fmt: skip
                # Forged headers, sizes or checksums, encryption, unknown compression methods,
                # a name that is both a file and a folder.
                raise SubmissionError(f"{path.name}: entry {member.filename!r} cannot be extracted ({exc})") from exc


def _extract_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, target: Path, written: int,
                    name: str) -> int:  # fmt: skip
    """Copy one entry, counting real bytes: a forged header can understate the size."""
    with archive.open(member) as src, open(target, "wb") as out:
        for chunk in iter(lambda: src.read(1 << 16), b""):
            written += len(chunk)
            if written > MAX_BYTES:
                raise SubmissionError(f"{name} expands to more than {MAX_BYTES >> 20} MiB")
            out.write(chunk)
    return written


def _wanted(member: zipfile.ZipInfo) -> bool:
    mode = member.external_attr >> 16
    if stat.S_ISLNK(mode):
        return False
    parts = PurePosixPath(member.filename.replace("\\", "/")).parts
    return not any(p in IGNORED_DIRS for p in parts)


def _safe_relative(name: str, archive: str) -> PurePosixPath:
    relative = PurePosixPath(name.replace("\\", "/"))
    if relative.is_absolute() or ".." in relative.parts or not relative.parts or ":" in relative.parts[0]:
        raise SubmissionError(f"{archive}: entry {name!r} points outside the archive folder")
    return relative


def _common_top(members: list[zipfile.ZipInfo]) -> bool:
    """True when every entry sits in the same single top-level folder."""
    tops = {PurePosixPath(m.filename.replace("\\", "/")).parts[0] for m in members}
    return len(tops) == 1 and all(len(PurePosixPath(m.filename).parts) > 1 for m in members)
