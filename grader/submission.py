"""Turn what a student hands in into a clean folder the children can import from.

A submission is a folder with `cnn.py`, `srnet.py` and `pixel_shuffle.py`,
a `.zip` of such a folder (one top-level folder or none), a Jupyter
notebook, or a single `.py` file (a Colab export) defining all three parts;
a folder or zip holding only a notebook (or only one such `.py`) is graded
as that file. Only regular files are copied: no symlinks, nothing outside
the folder, within size and count limits.

A notebook's parts come from its definitions, gathered into one module
(`grader.definitions`); a part whose file the notebook wrote with
`%%writefile cnn.py` is graded from that file, as in a folder.

A folder with the part files and one notebook (a course's template
repository: the released stubs next to the notebook) is graded part by part
from whichever holds the student's work: a part's `.py` file, unless it
still holds more of the release's `NotImplementedError("your code here")`
placeholders than the notebook's version of that part (or is missing). A
note names every part taken from the notebook, and why. The written answers
(`grader.written`) come from the notebook.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import zipfile
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Mapping

from grader.bounds import MAX_CELLS, MAX_CODE_BYTES, BoundExceeded, Budget, check_code_size
from grader.definitions import Extracted, extract_definitions, module_with_origins
from grader.notebook import Cell, NotebookError, Prepared, prepare_cells, read_notebook_cells, split_script
from grader.parts.source import PartSource
from grader.placeholder import MARK, unfinished
from grader.results import WrittenAnswer
from grader.text import decode, file_name, zip_member_name
from grader.written import collect_answers, no_answers

PART_FILES: Mapping[str, str] = MappingProxyType(
    {"cnn": "cnn.py", "srnet": "srnet.py", "pixel_shuffle": "pixel_shuffle.py"}
)
# The names each part's checks import (the contract); a notebook must define them.
PART_NAMES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"cnn": ("CNN",), "srnet": ("SuperResolutionNet",), "pixel_shuffle": ("pixel_shuffle", "PixelShuffle")}
)
# A notebook's part is graded from the module built for it: `notebook_cnn.py`, ...
NOTEBOOK_MODULE = "notebook_{part}.py"
MAX_NOTES = 40  # notes of a notebook: the first ones tell the story
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
    # Modules the grader built from a notebook: per line, the cell and line it came from.
    origins: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    answers: tuple[WrittenAnswer, ...] = field(default=())  # the written questions' answers, for manual grading


def stage(path: Path, dest: Path) -> StagedSubmission:
    """Copy or extract `path` into the empty folder `dest` and find the parts.

    >>> stage(Path("reference"), Path(tempfile.mkdtemp()) / "s").sources["cnn"].module  # doctest: +SKIP
    'cnn.py'
    """
    path = Path(path)
    dest.mkdir(parents=True)
    suffix = path.suffix.lower()
    try:
        if path.is_dir():
            _copy_folder(_part_root(path), dest)
            return _from_folder(submission_name(path), dest)
        if suffix == ".zip":
            _extract_zip(path, dest)
            return _from_folder(submission_name(path), dest)
        if suffix in (".ipynb", ".py"):
            return _from_single_file(path, dest)
    except BoundExceeded as exc:  # too large, too deep or too slow to read: refused, with the reason
        raise SubmissionError(str(exc)) from exc
    raise SubmissionError(f"{submission_name(path)}: expected a folder, a .zip, a .ipynb or a .py file")


def submission_name(path: Path) -> str:
    """The name reports use: the file or folder name, also for `.` (CI grades the repository),
    decoded as `grader.text.file_name` decodes names (a Latin-1 name from Windows reads right).

    >>> submission_name(Path("/course/alice.zip")), submission_name(Path("/course/bob/."))
    ('alice.zip', 'bob')
    """
    return file_name(Path(os.path.abspath(path)).name or str(path))


def _from_folder(name: str, folder: Path) -> StagedSubmission:
    present = {part: (folder / file).is_file() for part, file in PART_FILES.items()}
    if not any(present.values()):
        # A folder holding just a notebook, or just one exported .py, is graded as that file.
        single = _single_file(folder)
        if single is not None:
            return _from_single_file(single, folder, name)
    oversized = {}
    for part, file in PART_FILES.items():  # the parent reads each part's code (static checks): bounded
        if present[part] and (folder / file).stat().st_size > MAX_CODE_BYTES:
            present[part] = False
            oversized[part] = f"{file} holds more than the {MAX_CODE_BYTES >> 20} MiB of code the grader reads"
    sources = {
        part: PartSource(file, folder / file) if present[part] else None
        for part, file in PART_FILES.items()
    }
    why = "" if any(present.values()) else _several_folders(folder)
    problems = {
        part: oversized.get(part, f"{file} is missing from the submission{why}")
        for part, file in PART_FILES.items() if not present[part]
    }  # fmt: skip
    staged = StagedSubmission(name, folder, MappingProxyType(sources), MappingProxyType(problems))
    notebooks = sorted(folder.glob("*.ipynb"))
    if len(notebooks) == 1:
        return _with_notebook(staged, notebooks[0])
    if notebooks:
        listed = ", ".join(file_name(n.name) for n in notebooks[:5])
        note = (f"{len(notebooks)} notebooks ({listed}): graded the .py files only; keep one notebook "
                "next to them for it to be graded too")  # fmt: skip
        return replace(staged, notes=(note,), answers=no_answers(note))
    return replace(staged, answers=no_answers("the submission holds no notebook, where the answer cells are"))


def _single_file(folder: Path) -> Path | None:
    notebooks = sorted(folder.glob("*.ipynb"))
    scripts = sorted(folder.glob("*.py"))
    if len(notebooks) == 1:
        return notebooks[0]
    return scripts[0] if not notebooks and len(scripts) == 1 else None


def _from_single_file(path: Path, dest: Path, name: str | None = None) -> StagedSubmission:
    """Stage a notebook or an exported `.py` into `dest`, next to whatever is already there."""
    dest.mkdir(parents=True, exist_ok=True)
    prepared = prepare_cells(_read_cells(path))
    for written, text in prepared.files.items():
        (dest / written).write_text(text, encoding="utf-8")
    extracted = _extract(prepared, dest)
    what = "notebook" if path.suffix.lower() == ".ipynb" else "file"
    sources, problems, origins = _single_file_parts(dest, extracted, frozenset(prepared.files), what)
    notes = _staging_notes(path, prepared, extracted)
    shown = file_name(path.name)
    answers = collect_answers(path) if what == "notebook" else no_answers(
        f"{shown} is not a notebook: the written answers are in the notebook's answer cells")  # fmt: skip
    return StagedSubmission(name or shown, dest, MappingProxyType(sources), MappingProxyType(problems), notes,
                            MappingProxyType(origins), answers)  # fmt: skip


def _extract(prepared: Prepared, dest: Path) -> Extracted:
    """The definitions, read under the staging budget (see `grader.bounds`)."""
    local = frozenset(p.stem for p in dest.glob("*.py")) | {Path(n).stem for n in prepared.files}
    return extract_definitions(list(prepared.cells), local, budget=Budget())


def _staging_notes(path: Path, prepared: Prepared, extracted: Extracted) -> tuple[str, ...]:
    summary = (
        f"{file_name(path.name)}: graded from the definitions in its {len(prepared.cells)} code cell(s); "
        "code that is not a definition (training, plots, shell commands) was not run, as listed here"
    )
    return (summary, *_ordered(extracted.syntax_errors, [*prepared.notes, *extracted.notes]))


def _with_notebook(staged: StagedSubmission, notebook: Path) -> StagedSubmission:
    """Grade each part from its file or from the notebook next to it, whichever holds the work."""
    try:
        prepared = prepare_cells(_read_cells(notebook))
        extracted = _extract(prepared, staged.folder)
    except (SubmissionError, BoundExceeded) as exc:
        note = f"{file_name(notebook.name)} was not graded, only the .py files: {exc}"
        return replace(staged, notes=(note,), answers=no_answers(note))
    for helper, text in prepared.files.items():  # modules the notebook wrote, unless the folder has them
        if helper not in PART_FILES.values() and not (staged.folder / helper).exists():
            (staged.folder / helper).write_text(text, encoding="utf-8")
    sources, problems, origins = dict(staged.sources), dict(staged.problems), dict(staged.origins)
    notes: list[str] = []
    graded_notebook = False
    for part, file in PART_FILES.items():
        names = PART_NAMES[part]
        written = prepared.files.get(file)
        defined = written is None and any(n in extracted.defined for n in names)
        if written is None and not defined:
            continue
        built, built_origins = module_with_origins(extracted, names) if written is None else (written, ())
        path = staged.folder / file
        in_file = path.read_text(encoding="utf-8", errors="replace") if sources[part] is not None else None
        if in_file is not None and unfinished(in_file) <= unfinished(built):
            if not unfinished(built):  # both finished: say which one counts
                notes.append(f"{part}: graded from {file}; {file_name(notebook.name)} defines it too, but a "
                             "part's file comes first when both are finished")  # fmt: skip
            continue
        if written is not None:
            path.write_text(written, encoding="utf-8")
            sources[part] = PartSource(file, path)
        else:
            module = staged.folder / NOTEBOOK_MODULE.format(part=part)
            module.write_text(built, encoding="utf-8")
            sources[part] = PartSource(module.name, module, combined=True)
            origins[module.name] = built_origins
        problems.pop(part, None)
        graded_notebook = True
        why = "is missing" if in_file is None else f"still holds {unfinished(in_file)} unfinished `{MARK}`"
        notes.append(f"{part}: graded from {file_name(notebook.name)}, not from {file}, which {why}")
    if graded_notebook:  # what was dropped from the notebook matters only where the notebook was graded
        notes += _staging_notes(notebook, prepared, extracted)
    return replace(staged, sources=MappingProxyType(sources), problems=MappingProxyType(problems),
                   origins=MappingProxyType(origins), notes=tuple(notes),
                   answers=collect_answers(notebook))  # fmt: skip


def _ordered(first: tuple[str, ...], notes: list[str]) -> list[str]:
    """Syntax errors first, then the other notes in notebook order, at most MAX_NOTES."""
    def position(note: str) -> tuple[int, int]:
        numbers = [int(n) for n in re.findall(r"(?:cell|line) (\d+)", note.split(":", 1)[0])]
        return (numbers + [10**9, 0])[0], (numbers + [10**9, 0])[1]

    errors = set(first)
    rest = sorted((n for n in notes if n not in errors), key=position)
    ordered = [*first, *rest]
    if len(ordered) > MAX_NOTES:
        ordered = [*ordered[:MAX_NOTES], f"... and {len(ordered) - MAX_NOTES} more"]
    return ordered


def _read_cells(path: Path) -> list[Cell]:
    """The code cells, within the bounds on size and count (see `grader.bounds`)."""
    name = file_name(path.name)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise SubmissionError(f"{name} is larger than {MAX_BYTES >> 20} MiB")
        if path.suffix.lower() == ".ipynb":
            cells = read_notebook_cells(path)
        else:
            cells = split_script(decode(path.read_bytes()))
    except (OSError, NotebookError) as exc:
        raise SubmissionError(str(exc)) from exc
    if len(cells) > MAX_CELLS:
        raise BoundExceeded(f"{name} has {len(cells)} code cells, more than the {MAX_CELLS} the grader reads")
    check_code_size(sum(len(cell.source.encode("utf-8")) for cell in cells), name)
    return cells


def _single_file_parts(
    dest: Path, extracted: Extracted, written: frozenset[str], what: str
) -> tuple[dict[str, PartSource | None], dict[str, str], dict[str, tuple[str, ...]]]:
    """Each part from its `%%writefile`d file, else from a module built for it; a part
    none of whose names is defined is not run, and says why (a cell that did not parse)."""
    sources: dict[str, PartSource | None] = {}
    problems: dict[str, str] = {}
    origins: dict[str, tuple[str, ...]] = {}
    star = "*" in extracted.defined
    for part, file in PART_FILES.items():
        names = PART_NAMES[part]
        if file in written:
            sources[part] = PartSource(file, dest / file)
        elif star or any(n in extracted.defined for n in names):
            module = dest / NOTEBOOK_MODULE.format(part=part)
            text, origins[module.name] = module_with_origins(extracted, names)
            module.write_text(text, encoding="utf-8")
            sources[part] = PartSource(module.name, module, combined=True)
        else:
            sources[part] = None
            why = f": {'; '.join(extracted.syntax_errors)}" if extracted.syntax_errors else ""
            problems[part] = f"the {what} defines no {' or '.join(names)}{why}"
    return sources, problems, origins


def _part_root(folder: Path) -> Path:
    """The folder itself, or its only subfolder when the parts sit one level down."""
    if any((folder / f).is_file() for f in PART_FILES.values()):
        return folder
    subfolders = [p for p in folder.iterdir() if p.is_dir() and not p.is_symlink() and p.name not in IGNORED_DIRS]
    if len(subfolders) == 1 and any((subfolders[0] / f).is_file() for f in PART_FILES.values()):
        return subfolders[0]
    return folder


def _several_folders(folder: Path) -> str:
    """Why no part file was found when the code sits in several folders: which one is the
    submission is anyone's guess (as `batch` says of such an entry)."""
    subfolders = sorted(file_name(p.name) for p in folder.iterdir()
                        if p.is_dir() and not p.is_symlink() and p.name not in IGNORED_DIRS
                        and not p.name.startswith("."))  # fmt: skip
    if len(subfolders) < 2:
        return ""
    shown = ", ".join(subfolders[:5]) + (", ..." if len(subfolders) > 5 else "")
    return f" (it holds {len(subfolders)} folders, {shown}: expected one folder, or the files themselves)"


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
    name = file_name(path.name)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise SubmissionError(f"{name} is not a readable zip file: {exc}") from exc
    with archive:
        members = [m for m in archive.infolist() if not _member_name(m).endswith("/") and _wanted(m)]
        if len(members) > MAX_FILES:
            raise SubmissionError(f"{name} holds more than {MAX_FILES} files")
        if sum(m.file_size for m in members) > MAX_BYTES:
            raise SubmissionError(f"{name} expands to more than {MAX_BYTES >> 20} MiB")
        for member in members:
            if member.file_size > RATIO_FLOOR and member.file_size > MAX_RATIO * max(member.compress_size, 1):
                raise SubmissionError(f"{name}: entry {_member_name(member)!r} is compressed more than "
                                      f"{MAX_RATIO}:1, like a zip bomb")  # fmt: skip
        strip = _common_top(members)
        written = 0
        for member in members:
            relative = _safe_relative(_member_name(member), name)
            if strip:
                relative = PurePosixPath(*relative.parts[1:])
            target = dest.joinpath(*relative.parts)
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                written = _extract_member(archive, member, target, written, name)
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError,
                    OSError) as exc:  # fmt: skip
                # Forged headers, sizes or checksums, encryption, unknown compression methods,
                # a name that is both a file and a folder.
                raise SubmissionError(f"{name}: entry {_member_name(member)!r} cannot be extracted ({exc})") from exc


def _member_name(member: zipfile.ZipInfo) -> str:
    """The entry's path as its author meant it: decoded (`grader.text.zip_member_name`), and
    with Windows' backslashes as separators (some Windows tools write them)."""
    return zip_member_name(member).replace("\\", "/")


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
    return not any(p in IGNORED_DIRS for p in PurePosixPath(_member_name(member)).parts)


def _safe_relative(name: str, archive: str) -> PurePosixPath:
    relative = PurePosixPath(name)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts or ":" in relative.parts[0]:
        raise SubmissionError(f"{archive}: entry {name!r} points outside the archive folder")
    return relative


def _common_top(members: list[zipfile.ZipInfo]) -> bool:
    """True when every entry sits in the same single top-level folder."""
    paths = [PurePosixPath(_member_name(m)).parts for m in members]
    return len({parts[0] for parts in paths if parts}) == 1 and all(len(parts) > 1 for parts in paths)
