"""`cnn-grader release`: the committed assignment/ is what release makes of reference/, the release
refuses what would leak a solution or lose edits, the stub notebook earns nothing, and the
solutions pasted into it earn full marks."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

import grader
from grader.generated_files import WouldOverwrite
from grader.grading import Session, grade
from grader.install import InstallSource, install_source
from grader.release import (NOTEBOOK, ReleaseError, notebook_for, release_files, solution_files, strip_solutions,
                            write_release)  # fmt: skip
from grader.results import Status
from grader.student_notebook import NotebookTextError, build_notebook
from grader.written import METADATA_KEY, PLACEHOLDER, QUESTIONS
from tests.conftest import ASSIGNMENT, REFERENCE

NOTEBOOK_TEXT = REFERENCE / "notebook.md"
WHEEL = f"cnn_grader-{grader.__version__}-py3-none-any.whl"
GIT = InstallSource("cnn-grader @ git+https://git.example.edu/course/cnn-grader@v1")  # no wheel to build


def release(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "grader", "release", *args], capture_output=True, text=True,
                          timeout=300)  # fmt: skip


def released_names(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_committed_assignment_matches_a_fresh_release(tmp_path: Path) -> None:
    result = release("--reference", str(REFERENCE), "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    released = released_names(tmp_path)
    assert released == [".github/workflows/cnn-grader.yml", "cnn.py", "cnn_assignment.ipynb", WHEEL,
                        "pixel_shuffle.py", "srnet.py"]  # fmt: skip
    for name in released:
        if name != WHEEL:  # the wheel changes with every commit to grader/: it is built, not committed
            assert (tmp_path / name).read_bytes() == (ASSIGNMENT / name).read_bytes(), (
                f"assignment/{name} is stale: run `cnn-grader release --force` and commit the result"
            )


def test_the_notebook_has_the_text_the_stubs_the_answer_cells_and_a_self_check() -> None:
    notebook = nbformat.read(str(ASSIGNMENT / NOTEBOOK), as_version=4)
    nbformat.validate(notebook)
    markdown = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    code = [c.source for c in notebook.cells if c.cell_type == "code"]
    for topic in ("receptive field", "cross-correlation", "padding = (k - 1) / 2", "Max pooling", "t-SNE",
                  "SRCNN", "ESPCN", "YCbCr", "PixelShuffle", "einops", "PSNR", "bicubic", "Lanczos"):  # fmt: skip
        assert topic in markdown, topic
    assert "What do you see as the map evolves during training?" in markdown
    assert "what else could the embedding" in markdown
    for name in ("cnn.py", "srnet.py", "pixel_shuffle.py"):
        assert (ASSIGNMENT / name).read_text(encoding="utf-8").strip("\n") in code
    assert f'%pip install -q "./{WHEEL}"' in code[0] and f'!= "{grader.__version__}"' in code[0]
    assert code[-1].endswith("!{sys.executable} -m grader check cnn_assignment.ipynb")
    assert all("BEGIN SOLUTION" not in c and "self.conv1 = nn.Sequential" not in c for c in code)
    answers = [c for c in notebook.cells if METADATA_KEY in c.metadata]
    assert [c.metadata[METADATA_KEY]["answer"] for c in answers] == [q.id for q in QUESTIONS]
    assert all(c.cell_type == "markdown" and c.source.endswith(PLACEHOLDER) for c in answers)


def test_the_requirement_goes_into_the_install_cell_and_the_workflow(tmp_path: Path) -> None:
    url = "git+https://git.example.edu/course/cnn-grader@v0.1.0"
    result = release("--reference", str(REFERENCE), "--out", str(tmp_path), "--requirement", url)
    assert result.returncode == 0, result.stderr
    assert WHEEL not in released_names(tmp_path)
    install_cell = nbformat.read(str(tmp_path / NOTEBOOK), as_version=4).cells[2].source
    assert f'%pip install -q "cnn-grader @ {url}"' in install_cell
    workflow = (tmp_path / ".github/workflows/cnn-grader.yml").read_text(encoding="utf-8")
    assert f"pip install --extra-index-url https://download.pytorch.org/whl/cpu 'cnn-grader @ {url}'" in workflow
    refused = release("--reference", str(REFERENCE), "--out", str(tmp_path / "x"), "--requirement", "torch")
    assert refused.returncode == 2 and "installs torch, not cnn-grader" in refused.stderr


def test_a_reference_file_without_solution_markers_is_refused(tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    shutil.copytree(REFERENCE, reference)
    (reference / "srnet.py").write_text(solution_files(REFERENCE)["srnet.py"], encoding="utf-8")
    result = release("--reference", str(reference), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "srnet.py has no `# BEGIN SOLUTION` ... `# END SOLUTION` block" in result.stderr
    assert not (tmp_path / "out").exists()


def test_release_never_overwrites_other_content_without_force(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert [w.state for w in write_release(REFERENCE, out, GIT.requirement)] == ["wrote"] * 5
    assert {w.state for w in write_release(REFERENCE, out, GIT.requirement)} == {"unchanged"}  # a no-op
    edited = (out / "cnn.py").read_text(encoding="utf-8") + "# my notes\n"
    (out / "cnn.py").write_text(edited, encoding="utf-8")
    (out / NOTEBOOK).write_text("{}", encoding="utf-8")
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    with pytest.raises(WouldOverwrite, match=r"cnn\.py, .*cnn_assignment\.ipynb already exist with other content"):
        write_release(REFERENCE, out, GIT.requirement)
    assert (out / "cnn.py").read_text(encoding="utf-8") == edited
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == before  # nothing written
    result = release("--reference", str(REFERENCE), "--out", str(out), "--requirement", GIT.requirement)
    assert result.returncode == 2 and "use --force" in result.stderr
    forced = release("--reference", str(REFERENCE), "--out", str(out), "--requirement", GIT.requirement, "--force")
    assert forced.returncode == 0, forced.stderr
    assert forced.stdout.splitlines()[0] == f"replaced {out / 'cnn.py'}"
    assert "unchanged" in forced.stdout


def test_the_wheel_holds_the_grader_and_nothing_of_the_reference(tmp_path: Path) -> None:
    files = {f.name: f.data for f in release_files(REFERENCE, install_source(None))}
    with zipfile.ZipFile(io.BytesIO(files[WHEEL])) as wheel:
        names = wheel.namelist()
        assert all(n.startswith(("grader/", f"cnn_grader-{grader.__version__}.dist-info/")) for n in names)
        assert "grader/rubric.toml" in names and "grader/release.py" in names
        assert not any("BEGIN SOLUTION" in wheel.read(n).decode("utf-8", "replace") for n in names
                       if n.startswith("grader/") and n != "grader/release.py")  # fmt: skip
    again = {f.name: f.data for f in release_files(REFERENCE, install_source(None))}
    assert again[WHEEL] == files[WHEEL]  # the same source gives the same bytes


def test_text_errors_are_release_errors(tmp_path: Path) -> None:
    with pytest.raises(NotebookTextError, match="nothing.py"):
        build_notebook("<!-- stub: nothing.py -->", {}, "0")
    with pytest.raises(NotebookTextError, match="no written question 'cnn.nothing'"):
        build_notebook("<!-- answer: cnn.nothing -->", {}, "0")
    text = tmp_path / "notebook.md"
    text.write_text("# T\n```python\nx = 1\n", encoding="utf-8")
    with pytest.raises(ReleaseError, match="never closed"):
        notebook_for(text, {}, "cnn-grader")
    text.write_text("# T\n<!-- answer: cnn.tsne_evolution -->\n", encoding="utf-8")
    with pytest.raises(ReleaseError, match="no answer cell for cnn.embedding_uses"):
        notebook_for(text, {}, "cnn-grader")
    with pytest.raises(ReleaseError, match="never closed"):
        strip_solutions("    # BEGIN SOLUTION\n    x = 1\n", "a.py")


def test_the_released_stubs_keep_the_docstrings_and_drop_the_answers() -> None:
    stubs = {f.name: f.text for f in release_files(REFERENCE, GIT) if f.name.endswith(".py")}
    assert stubs["cnn.py"].startswith('"""Part 1: a small CNN for MNIST digits.\n')
    assert stubs["cnn.py"].count('raise NotImplementedError("your code here")') == 2
    assert "rearrange(x," not in stubs["pixel_shuffle.py"]


def test_the_stub_notebook_earns_nothing_and_says_not_implemented(fast_session: Session) -> None:
    report = grade(ASSIGNMENT / NOTEBOOK, session=fast_session)
    assert report.score == 0.0
    errors = {t.name: t.output for t in report.tests if t.max_score > 0 and t.name != "pixel_shuffle.uses_einops"}
    assert all("not implemented yet" in out or "did not run" in out for out in errors.values()), errors
    assert any("dropped `cnn = CNN().to(device)`" in note for note in report.notes)
    assert [(a.question, a.state) for a in report.written_answers] == [(q.id, "unanswered") for q in QUESTIONS]


def test_the_solutions_pasted_into_the_notebook_earn_full_marks(tmp_path: Path, fast_session: Session) -> None:
    path = tmp_path / NOTEBOOK
    path.write_text(notebook_for(NOTEBOOK_TEXT, solution_files(REFERENCE), "cnn-grader"), encoding="utf-8")
    report = grade(path, session=fast_session)
    assert [(t.name, t.output) for t in report.tests if t.status is not Status.PASSED] == []
    assert report.score == report.max_score == 30.0
