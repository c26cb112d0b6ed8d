"""The entries of a batch's folder, and for each one whether it can be graded at all.

Every entry gets a gradebook row: what cannot be graded (a `.tar.gz`, a
`.docx`, an empty folder, a zip holding several top-level folders, a
symbolic link) gets one with the reason, instead of vanishing. Hidden files
(`.DS_Store`), the batch's own output folder and a Gradescope export's
`submission_metadata.yml` are not entries.
"""

from __future__ import annotations

import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from grader.roster import GRADESCOPE_METADATA, student_ids
from grader.submission import IGNORED_DIRS, PART_FILES
from grader.text import file_name

GRADABLE_SUFFIXES = (".zip", ".ipynb", ".py")
CODE_SUFFIXES = (".py", ".ipynb")


@dataclass(frozen=True)
class Entry:
    """One entry of the folder: where it is, its report folder, its student, and
    `problem`: why it cannot be graded ('' when it can)."""

    path: Path
    name: str
    folder: str
    student: str
    problem: str = ""


def list_entries(folder: Path, exclude: Path | None = None) -> list[Entry]:
    """Every entry directly inside `folder`, sorted by name, each with its verdict."""
    skip = exclude.resolve() if exclude is not None else None
    paths = sorted(
        p for p in folder.iterdir()
        if not p.name.startswith(".") and p.name != GRADESCOPE_METADATA
        and (skip is None or p.resolve() != skip)
    )  # fmt: skip
    ids = student_ids(folder, paths)
    used: set[str] = set()
    # Names as text by the one policy (a Latin-1 name from a Windows export reads right).
    return [Entry(p, file_name(p.name), _unique(report_folder_name(p), used), ids[p.name], problem(p))
            for p in paths]


def report_folder_name(path: Path) -> str:
    """A safe folder name for an entry's report: `alice.zip` -> `alice`."""
    stem = path.name if path.is_dir() and not path.is_symlink() else path.stem
    return re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._") or "submission"


def problem(path: Path) -> str:
    """Why the entry cannot be graded, or '' (staging may still refuse it: a zip bomb, ...)."""
    if path.is_symlink():
        return "a symbolic link: submissions are read only from regular files and folders"
    if path.is_dir():
        return _folder_problem(path)
    suffix = path.suffix.lower()
    if suffix not in GRADABLE_SUFFIXES:
        kind = "".join(path.suffixes[-2:]).lower() if path.suffixes else "no suffix"
        return (f"unsupported file type ({kind}): cnn-grader reads a folder, a .zip, "
                "a Jupyter notebook (.ipynb) or a .py file")  # fmt: skip
    if not path.is_file():
        return "not a regular file"
    if suffix == ".zip":
        return _zip_problem(path)
    if path.stat().st_size == 0:
        return "an empty file"
    return ""


def _folder_problem(path: Path) -> str:
    top_files, top_dirs, any_file = [], [], False
    for root, dirs, files in os.walk(path, followlinks=False):
        dirs[:] = [d for d in dirs if d not in IGNORED_DIRS and not d.startswith(".")]
        files = [f for f in files if not f.startswith(".")]
        if Path(root) == path:
            top_files, top_dirs = files, list(dirs)
        if files:
            any_file = True
            if Path(root) != path:
                break
    if not any_file:
        return "an empty folder"
    return _several_roots(top_files, top_dirs, "folder", "subfolders")


def _zip_problem(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = [PurePosixPath(m.filename.replace("\\", "/")) for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        return f"not a readable zip file ({exc})"
    names = [n for n in names if n.parts and not any(p in IGNORED_DIRS or p.startswith(".") for p in n.parts)]
    if not names:
        return "an empty zip file"
    top_files = [n.name for n in names if len(n.parts) == 1]
    top_dirs = sorted({n.parts[0] for n in names if len(n.parts) > 1})
    return _several_roots(top_files, top_dirs, "zip", "top-level folders")


def _several_roots(top_files: list[str], top_dirs: list[str], what: str, kind: str) -> str:
    """Several folders and no code beside them: which one is the submission is anyone's guess."""
    code_on_top = any(f in PART_FILES.values() or f.lower().endswith(CODE_SUFFIXES) for f in top_files)
    if code_on_top or len(top_dirs) < 2:
        return ""
    shown = ", ".join(top_dirs[:5]) + (", ..." if len(top_dirs) > 5 else "")
    return (f"the {what} holds {len(top_dirs)} {kind} ({shown}) and no code beside them: "
            "expected one folder, or the files themselves")  # fmt: skip


def _unique(name: str, used: set[str]) -> str:
    candidate, n = name, 1
    while candidate in used:
        n += 1
        candidate = f"{name}-{n}"
    used.add(candidate)
    return candidate
