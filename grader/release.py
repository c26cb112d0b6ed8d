"""Make the student files from the instructor's solutions.

In `reference/`, code between `# BEGIN SOLUTION` and `# END SOLUTION` is
the answer. The student's copy keeps everything else and puts
`raise NotImplementedError("your code here")` where each answer was, at its
indentation; a solution file without a single marked answer is refused, as
releasing it would hand out the whole solution.

A release is a folder students can start from (or a course's template
repository): the three stubs; the notebook `cnn_assignment.ipynb`, built
from the exercise text `reference/notebook.md` (`grader.student_notebook`);
the grader the course installs (`grader.install`: by default a wheel of this
checkout, shipped in the release); and a CI workflow that grades the
repository with that same grader (`grader.ci_workflow`). The notebook's
install cell and the workflow both install exactly that requirement.
"""

from __future__ import annotations

import re
from pathlib import Path

import grader
from grader.ci_workflow import WORKFLOW_PATH, CiSettings, render_workflow
from grader.generated_files import Generated, Written, write_generated
from grader.install import InstallSource, install_source
from grader.placeholder import PLACEHOLDER
from grader.student_notebook import NotebookTextError, build_notebook, notebook_text
from grader.written import METADATA_KEY, QUESTIONS

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
SOLUTION_FILES = ("cnn.py", "srnet.py", "pixel_shuffle.py")
NOTEBOOK_TEXT = "notebook.md"
NOTEBOOK = "cnn_assignment.ipynb"


class ReleaseError(ValueError):
    """Unbalanced or nested solution markers, a file without any, or a bad exercise text."""


def strip_solutions(text: str, name: str = "<source>") -> str:
    """Replace each marked solution block by a NotImplementedError at its indentation.

    >>> print(strip_solutions("def f():\\n    # BEGIN SOLUTION\\n    return 1\\n    # END SOLUTION\\n"))
    def f():
        raise NotImplementedError("your code here")
    <BLANKLINE>
    """
    out: list[str] = []
    inside_since = 0
    blocks = 0
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if inside_since:
                raise ReleaseError(f"{name} line {number}: {BEGIN} inside the block opened at line {inside_since}")
            inside_since = number
            blocks += 1
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
    if not blocks:
        raise ReleaseError(f"{name} has no `{BEGIN}` ... `{END}` block: its stub would be the whole "
                           "solution; mark each answer in the reference file")  # fmt: skip
    return "".join(out)


def stubs(reference: Path) -> dict[str, str]:
    """The student version of every solution file in `reference` (name -> text)."""
    found = {}
    for name in SOLUTION_FILES:
        path = reference / name
        if not path.is_file():
            raise ReleaseError(f"{path} is missing: the reference needs {', '.join(SOLUTION_FILES)}")
        found[name] = strip_solutions(path.read_text(encoding="utf-8"), name)
    return found


def release_files(reference: Path, install: InstallSource, fail_under: float | None = None) -> list[Generated]:
    """Everything a release holds, in the order it is written.

    >>> [f.name for f in release_files(Path("reference"), install_source(None))]   # doctest: +SKIP
    ['cnn.py', 'srnet.py', 'pixel_shuffle.py', 'cnn_assignment.ipynb',
     'cnn_grader-0.1.0-py3-none-any.whl', '.github/workflows/cnn-grader.yml']
    """
    files = stubs(reference)
    released = [Generated(name, text.encode("utf-8")) for name, text in files.items()]
    text_path = reference / NOTEBOOK_TEXT
    if text_path.is_file():
        released.append(Generated(NOTEBOOK, notebook_for(text_path, files, install.requirement).encode("utf-8")))
    if install.wheel is not None:
        released.append(Generated(install.wheel.name, install.wheel.data))
    if fail_under is None:
        from grader.rubric import load_rubric

        fail_under = sum(spec.points for spec in load_rubric().checks.values())
    workflow = render_workflow(CiSettings(install.requirement, fail_under))
    released.append(Generated(WORKFLOW_PATH.as_posix(), workflow.encode("utf-8")))
    return released


def notebook_for(text_path: Path, files: dict[str, str], requirement: str) -> str:
    """The notebook file's text for the exercise text at `text_path`, these part files and install line."""
    try:
        notebook = build_notebook(text_path.read_text(encoding="utf-8"), files, grader.__version__, requirement)
    except NotebookTextError as exc:
        raise ReleaseError(f"{text_path.name}: {exc}") from exc
    answered = {cell.metadata.get(METADATA_KEY, {}).get("answer") for cell in notebook.cells}
    missing = [q.id for q in QUESTIONS if q.id not in answered]
    if missing:
        raise ReleaseError(f"{text_path.name} has no answer cell for {', '.join(missing)}: add a line "
                           f"`<!-- answer: {missing[0]} -->` under the question")  # fmt: skip
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


def write_release(reference: Path, assignment: Path, requirement: str | None = None, force: bool = False,
                  fail_under: float | None = None) -> list[Written]:  # fmt: skip
    """Release `reference` into `assignment`: all files or none (see `grader.generated_files`).

    The reference is checked before the wheel is built, so a bad marker fails fast.
    """
    stubs(reference)
    files = release_files(reference, install_source(requirement), fail_under)
    return write_generated(assignment, files, force)
