"""Bounds on staging in the parent: size, nesting and time, each refused with a clear message."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from grader.bounds import MAX_CODE_BYTES, BoundExceeded, Budget, parse_python
from grader.definitions import extract_definitions, module_source
from grader.notebook import Cell
from grader.source_scan import scan_pixel_shuffle
from grader.submission import SubmissionError, stage
from tests.conftest import REFERENCE


@pytest.mark.parametrize(
    "code, why",
    [("x = " + "-" * 100_000 + "1", "nested too deeply"), ("a" + ".b" * 100_000, "nested too deeply"),
     ("x = 1\0", "null bytes"), ("y = " + "(" * 250 + "1" + ")" * 250, "parenthes")],
)  # fmt: skip
def test_code_that_breaks_the_parser_is_a_syntax_error(code: str, why: str) -> None:
    with pytest.raises(SyntaxError, match=why):
        parse_python(code)
    assert why in (scan_pixel_shuffle(code, "p.py").syntax_error or "")
    extracted = extract_definitions([Cell("cell 1", code), Cell("cell 2", "K = 3")])
    assert extracted.syntax_errors and why in extracted.syntax_errors[0] and "K" in extracted.defined


def test_a_statement_too_deep_for_the_helpers_is_dropped_with_a_note() -> None:
    extracted = extract_definitions([Cell("cell 1", "K = torch" + ".nn" * 900 + ".f()\nJ = 2")])
    assert extracted.defined >= {"J"} and "K" not in extracted.defined
    assert any("nested too deeply for the grader to read" in note for note in extracted.notes)


def test_the_budget_stops_a_slow_reading() -> None:
    with pytest.raises(BoundExceeded, match="took more than 0 s"):
        extract_definitions([Cell("cell 1", "K = 3")], budget=Budget(seconds=0.0, started=time.monotonic() - 1))


def _notebook(path: Path, cells: list[str]) -> Path:
    doc = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "source": c} for c in cells],
           "metadata": {}, "nbformat": 4, "nbformat_minor": 4}  # fmt: skip
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_a_notebook_with_too_much_code_is_refused_with_the_sizes(tmp_path: Path) -> None:
    notebook = _notebook(tmp_path / "big.ipynb", ["K = 1\n" * (MAX_CODE_BYTES // 6 + 10)])
    with pytest.raises(SubmissionError, match=r"big.ipynb holds 2.0 MiB of code, more than the 2 MiB"):
        stage(notebook, tmp_path / "staged")


def test_a_folder_part_with_too_much_code_costs_that_part_only(tmp_path: Path) -> None:
    folder = tmp_path / "sub"
    folder.mkdir()
    for name in ("cnn.py", "srnet.py", "pixel_shuffle.py"):
        (folder / name).write_text((REFERENCE / name).read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "srnet.py").write_text("# x\n" * (MAX_CODE_BYTES // 4 + 1), encoding="utf-8")
    staged = stage(folder, tmp_path / "staged")
    assert staged.sources["srnet"] is None and "more than the 2 MiB" in staged.problems["srnet"]
    assert staged.sources["cnn"] is not None and staged.sources["pixel_shuffle"] is not None


def test_reading_is_linear_a_cell_just_under_the_limit_is_staged_within_the_budget(tmp_path: Path) -> None:
    """40,000 chained definitions (1.6 MiB) in one cell: the quadratic reading took minutes, the
    linear one seconds; the budget would refuse it otherwise."""
    n = 40_000
    cell = "".join(f"def f{i}(x):\n    return f{i - 1}(x) + 1\n" for i in range(1, n))
    cells = [cell, (REFERENCE / "pixel_shuffle.py").read_text(encoding="utf-8")]
    staged = stage(_notebook(tmp_path / "long.ipynb", cells), tmp_path / "staged")
    assert staged.sources["pixel_shuffle"] is not None
    extracted = extract_definitions([Cell("cell 1", cell)])
    assert module_source(extracted, [f"f{n - 1}"]).count("def f") == n - 1
