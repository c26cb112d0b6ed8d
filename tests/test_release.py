"""`cnn-grader release`: the committed assignment/ is what release makes of reference/,
the stub notebook earns nothing, and the solutions pasted into it earn full marks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from grader.grading import Session, grade
from grader.release import NOTEBOOK, ReleaseError, notebook_for, release_files, solution_files, strip_solutions
from grader.results import Status
from grader.student_notebook import NotebookTextError, build_notebook
from tests.conftest import ASSIGNMENT, REFERENCE

NOTEBOOK_TEXT = REFERENCE / "notebook.md"


def test_committed_assignment_matches_a_fresh_release(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "grader", "release", "--reference", str(REFERENCE),
                             "--out", str(tmp_path)], capture_output=True, text=True, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr
    released = sorted(p.name for p in tmp_path.iterdir())
    assert released == ["cnn.py", "cnn_assignment.ipynb", "pixel_shuffle.py", "srnet.py"]
    for name in released:
        assert (tmp_path / name).read_text(encoding="utf-8") == (ASSIGNMENT / name).read_text(encoding="utf-8"), (
            f"assignment/{name} is stale: run `cnn-grader release` and commit the result"
        )


def test_the_notebook_has_the_text_the_stubs_and_a_self_check() -> None:
    notebook = nbformat.read(str(ASSIGNMENT / NOTEBOOK), as_version=4)
    nbformat.validate(notebook)
    markdown = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    code = [c.source for c in notebook.cells if c.cell_type == "code"]
    for topic in ("receptive field", "cross-correlation", "padding = (k - 1) / 2", "Max pooling", "t-SNE",
                  "SRCNN", "ESPCN", "YCbCr", "PixelShuffle", "einops", "PSNR"):  # fmt: skip
        assert topic in markdown, topic
    assert "What do you see as the map evolves during training?" in markdown
    assert "what else could the embedding head be used" in markdown
    for name in ("cnn.py", "srnet.py", "pixel_shuffle.py"):
        assert (ASSIGNMENT / name).read_text(encoding="utf-8").strip("\n") in code
    assert code[-1] == "!cnn-grader check cnn_assignment.ipynb"
    assert all("BEGIN SOLUTION" not in c and "self.conv1 = nn.Sequential" not in c for c in code)


def test_text_errors_are_release_errors(tmp_path: Path) -> None:
    with pytest.raises(NotebookTextError, match="nothing.py"):
        build_notebook("<!-- stub: nothing.py -->", {}, "0")
    text = tmp_path / "notebook.md"
    text.write_text("# T\n```python\nx = 1\n", encoding="utf-8")
    with pytest.raises(ReleaseError, match="never closed"):
        notebook_for(text, {})
    with pytest.raises(ReleaseError, match="never closed"):
        strip_solutions("    # BEGIN SOLUTION\n    x = 1\n", "a.py")


def test_the_released_stubs_keep_the_docstrings_and_drop_the_answers() -> None:
    stubs = {r.name: r.text for r in release_files(REFERENCE)}
    assert stubs["cnn.py"].startswith('"""Part 1: a small CNN for MNIST digits.\n')
    assert stubs["cnn.py"].count('raise NotImplementedError("your code here")') == 2
    assert "rearrange(x," not in stubs["pixel_shuffle.py"]


def test_the_stub_notebook_earns_nothing_and_says_not_implemented(fast_session: Session) -> None:
    report = grade(ASSIGNMENT / NOTEBOOK, session=fast_session)
    assert report.score == 0.0
    errors = {t.name: t.output for t in report.tests if t.max_score > 0 and t.name != "pixel_shuffle.uses_einops"}
    assert all("not implemented yet" in out or "did not run" in out for out in errors.values()), errors
    assert any("dropped `cnn = CNN().to(device)`" in note for note in report.notes)


def test_the_solutions_pasted_into_the_notebook_earn_full_marks(tmp_path: Path, fast_session: Session) -> None:
    path = tmp_path / NOTEBOOK
    path.write_text(notebook_for(NOTEBOOK_TEXT, solution_files(REFERENCE)), encoding="utf-8")
    report = grade(path, session=fast_session)
    assert [(t.name, t.output) for t in report.tests if t.status is not Status.PASSED] == []
    assert report.score == report.max_score == 30.0
