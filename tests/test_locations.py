"""Tracebacks and syntax errors point at the notebook's cells, not at the module built from them."""

from __future__ import annotations

from pathlib import Path

from nbformat import v4

from grader.grading import Session, grade
from grader.locations import in_notebook
from grader.submission import stage
from tests.conftest import part_session
from tests.notebooks import solution, write_notebook

BROKEN_FORWARD = solution("cnn.py").replace(
    "        x = self.conv2(self.conv1(x))", "        raise RuntimeError('my own bug')"
)


def notebook(tmp_path: Path) -> Path:
    cells = [v4.new_markdown_cell("# CNN"), v4.new_code_cell("import torch\nprint('hello')"),
             v4.new_code_cell(BROKEN_FORWARD)]  # fmt: skip
    return write_notebook(v4.new_notebook(cells=cells), tmp_path / "nb.ipynb")


def test_every_line_of_a_built_module_knows_its_cell(tmp_path: Path) -> None:
    staged = stage(notebook(tmp_path), tmp_path / "s")
    module = staged.sources["cnn"].path
    lines = module.read_text(encoding="utf-8").splitlines()
    origins = staged.origins[module.name]
    assert len(origins) == len(lines)
    raising = lines.index("        raise RuntimeError('my own bug')") + 1
    cell_line = BROKEN_FORWARD.splitlines().index("        raise RuntimeError('my own bug')") + 1
    assert origins[raising - 1] == f"cell 3, line {cell_line}"
    assert in_notebook(f"  at {module.name} line {raising} in forward", staged.origins) == (
        f"  at cell 3, line {cell_line} in forward")  # fmt: skip


def test_a_graded_traceback_names_the_cell(tmp_path: Path, fast_session: Session) -> None:
    report = grade(notebook(tmp_path), session=part_session(fast_session, "cnn"))
    shapes = next(t for t in report.tests if t.name == "cnn.output_shape")
    assert "my own bug" in shapes.output and "cell 3, line" in shapes.output, shapes.output
    assert "notebook_cnn.py" not in shapes.output
