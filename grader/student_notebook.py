"""The student notebook, built from the exercise text and the part files.

The text is a Markdown file (`reference/notebook.md`) that reads well on its
own: prose becomes markdown cells (a new cell at each heading), fenced
```python blocks become code cells, a line `<!-- stub: cnn.py -->` becomes a
code cell holding that file, and a line `<!-- answer: cnn.tsne_evolution -->`
becomes the answer cell of that written question (`grader.written`). In code
blocks, `{{grader_version}}` becomes the grader's version and
`{{requirement}}` what pip installs (`grader.install`), so the notebook
installs the grader that released it.
"""

from __future__ import annotations

import re
from typing import Mapping

import nbformat
from nbformat import v4

from grader.written import MARKER as ANSWER, answer_cell

STUB = re.compile(r"^<!-- stub: ([\w.-]+) -->$")
FENCE = "```"
VERSION = "{{grader_version}}"
REQUIREMENT = "{{requirement}}"


class NotebookTextError(ValueError):
    """The exercise text names a file it was not given, an unknown question, or leaves a code block open."""


def build_notebook(text: str, files: Mapping[str, str], version: str,
                   requirement: str = "cnn-grader") -> nbformat.NotebookNode:  # fmt: skip
    """The notebook for `text`, with `files` (name -> code) where the stubs go.

    >>> nb = build_notebook("# Title\\n<!-- stub: a.py -->\\n", {"a.py": "x = 1\\n"}, "0.1.0")
    >>> [(c.cell_type, c.source) for c in nb.cells]
    [('markdown', '# Title'), ('code', 'x = 1')]
    """
    cells = []
    answered: set[str] = set()
    for kind, source in _blocks(text, files):
        source = source.strip("\n")
        if kind == "code":
            cells.append(v4.new_code_cell(source.replace(VERSION, version).replace(REQUIREMENT, requirement)))
        elif kind == "answer":
            if source in answered:
                raise NotebookTextError(f"the text has two answer cells for {source}")
            answered.add(source)
            try:
                answer, metadata = answer_cell(source)
            except KeyError as exc:
                raise NotebookTextError(exc.args[0]) from exc
            cells.append(v4.new_markdown_cell(answer, metadata=metadata))
        elif source.strip():
            cells.append(v4.new_markdown_cell(source))
    for index, cell in enumerate(cells, start=1):
        cell["id"] = f"cell-{index:02d}"  # fixed ids, so that a rebuild changes nothing
    notebook = v4.new_notebook(cells=cells)
    notebook.metadata.update(
        {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
            "colab": {"provenance": []},
        }
    )
    nbformat.validate(notebook)
    return notebook


def notebook_text(notebook: nbformat.NotebookNode) -> str:
    """The `.ipynb` file's text, always the same for the same notebook."""
    return nbformat.writes(notebook) + "\n"


def _blocks(text: str, files: Mapping[str, str]) -> list[tuple[str, str]]:
    """("markdown" | "code" | "answer", source or question id) in order: fences and stub lines are
    code, answer lines are answer cells, headings split prose."""
    blocks: list[tuple[str, str]] = []
    prose: list[str] = []
    code: list[str] | None = None
    for line in text.splitlines():
        if code is not None:
            if line.strip() == FENCE:
                blocks.append(("code", "\n".join(code)))
                code = None
            else:
                code.append(line)
            continue
        stub, answer = STUB.match(line.strip()), ANSWER.match(line.strip())
        if line.startswith(FENCE) or stub or answer or line.startswith("#"):
            blocks.append(("markdown", "\n".join(prose)))
            prose = []
        if line.startswith(FENCE):
            code = []
        elif stub:
            if stub.group(1) not in files:
                raise NotebookTextError(f"the text asks for {stub.group(1)}, which is not a released file")
            blocks.append(("code", files[stub.group(1)]))
        elif answer:
            blocks.append(("answer", answer.group(1)))
        else:
            prose.append(line)
    if code is not None:
        raise NotebookTextError("a ``` code block is never closed")
    blocks.append(("markdown", "\n".join(prose)))
    return blocks
