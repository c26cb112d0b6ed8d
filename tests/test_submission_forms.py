"""Every form a submission comes in, staged: notebooks, Colab exports, zips, folders."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbconvert import ScriptExporter
from nbformat import v4

from grader.grading import Session, grade
from grader.submission import StagedSubmission, SubmissionError, stage
from tests.conftest import FIXTURES, REFERENCE
from tests.notebooks import colab_notebook, solution, write_notebook

CRASHES = FIXTURES / "submissions" / "crashes.ipynb"


def staged(path: Path, tmp_path: Path) -> StagedSubmission:
    return stage(path, tmp_path / "staged")


def module_text(submission: StagedSubmission, part: str) -> str:
    source = submission.sources[part]
    assert source is not None, submission.problems[part]
    return source.path.read_text(encoding="utf-8")


def test_the_committed_crashes_fixture_is_the_realistic_notebook() -> None:
    assert nbformat.read(str(CRASHES), as_version=4) == colab_notebook()


def test_a_realistic_colab_notebook_keeps_each_parts_definitions(tmp_path: Path) -> None:
    submission = staged(CRASHES, tmp_path)
    assert submission.problems == {}
    assert {p: s.module for p, s in submission.sources.items() if s} == {
        "cnn": "notebook_cnn.py", "srnet": "notebook_srnet.py", "pixel_shuffle": "notebook_pixel_shuffle.py",
    }  # fmt: skip
    shuffle = module_text(submission, "pixel_shuffle")
    assert "def pixel_shuffle" in shuffle and "class PixelShuffle" in shuffle
    # The abandoned first attempt with F.pixel_shuffle, the plots and the Colab imports are not there.
    for absent in ("F.pixel_shuffle", "matplotlib", "google", "class CNN", "TSNE"):
        assert absent not in shuffle, absent
    assert "padding=2" in module_text(submission, "cnn")  # the second CNN, not the first try


def test_what_a_notebook_does_not_run_is_listed_in_order(tmp_path: Path) -> None:
    notes = staged(CRASHES, tmp_path).notes
    assert notes[0].startswith("crashes.ipynb: graded from the definitions in its 14 code cell(s)")
    expected = [
        "cell 2, line 1: dropped `!pip install -q einops`",
        "cell 3, line 9: dropped `from google.colab import drive`: google.colab is not installed where the grader runs",
        "cell 6, line 1: `class CNN(nn.Module):  # first try: no pooling, wrong sizes` is replaced by the "
        "definition at cell 7, line 5",
        "cell 8, line 4: dropped `for epoch in range(1):`",
        "cell 9, line 1: dropped `def accuracy(model, loader=test_loader):`: it needs `test_loader` when it runs, "
        "which only dropped code sets",
        "cell 10, line 7: dropped `plt.show()`",
        "cell 17, line 4: dropped `1 / 0`",
        "cell 18: dropped (cell magic %%bash)",
        "cell 19, line 3: dropped `files = !ls`",
    ]
    assert [n for n in notes if n in expected] == expected


def test_a_cell_with_a_syntax_error_costs_only_its_part_and_is_named(tmp_path: Path) -> None:
    broken = solution("srnet.py").replace("def forward(self, y: torch.Tensor) -> torch.Tensor:",
                                          "def forward(self, y: torch.Tensor) -> torch.Tensor")  # fmt: skip
    path = write_notebook(colab_notebook(srnet=broken), tmp_path / "broken.ipynb")
    submission = staged(path, tmp_path)
    assert submission.sources["srnet"] is None
    assert submission.problems["srnet"].startswith("the notebook defines no SuperResolutionNet: cell 12, line 20 "
                                                   "has a syntax error (expected ':')")  # fmt: skip
    assert submission.sources["cnn"] is not None and submission.sources["pixel_shuffle"] is not None
    assert submission.notes[1].startswith("cell 12, line 20 has a syntax error")  # first, before the drops


def test_a_file_that_is_not_a_notebook_is_a_clear_submission_error(tmp_path: Path) -> None:
    path = tmp_path / "solution.ipynb"
    path.write_text("import torch\n", encoding="utf-8")
    with pytest.raises(SubmissionError, match="solution.ipynb is not a Jupyter notebook: it is not valid JSON"):
        staged(path, tmp_path)


def test_writefile_cells_give_the_parts_their_own_files(tmp_path: Path) -> None:
    notebook = v4.new_notebook(cells=[
        v4.new_code_cell("%%writefile cnn.py\n" + solution("cnn.py")),
        v4.new_code_cell("from cnn import CNN\nmodel = CNN()"),
        v4.new_code_cell(solution("srnet.py")),
        v4.new_code_cell(solution("pixel_shuffle.py")),
    ])  # fmt: skip
    submission = staged(write_notebook(notebook, tmp_path / "nb.ipynb"), tmp_path)
    assert submission.sources["cnn"].module == "cnn.py"  # type: ignore[union-attr]
    assert (submission.folder / "cnn.py").read_text(encoding="utf-8") == solution("cnn.py")
    assert submission.sources["srnet"].module == "notebook_srnet.py"  # type: ignore[union-attr]


@pytest.mark.parametrize("style", ["colab", "nbconvert"])
def test_a_script_exported_from_a_notebook_is_graded_like_it(style: str, tmp_path: Path) -> None:
    notebook = colab_notebook()
    if style == "nbconvert":  # `# In[ ]:` markers, get_ipython() calls
        text, _ = ScriptExporter().from_notebook_node(notebook)
    else:  # Colab's "Download .py": markdown as strings, magics left as they were
        text = "\n\n".join(c.source if c.cell_type == "code" else f'"""{c.source}"""' for c in notebook.cells)
    path = tmp_path / "intro_to_cnns.py"
    path.write_text(text, encoding="utf-8")
    submission = staged(path, tmp_path)
    assert submission.problems == {}
    assert "class SuperResolutionNet" in module_text(submission, "srnet")
    assert "F.pixel_shuffle" not in module_text(submission, "pixel_shuffle")
    assert all(n.startswith("file") for n in submission.notes[1:] if "dropped" in n)


@pytest.mark.parametrize("layout", ["top-folder", "flat"])
def test_a_zip_of_the_folder_with_or_without_its_top_folder(layout: str, tmp_path: Path) -> None:
    archive = tmp_path / "alice.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in ("cnn.py", "srnet.py", "pixel_shuffle.py"):
            zf.write(REFERENCE / name, f"alice-hw/{name}" if layout == "top-folder" else name)
        zf.writestr("__MACOSX/._cnn.py", "junk")
    submission = staged(archive, tmp_path)
    assert submission.name == "alice.zip" and submission.problems == {}
    assert {p: s.module for p, s in submission.sources.items() if s} == {
        "cnn": "cnn.py", "srnet": "srnet.py", "pixel_shuffle": "pixel_shuffle.py",
    }  # fmt: skip


def test_a_zip_with_two_top_level_folders_says_why_every_file_is_missing(tmp_path: Path) -> None:
    archive = tmp_path / "alice.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for top in ("first-try", "final"):
            for item in sorted(REFERENCE.glob("*.py")):
                handle.write(item, f"{top}/{item.name}")
    submission = staged(archive, tmp_path)
    assert set(submission.problems) == {"cnn", "srnet", "pixel_shuffle"}
    assert submission.problems["cnn"] == ("cnn.py is missing from the submission (it holds 2 folders, final, "
                                          "first-try: expected one folder, or the files themselves)")  # fmt: skip


def test_a_zip_or_folder_holding_only_a_notebook_is_graded_as_the_notebook(tmp_path: Path) -> None:
    archive = tmp_path / "bob.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(CRASHES, "bob/homework.ipynb")
    assert staged(archive, tmp_path).sources["srnet"].module == "notebook_srnet.py"  # type: ignore[union-attr]
    folder = tmp_path / "carol"
    folder.mkdir()
    shutil.copy(CRASHES, folder / "homework.ipynb")
    (folder / "helpers.py").write_text("SCALE = 3\n", encoding="utf-8")
    srnet = "from helpers import SCALE\n" + solution("srnet.py").replace(
        "def __init__(self, upscale_factor: int)", "def __init__(self, upscale_factor: int = SCALE)")
    write_notebook(colab_notebook(srnet=srnet), folder / "homework.ipynb")
    submission = stage(folder, tmp_path / "folder-staged")
    assert "from helpers import SCALE" in module_text(submission, "srnet")  # a module of the folder
    assert "from helpers import SCALE" not in module_text(submission, "cnn")  # not what CNN needs
    assert (submission.folder / "helpers.py").is_file() and not any("helpers" in n for n in submission.notes)


def template_repository(folder: Path, notebook_parts: dict[str, str], file_parts: dict[str, str]) -> Path:
    """A course's released template (stubs, notebook), with some parts solved in the notebook and
    some in the files, as a student's repository looks half-way."""
    from grader.release import NOTEBOOK, notebook_for, solution_files, stubs, write_release

    write_release(REFERENCE, folder, "cnn-grader @ git+https://git.example.edu/c/cnn-grader@v1")
    solved, stub = solution_files(REFERENCE), stubs(REFERENCE)
    files = {name: solved[name] if name in notebook_parts else stub[name] for name in stub}
    (folder / NOTEBOOK).write_text(notebook_for(REFERENCE / "notebook.md", files, "cnn-grader"), encoding="utf-8")
    for name in file_parts:
        (folder / name).write_text(solved[name], encoding="utf-8")
    return folder


def test_a_template_repository_is_graded_part_by_part_from_where_the_work_is(tmp_path: Path) -> None:
    repo = template_repository(tmp_path / "repo", {"srnet.py": "", "pixel_shuffle.py": ""},
                               {"cnn.py": "", "pixel_shuffle.py": ""})  # fmt: skip
    submission = staged(repo, tmp_path)
    assert {p: s.module for p, s in submission.sources.items() if s} == {
        "cnn": "cnn.py", "srnet": "notebook_srnet.py", "pixel_shuffle": "pixel_shuffle.py",
    }  # fmt: skip
    assert submission.notes[:2] == (
        'srnet: graded from cnn_assignment.ipynb, not from srnet.py, which still holds 2 unfinished '
        '`NotImplementedError("your code here")`',
        "pixel_shuffle: graded from pixel_shuffle.py; cnn_assignment.ipynb defines it too, but a part's file "
        "comes first when both are finished",
    )  # fmt: skip
    assert "class SuperResolutionNet" in module_text(submission, "srnet")
    assert [a.state for a in submission.answers] == ["unanswered"] * 4


def test_a_template_repository_worked_in_the_notebook_earns_full_marks(tmp_path: Path, fast_session: Session) -> None:
    repo = template_repository(tmp_path / "repo", {"cnn.py": "", "srnet.py": "", "pixel_shuffle.py": ""}, {})
    report = grade(repo, session=fast_session)
    assert report.score == report.max_score == 30.0, [(t.name, t.output) for t in report.tests if t.score < t.max_score]
    assert sum("graded from cnn_assignment.ipynb, not from" in note for note in report.notes) == 3


def test_a_template_repository_worked_in_the_files_ignores_the_stub_notebook(tmp_path: Path) -> None:
    repo = template_repository(tmp_path / "repo", {}, {"cnn.py": "", "srnet.py": "", "pixel_shuffle.py": ""})
    submission = staged(repo, tmp_path)
    assert {p: s.module for p, s in submission.sources.items() if s} == {
        "cnn": "cnn.py", "srnet": "srnet.py", "pixel_shuffle": "pixel_shuffle.py",
    }  # fmt: skip
    assert submission.notes == ()  # nothing came from the notebook: its dropped code is not news


def test_a_folder_with_several_notebooks_is_graded_from_its_files_and_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "repo"
    shutil.copytree(REFERENCE, folder, ignore=shutil.ignore_patterns("__pycache__", "*.md"))
    for name in ("a.ipynb", "b.ipynb"):
        write_notebook(colab_notebook(), folder / name)
    submission = staged(folder, tmp_path)
    assert all(s is not None and not s.combined for s in submission.sources.values())
    assert submission.notes == ("2 notebooks (a.ipynb, b.ipynb): graded the .py files only; keep one notebook "
                                "next to them for it to be graded too",)  # fmt: skip
    assert submission.answers[0].state == "missing"
