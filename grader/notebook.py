"""Read a notebook, or a `.py` exported from one, as code cells in plain Python.

IPython syntax is undone cell by cell, so the rest of a cell still parses:
- `%%writefile NAME` writes NAME into the submission folder, as the notebook
  would have; `%%time` and `%%capture` keep their Python body; any other
  cell magic (`%%bash`, `%%html`, ...) drops its cell;
- line magics, shell escapes and help lookups (`%matplotlib inline`,
  `!pip install einops`, `files = !ls`, `model?`) become `pass`.
Which statements are then kept is `grader.definitions`' business.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from grader.bounds import MAX_CELLS, BoundExceeded
from grader.text import clean, file_name

PYTHON_CELL_MAGICS = ("%%time", "%%capture")
# Cell markers of the usual exports: nbconvert's `# In[3]:`, and `# %%` (Jupytext, VS Code, Spyder).
SCRIPT_MARKER = re.compile(r"^# (In\[[ 0-9]*\]:|%%)")
SHELL_ASSIGNMENT = re.compile(r"^[\w.]+(\s*,\s*[\w.]+)*\s*=\s*[!%]")
FILE_NAME = re.compile(r"^[\w.-]+\.py$")
LINE_BREAK = re.compile(r"\r\n|\r|\n")


def code_lines(text: str) -> list[str]:
    """The lines of code as Python numbers them: broken at \\n, \\r\\n and \\r only.

    `str.splitlines` also breaks at form feeds, \\x1c-\\x1e, \\x85 and U+2028/U+2029,
    which may sit inside a string or a comment: splitting there changes the code and
    shifts every line number after it.

    >>> code_lines('s = "a\\u2028b"\\r\\nK = 3\\n'), 's = "a\\u2028b"'.splitlines()
    (['s = "a\\u2028b"', 'K = 3'], ['s = "a', 'b"'])
    """
    lines = LINE_BREAK.split(text)
    if lines[-1] == "":  # like splitlines: a final line break ends the last line, it starts none
        lines.pop()
    return lines


class NotebookError(ValueError):
    """A notebook file that cannot be read; the message says why, for the student."""


@dataclass(frozen=True)
class Cell:
    """One code cell; `label` names it in messages ("cell 4"), `first_line` is where it
    starts in its file (a `.py` export), `original` its text before IPython syntax was
    undone (same lines), for quoting."""

    label: str
    source: str
    first_line: int = 1
    original: str = ""

    def where(self, line: int) -> str:
        """`cell 4, line 2`, or for a script `file, line 57`."""
        return f"{self.label}, line {line + self.first_line - 1}"

    def quoted_lines(self) -> list[str]:
        return code_lines(self.original or self.source)


@dataclass(frozen=True)
class Prepared:
    """The cells as plain Python, the files `%%writefile` wrote, and what was dropped."""

    cells: tuple[Cell, ...]
    files: dict[str, str]
    notes: tuple[str, ...]


def read_notebook_cells(path: Path) -> list[Cell]:
    """The code cells of a notebook, labelled by their position among all cells.

    >>> [c.label for c in read_notebook_cells(Path("assignment/cnn_assignment.ipynb"))][:1]  # doctest: +SKIP
    ['cell 3']
    """
    name = file_name(path.name)
    try:
        text = path.read_text(encoding="utf-8-sig")
        doc = json.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise NotebookError(f"{name} cannot be read: {exc}") from exc
    except RecursionError as exc:  # JSON nested deeper than the parser's stack
        raise NotebookError(f"{name} is not a Jupyter notebook: its JSON is nested too deeply") from exc
    except ValueError as exc:
        raise NotebookError(f"{name} is not a Jupyter notebook: it is not valid JSON ({exc}); "
                            "save it again from Jupyter or Colab as .ipynb") from exc  # fmt: skip
    count = len(doc["cells"]) if isinstance(doc, dict) and isinstance(doc.get("cells"), list) else 0
    if count > MAX_CELLS:  # before nbformat, whose validation takes seconds per 100,000 cells
        raise BoundExceeded(f"{name} has {count} cells, more than the {MAX_CELLS} the grader reads")
    import nbformat  # here: `check` stages before it starts the sandbox, and nbformat takes a while to import

    try:
        notebook = nbformat.reads(text, as_version=4, capture_validation_error={})
        cells = list(notebook.cells)
    except Exception as exc:  # nbformat raises many kinds for JSON that is not a notebook
        why = f"{type(exc).__name__}: {str(exc)[:300]}"  # a validation error can quote megabytes of the notebook
        raise NotebookError(f"{name} is JSON but not a Jupyter notebook ({why})") from exc
    return [
        Cell(f"cell {number}", _text(cell.get("source", "")))
        for number, cell in enumerate(cells, start=1)
        if isinstance(cell, dict) and cell.get("cell_type") == "code"
    ]


def split_script(text: str, label: str = "file") -> list[Cell]:
    """A `.py` file as cells: split at export cell markers, else one cell.

    >>> [c.first_line for c in split_script("# %%\\nx = 1\\n# %%\\ny = 2\\n")]
    [1, 3]
    """
    lines = code_lines(text)
    starts = [i for i, line in enumerate(lines) if SCRIPT_MARKER.match(line)]
    if not starts or starts[0] != 0:
        starts = [0, *starts]
    bounds = zip(starts, [*starts[1:], len(lines)])
    return [Cell(label, "\n".join(lines[a:b]), first_line=a + 1) for a, b in bounds]


def prepare_cells(cells: list[Cell]) -> Prepared:
    """Apply the cell magics and neutralise the line magics of every cell."""
    kept: list[Cell] = []
    files: dict[str, str] = {}
    notes: list[str] = []
    for cell in cells:
        lines = code_lines(cell.source)
        at = next((i for i, line in enumerate(lines) if line.strip()), 0)
        first = lines[at].strip() if lines else ""
        magic = first.split()[0] if first.startswith("%%") else ""
        if not magic:
            kept.append(Cell(cell.label, neutralise(cell.source), cell.first_line, cell.source))
        elif magic in PYTHON_CELL_MAGICS:
            # The magic line becomes a blank line, so line numbers stay right.
            body = "\n".join([*lines[:at], "", *lines[at + 1 :]])
            kept.append(Cell(cell.label, neutralise(body), cell.first_line, cell.source))
        elif magic == "%%writefile":
            notes.append(_write_file(cell, first, "\n".join(lines[at + 1 :]), files))
        else:
            notes.append(f"{cell.label}: dropped (cell magic {magic})")
    return Prepared(tuple(kept), files, tuple(notes))


def neutralise(text: str) -> str:
    """Line magics, shell escapes and help lookups become `pass`, indentation kept.

    >>> neutralise("!pip install einops\\nimport torch\\n  %time f()")
    'pass\\nimport torch\\n  pass'
    """
    out = []
    for line in code_lines(text):
        stripped = line.lstrip()
        ipython = stripped.startswith(("%", "!", "?")) or SHELL_ASSIGNMENT.match(stripped) or (
            stripped.endswith("?") and not stripped.startswith("#") and stripped[:-1].replace(".", "").isidentifier()
        )
        out.append(line[: len(line) - len(stripped)] + "pass" if ipython else line)
    return "\n".join(out)


def _write_file(cell: Cell, first: str, body: str, files: dict[str, str]) -> str:
    args = first.split()[1:]
    append = "-a" in args or "--append" in args
    names = [a for a in args if not a.startswith("-")]
    if len(names) != 1 or not FILE_NAME.match(names[0]):
        return f"{cell.label}: dropped `{first.strip()}` (only a plain NAME.py next to the notebook is written)"
    name = names[0]
    text = body if body.endswith("\n") or not body else body + "\n"
    files[name] = files.get(name, "") + text if append else text
    return f"{cell.label}: wrote {name} (%%writefile), as the notebook would have"


def _text(source: object) -> str:
    """A cell's source as text that can be written: JSON escapes can spell lone surrogates."""
    # nbformat joins list sources; a hand-edited notebook may still hold something else.
    if isinstance(source, list):
        return clean("".join(str(part) for part in source))
    return clean(source) if isinstance(source, str) else ""
