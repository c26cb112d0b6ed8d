"""Reading notebooks and exported scripts as cells, and undoing IPython syntax."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from grader.notebook import Cell, NotebookError, neutralise, prepare_cells, read_notebook_cells, split_script


def write(tmp_path: Path, cells: list, name: str = "nb.ipynb") -> Path:
    path = tmp_path / name
    nbformat.write(v4.new_notebook(cells=cells), str(path))
    return path


def test_code_cells_are_labelled_by_their_position_among_all_cells(tmp_path: Path) -> None:
    path = write(tmp_path, [v4.new_markdown_cell("# Title"), v4.new_code_cell("x = 1"), v4.new_raw_cell("raw"),
                            v4.new_code_cell("y = 2")])  # fmt: skip
    cells = read_notebook_cells(path)
    assert [(c.label, c.source) for c in cells] == [("cell 2", "x = 1"), ("cell 4", "y = 2")]


def test_sources_stored_as_lists_of_lines_are_joined(tmp_path: Path) -> None:
    doc = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
           "cells": [{"cell_type": "code", "id": "a", "metadata": {}, "outputs": [], "execution_count": None,
                      "source": ["import torch\n", "K = 3\n"]}]}  # fmt: skip
    path = tmp_path / "lines.ipynb"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert read_notebook_cells(path)[0].source == "import torch\nK = 3\n"


def test_a_file_that_is_not_json_gets_a_message_saying_so(tmp_path: Path) -> None:
    path = tmp_path / "carol.ipynb"
    path.write_text("print('I renamed my .py file')\n", encoding="utf-8")
    with pytest.raises(NotebookError, match=r"carol.ipynb is not a Jupyter notebook: it is not valid JSON .*line 1"):
        read_notebook_cells(path)


def test_json_that_is_not_a_notebook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "data.ipynb"
    path.write_text(json.dumps([1, 2, 3]), encoding="utf-8")
    with pytest.raises(NotebookError, match="JSON but not a Jupyter notebook"):
        read_notebook_cells(path)


def test_an_old_format_notebook_is_converted(tmp_path: Path) -> None:
    doc = {"nbformat": 3, "nbformat_minor": 0, "metadata": {},
           "worksheets": [{"cells": [{"cell_type": "code", "input": "K = 3", "language": "python",
                                      "outputs": [], "metadata": {}}], "metadata": {}}]}  # fmt: skip
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert [c.source for c in read_notebook_cells(path)] == ["K = 3"]


def test_scripts_split_at_nbconvert_and_percent_markers() -> None:
    nbconvert = "#!/usr/bin/env python\n# coding: utf-8\n\n# In[1]:\n\n\nimport torch\n\n\n# In[ ]:\n\n\nK = 3\n"
    cells = split_script(nbconvert)
    assert [c.first_line for c in cells] == [1, 4, 10]
    assert "import torch" in cells[1].source and cells[2].where(4) == "file, line 13"
    assert len(split_script("import torch\nK = 3\n")) == 1
    assert [c.source for c in split_script("# %%\nA = 1\n# %% [markdown]\n# text\n")] == ["# %%\nA = 1", "# %% [markdown]\n# text"]


def test_line_magics_shell_escapes_and_help_become_pass() -> None:
    text = "%matplotlib inline\n!pip install einops\nfiles = !ls\nmodel?\ndef f():\n    %time g()\n    return 1"
    assert neutralise(text).splitlines() == ["pass", "pass", "pass", "pass", "def f():", "    pass", "    return 1"]
    assert neutralise("x = a != b\ny = 'what?'\n# why?") == "x = a != b\ny = 'what?'\n# why?"


def test_writefile_writes_and_appends_and_refuses_paths() -> None:
    cells = [
        Cell("cell 1", "%%writefile cnn.py\nimport torch\n"),
        Cell("cell 2", "%%writefile -a cnn.py\nK = 3"),
        Cell("cell 3", "%%writefile ../escape.py\nimport os"),
        Cell("cell 4", "from cnn import K"),
    ]
    prepared = prepare_cells(cells)
    assert prepared.files == {"cnn.py": "import torch\nK = 3\n"}
    assert [c.label for c in prepared.cells] == ["cell 4"]
    assert prepared.notes[0] == "cell 1: wrote cnn.py (%%writefile), as the notebook would have"
    assert "cell 3: dropped `%%writefile ../escape.py`" in prepared.notes[2]


def test_python_cell_magics_keep_their_body_and_line_numbers_others_drop_the_cell() -> None:
    prepared = prepare_cells([Cell("cell 1", "\n%%time\nK = 3\nrun()"), Cell("cell 2", "%%bash\nls -la")])
    (timed,) = prepared.cells
    assert timed.source.splitlines() == ["", "", "K = 3", "run()"]
    assert timed.quoted_lines()[1] == "%%time"
    assert prepared.notes == ("cell 2: dropped (cell magic %%bash)",)
