"""`cnn-grader check`: the public checks, in seconds, with the grade's feedback format."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from grader.results import Status
from grader.rubric import load_rubric
from grader.selfcheck import self_check
from tests.conftest import ASSIGNMENT, MUTANTS, REFERENCE, overlay_fixture
from tests.notebooks import colab_notebook, solution, write_notebook

HIDDEN = ["cnn.matches_reference", "cnn.accuracy", "srnet.matches_reference", "srnet.psnr",
          "pixel_shuffle.retrain_identical"]  # fmt: skip


def test_the_reference_passes_every_public_check_and_hidden_ones_are_only_named() -> None:
    report = self_check(REFERENCE)
    visible = [n for n, s in load_rubric().checks.items() if s.visibility == "visible"]
    assert [t.name for t in report.tests] == visible
    assert [(t.name, t.output) for t in report.tests if t.status is not Status.PASSED] == []
    assert report.score == report.max_score == 17.0
    assert list(report.hidden_checks) == HIDDEN
    assert report.notes[0].startswith("self-check: 16 public checks on public inputs")
    losses = {t.name: t.output for t in report.tests if t.name.endswith("loss_decreases")}
    assert "after 20 AdamW steps" in losses["cnn.loss_decreases"]
    assert "after 20 Adam steps" in losses["srnet.loss_decreases"]
    # The hidden accuracy and PSNR checks score the trained weights: `check` does not evaluate them,
    # so its part logs show no value of theirs, only what the visible checks read.
    trainings = {part: report.sandbox["parts"][part]["training"] for part in ("cnn", "srnet")}
    assert trainings["cnn"]["accuracy"] is None and trainings["srnet"]["gain"] is None
    assert trainings["cnn"]["initial_accuracy"] < 0.5 and trainings["srnet"]["initial_gain"] < 0
    assert trainings["cnn"]["replay_deviation"] == trainings["srnet"]["replay_deviation"] == 0.0



def test_the_isolation_is_probed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sandbox's isolation, probed by starting Python inside it, serves the whole self-check:
    a second probe would run beside the zygote's import of torch, on the core the parent needs."""
    from grader import grading, selfcheck

    probes: list[str] = []
    detect = selfcheck.detect_isolation

    def counted(*args: Any, **kwargs: Any) -> Any:
        probes.append(kwargs.get("device", "cpu"))
        return detect(*args, **kwargs)

    monkeypatch.setattr(selfcheck, "detect_isolation", counted)
    monkeypatch.setattr(grading, "detect_isolation", counted)
    report = self_check(REFERENCE)
    assert probes == ["cpu"] and report.score == report.max_score

def test_the_stubs_get_not_implemented_feedback() -> None:
    report = self_check(ASSIGNMENT)
    assert report.score == 0.0
    failed = [t for t in report.tests if t.status is not Status.PASSED]
    assert {t.name for t in report.tests} - {t.name for t in failed} == {"cnn.imports", "srnet.imports",
                                                                        "pixel_shuffle.imports"}  # fmt: skip
    outputs = [t.output for t in failed if t.name != "pixel_shuffle.uses_einops"]
    assert all("not implemented yet" in out or "did not run" in out or "nothing to judge" in out
               for out in outputs), outputs  # fmt: skip


def test_a_wrong_pixel_shuffle_fails_on_the_public_inputs(tmp_path: Path) -> None:
    submission = overlay_fixture(MUTANTS / "pixel-shuffle-transposed-factors", tmp_path / "s")
    by_name = {t.name: t for t in self_check(submission).tests}
    assert by_name["pixel_shuffle.matches_torch"].score < by_name["pixel_shuffle.matches_torch"].max_score
    assert by_name["cnn.architecture"].status is Status.PASSED


def test_a_wrong_network_fails_the_public_equivalence_check_before_the_deadline(tmp_path: Path) -> None:
    """A CNN that flattens channels-last has every shape right; only equivalence shows it."""
    for mutant, name in (("cnn-flatten-order", "cnn.matches_public"), ("srnet-missing-relu", "srnet.matches_public"),
                         ("cnn-dropout-active", "cnn.matches_public")):  # fmt: skip
        submission = overlay_fixture(MUTANTS / mutant, tmp_path / mutant)
        by_name = {t.name: t for t in self_check(submission).tests}
        assert by_name[name].score < by_name[name].max_score, (mutant, by_name[name].output)
        part = name.split(".")[0]
        assert by_name[f"{part}.architecture"].status is Status.PASSED


def test_a_notebook_cell_with_a_syntax_error_costs_only_its_part(tmp_path: Path) -> None:
    broken = solution("srnet.py").replace("self.relu = nn.ReLU()", "self.relu = nn.ReLU(")
    report = self_check(write_notebook(colab_notebook(srnet=broken), tmp_path / "broken.ipynb"))
    srnet = [t for t in report.tests if t.part == "srnet"]
    assert srnet and all(t.status is Status.ERROR and "cell 12, line" in t.output and "syntax error" in t.output
                         for t in srnet)  # fmt: skip
    others = [t for t in report.tests if t.part != "srnet"]
    assert [(t.name, t.output) for t in others if t.status is not Status.PASSED] == []


def test_the_command_prints_the_table_writes_the_reports_and_is_quick(tmp_path: Path) -> None:
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "grader", "check", str(REFERENCE), "--out", str(tmp_path)],
                            capture_output=True, text=True, timeout=600)  # fmt: skip
    wall = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert "17 / 17 on the public checks" in result.stdout and "hidden checks" in result.stdout
    doc = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert doc["hidden_checks"] == HIDDEN and not set(HIDDEN) & {t["name"] for t in doc["tests"]}
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "## Hidden checks" in markdown
    # 10 s on two idle cores (docs/students.md); here only a bound that a loaded test machine keeps.
    assert wall < 120, wall


def test_a_file_that_is_not_a_notebook_gets_its_message_on_every_check(tmp_path: Path) -> None:
    path = tmp_path / "homework.ipynb"
    path.write_text("def f(:\n", encoding="utf-8")
    report = self_check(path)
    assert report.tests and all(t.status is Status.ERROR and "not a Jupyter notebook" in t.output
                                for t in report.tests)  # fmt: skip
    assert list(report.hidden_checks) == HIDDEN
