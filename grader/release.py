"""Make the student files from the instructor's solutions.

In `reference/`, code between `# BEGIN SOLUTION` and `# END SOLUTION` is
the answer. The student's copy keeps everything else and puts
`raise NotImplementedError(...)` where each answer was, at its indentation.
When `reference/notebook.md` (the exercise text) is there, the release also
holds the student notebook `cnn_assignment.ipynb`: that text with the stubs
in its code cells (`grader.student_notebook`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import grader
from grader.student_notebook import NotebookTextError, build_notebook, notebook_text

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
SOLUTION_FILES = ("cnn.py", "srnet.py", "pixel_shuffle.py")
PLACEHOLDER = 'raise NotImplementedError("your code here")'
NOTEBOOK_TEXT = "notebook.md"
NOTEBOOK = "cnn_assignment.ipynb"


class ReleaseError(ValueError):
    """Unbalanced or nested solution markers."""


@dataclass(frozen=True)
class Released:
    name: str
    text: str


def strip_solutions(text: str, name: str = "<source>") -> str:
    """Replace each marked solution block by a NotImplementedError at its indentation.

    >>> print(strip_solutions("def f():\\n    # BEGIN SOLUTION\\n    return 1\\n    # END SOLUTION\\n"))
    def f():
        raise NotImplementedError("your code here")
    <BLANKLINE>
    """
    out: list[str] = []
    inside_since = 0
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if inside_since:
                raise ReleaseError(f"{name} line {number}: {BEGIN} inside the block opened at line {inside_since}")
            inside_since = number
            indent = re.match(r"\s*", line).group(0)  # type: ignore[union-attr]
            out.append(f"{indent}{PLACEHOLDER}\n")
        elif marker == END:
            if not inside_since:
                raise ReleaseError(f"{name} line {number}: {END} without {BEGIN}")
            inside_since = 0
        elif not inside_since:
            out.append(line)
    if inside_since:
        raise ReleaseError(f"{name}: {BEGIN} at line {inside_since} is never closed")
    return "".join(out)


def release_files(reference: Path) -> list[Released]:
    """The student version of every solution file in `reference`, and the notebook.

    >>> [r.name for r in release_files(Path("reference"))]   # doctest: +SKIP
    ['cnn.py', 'srnet.py', 'pixel_shuffle.py', 'cnn_assignment.ipynb']
    """
    stubs = [
        Released(name, strip_solutions((reference / name).read_text(encoding="utf-8"), name))
        for name in SOLUTION_FILES
    ]
    text_path = reference / NOTEBOOK_TEXT
    if not text_path.is_file():
        return stubs
    return [*stubs, Released(NOTEBOOK, notebook_for(text_path, {s.name: s.text for s in stubs}))]


def notebook_for(text_path: Path, files: dict[str, str]) -> str:
    """The notebook file's text for the exercise text at `text_path` and these part files."""
    try:
        notebook = build_notebook(text_path.read_text(encoding="utf-8"), files, grader.__version__)
    except NotebookTextError as exc:
        raise ReleaseError(f"{text_path.name}: {exc}") from exc
    return notebook_text(notebook)


def solution_files(reference: Path) -> dict[str, str]:
    """The solutions as a student who solved everything would hand them in: markers removed.

    >>> "BEGIN SOLUTION" in solution_files(Path("reference"))["cnn.py"]   # doctest: +SKIP
    False
    """
    return {
        name: "".join(line for line in (reference / name).read_text(encoding="utf-8").splitlines(keepends=True)
                      if line.strip() not in (BEGIN, END))  # fmt: skip
        for name in SOLUTION_FILES
    }


def write_release(reference: Path, assignment: Path) -> list[Path]:
    assignment.mkdir(parents=True, exist_ok=True)
    written = []
    for released in release_files(reference):
        path = assignment / released.name
        path.write_text(released.text, encoding="utf-8")
        written.append(path)
    return written
