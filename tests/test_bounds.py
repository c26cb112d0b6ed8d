"""Bounds on staging in the parent: size, nesting and time, each refused with a clear message."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from grader import definitions
from grader.bounds import MAX_CELLS, MAX_CODE_BYTES, STAGING_TIME_S, BoundExceeded, Budget, parse_python
from grader.definitions import extract_definitions, module_source, module_with_origins
from grader.notebook import Cell, code_lines, neutralise
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


def test_a_long_chain_is_read_without_recursion_and_dropped_as_an_action() -> None:
    extracted = extract_definitions([Cell("cell 1", "K = torch" + ".nn" * 900 + ".f()\nJ = 2")])
    assert extracted.defined >= {"J"} and "K" not in extracted.defined
    assert any("dropped `K = torch.nn.nn" in note for note in extracted.notes)


def test_a_statement_too_deep_for_the_helpers_is_dropped_with_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    def too_deep(node: object) -> bool:
        raise RecursionError

    monkeypatch.setattr(definitions, "_definition_kind", too_deep)
    extracted = extract_definitions([Cell("cell 1", "K = 3")])
    assert "K" not in extracted.defined
    assert extracted.notes == ("cell 1, line 1: dropped `K = 3`: it is nested too deeply for the grader to read",)


def test_each_statement_of_a_line_is_judged_alone() -> None:
    """`K = 3; train()`: K is kept, the training call after it is not (it used to run with K)."""
    extracted = extract_definitions([Cell("cell 1", 'K = 3; print("TRAINING"); L = "é"; M = (1,\n 2); f(M)\n'
                                                    "class A:\n    k = K + L")])  # fmt: skip
    module = module_source(extracted, ["A"])
    assert "TRAINING" not in module and "f(M)" not in module
    assert [s.text for s in extracted.statements] == ["K = 3", 'L = "é"', "M = (1,\n 2)", "class A:\n    k = K + L"]
    assert 'cell 1, line 1: dropped `print("TRAINING")`' in extracted.notes


@pytest.mark.parametrize("separator", ["\x0c", "\x1c", "\x85", "\u2028", "\u2029"])
def test_only_python_line_breaks_split_code(separator: str) -> None:
    """Characters that str.splitlines breaks at but Python does not (in a string, a comment,
    a form feed between functions) neither change the code nor shift its line numbers."""
    cell = f's = "a{separator}b"  # x{separator}y\n\x0c\ndef f():\n    return s\nprint(f())\n'
    extracted = extract_definitions([Cell("cell 2", neutralise(cell))])
    assert [s.text for s in extracted.statements] == [f's = "a{separator}b"', "def f():\n    return s"]
    assert extracted.notes == ("cell 2, line 5: dropped `print(f())`",)
    text, origins = module_with_origins(extracted, ["f"])
    assert origins[code_lines(text).index("    return s")] == "cell 2, line 4"


def test_one_line_of_many_statements_is_read_in_linear_time() -> None:
    """1 MiB of `aN = 1;` on one line: copying and quoting the whole line for each of its
    100,000 statements took many minutes (and the built module held it 100,000 times); cut
    by columns, seconds."""
    n = 100_000
    cell = "".join(f"a{i} = 1;" for i in range(n)) + f"\ndef f():\n    return a0 + a{n - 1}"
    extracted = extract_definitions([Cell("cell 1", cell)], budget=Budget(seconds=STAGING_TIME_S))
    assert len(extracted.statements) == n + 1
    assert module_source(extracted, ["f"]).count("= 1") == 2


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


def test_a_notebook_with_too_many_cells_is_refused_before_nbformat_reads_it(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """600,000 empty markdown cells (about 60 MiB, under the size limit) took nbformat's
    validation half a minute; the cells are counted first."""
    import nbformat

    def not_called(*args: object, **kwargs: object) -> None:
        raise AssertionError("nbformat read a notebook past the cell bound")

    monkeypatch.setattr(nbformat, "reads", not_called)
    notebook = _notebook(tmp_path / "wide.ipynb", ["K = 1"])
    doc = json.loads(notebook.read_text(encoding="utf-8"))
    doc["cells"] += [{"cell_type": "markdown", "metadata": {}, "source": ""}] * (MAX_CELLS + 1)
    notebook.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(SubmissionError, match=rf"wide.ipynb has {MAX_CELLS + 2} cells, more than the {MAX_CELLS}"):
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
