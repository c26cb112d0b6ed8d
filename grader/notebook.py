"""Keep the definitions of a notebook (or a Colab `.py` export), drop the rest.

A notebook's cells train models, draw plots and run shell magics; grading
needs only what they define. From every code cell we keep imports, class
and function definitions and simple constants (`FACTOR = 3`), in order, so
a later definition replaces an earlier one as it would in the notebook.
Everything dropped is listed in the feedback.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import nbformat

KEPT_NODES = (ast.Import, ast.ImportFrom, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
MAX_NOTES = 25


class NotebookError(ValueError):
    """A notebook file that nbformat cannot read."""


@dataclass(frozen=True)
class Extracted:
    """The module source built from the kept statements, and what was dropped."""

    source: str
    notes: tuple[str, ...]


def read_notebook_cells(path: Path) -> list[str]:
    """The source of every code cell, in order."""
    try:
        notebook = nbformat.read(str(path), as_version=4)
    except Exception as exc:  # nbformat raises JSON, validation and OS errors alike
        raise NotebookError(f"{path.name} is not a readable Jupyter notebook: {exc}") from exc
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


def extract_definitions(cells: list[str], is_notebook: bool = True) -> Extracted:
    """Build one importable module from the cells' definitions.

    >>> extract_definitions(["import torch\\nx = CNN()\\nK = 3"]).notes
    ('cell 1, line 2: dropped `x = CNN()`',)
    """
    future: list[str] = []
    blocks: list[str] = []
    notes: list[str] = []
    for number, text in enumerate(cells, start=1):
        where = f"cell {number}" if is_notebook else "file"
        if text.lstrip().startswith("%%"):
            notes.append(f"{where}: dropped (cell magic {text.split()[0]})")
            continue
        text = _without_magics(text)
        try:
            tree = ast.parse(text)
        except SyntaxError as exc:
            notes.append(f"{where} has a syntax error at line {exc.lineno}: {exc.msg}; its code was skipped")
            continue
        lines = text.splitlines()
        for node in tree.body:
            start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
            segment = "\n".join(lines[start - 1 : node.end_lineno])
            if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                future.append(segment)
            elif _kept(node):
                blocks.append(f"# {where}, line {start}\n{segment}")
            else:
                first = lines[start - 1].strip()
                notes.append(f"{where}, line {start}: dropped `{first[:60]}{'...' if len(first) > 60 else ''}`")
    if len(notes) > MAX_NOTES:
        notes = notes[:MAX_NOTES] + [f"... and {len(notes) - MAX_NOTES} more dropped statements"]
    header = "# Built by cnn-grader from the submission's definitions.\n"
    return Extracted("\n".join([*future, header, *blocks]) + "\n", tuple(notes))


def _kept(node: ast.stmt) -> bool:
    if isinstance(node, KEPT_NODES):
        return True
    if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
        try:
            ast.literal_eval(node.value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return False
        return True
    if isinstance(node, ast.Try):
        # `try: import x / except ImportError: ...` guards are kept when they only import.
        return all(isinstance(n, (ast.Import, ast.ImportFrom)) for n in node.body)
    return False


def _without_magics(text: str) -> str:
    """Line magics and shell escapes (`%matplotlib`, `!pip`) become `pass`, indentation kept."""
    out = []
    for line in text.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            out.append(line[: len(line) - len(stripped)] + "pass")
        else:
            out.append(line)
    return "\n".join(out)
