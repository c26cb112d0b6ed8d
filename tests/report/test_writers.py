"""Every reporter against its golden file (refresh with `pytest --update-goldens`)."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import pytest

from grader.report.gradescope import to_gradescope
from grader.report.writers import WRITERS, write_all
from grader.results import CheckResult, Report, Status, WrittenAnswer, report_from_dict

GOLDENS = Path(__file__).parent / "goldens"


def sample_report() -> Report:
    return Report(
        submission="alice.zip",
        grader_version="0.1.0",
        device="cpu",
        tests=(
            CheckResult("cnn.architecture", 2.0, 2.0, Status.PASSED, "28,938 parameters"),
            CheckResult("cnn.accuracy", 2.5, 4.0, Status.PARTIAL, "test accuracy 80.0%", 0.8),
            CheckResult("srnet.output_shape", 0.0, 2.0, Status.FAILED,
                        "input (2, 1, 17, 23), r=3: expected (2, 1, 51, 69), got (2, 9, 17, 23)"),  # fmt: skip
            CheckResult("srnet.psnr", 0.0, 4.0, Status.TIMEOUT, "the part timed out after 300 s"),
            CheckResult("pixel_shuffle.gradients", 0.0, 1.0, Status.ERROR, "ValueError: <bad> & \"quoted\""),
        ),
        notes=("cell 3, line 1: dropped `model.fit()`",),
        duration_s=12.34,
        sandbox={"isolation": "test"},
        timings={"sandbox": 10.0},
        written_answers=(
            WrittenAnswer("cnn.tsne_evolution", "How the t-SNE map evolves during training", "answered",
                          "The 0s and 1s separate first.\n```\n# not a heading: the fence holds"),  # fmt: skip
            WrittenAnswer("cnn.embedding_uses", "What else the embedding head could be used for", "unanswered"),
        ),
    )


@pytest.mark.parametrize("writer", WRITERS, ids=lambda w: w.__module__.rsplit(".", 1)[-1])
def test_writer_matches_golden(writer, tmp_path: Path, update_goldens: bool) -> None:  # type: ignore[no-untyped-def]
    path = writer(sample_report(), tmp_path)
    golden = GOLDENS / path.name
    if update_goldens:
        golden.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    assert path.read_text(encoding="utf-8") == golden.read_text(encoding="utf-8")


def test_report_json_follows_the_contract_and_round_trips(tmp_path: Path) -> None:
    write_all(sample_report(), tmp_path)
    doc = json.loads((tmp_path / "report.json").read_text())
    assert doc["score"] == sum(t["score"] for t in doc["tests"]) == 4.5
    assert doc["max_score"] == 13.0
    assert all(t["name"].split(".")[0] in ("cnn", "srnet", "pixel_shuffle") for t in doc["tests"])
    assert {t["status"] for t in doc["tests"]} <= {"passed", "partial", "failed", "error", "timeout"}
    assert report_from_dict(doc).tests == sample_report().tests
    assert report_from_dict(doc).written_answers == sample_report().written_answers
    assert doc["written_answers"][0] == {
        "question": "cnn.tsne_evolution", "part": "cnn", "title": "How the t-SNE map evolves during training",
        "state": "answered", "text": sample_report().written_answers[0].text, "grading": "manual",
        "automatic_points": 0,
    }  # fmt: skip


def test_written_answers_stay_inside_their_markdown_fence() -> None:
    from grader.report.markdown import render

    text = render(sample_report())
    section = text.split("## Written answers (graded by hand, 0 automatic points)", 1)[1]
    assert "````\nThe 0s and 1s separate first.\n```\n# not a heading: the fence holds\n````" in section
    assert "```\n(empty)\n```" in section


def test_gradescope_and_junit_are_well_formed(tmp_path: Path) -> None:
    gradescope = to_gradescope(sample_report())
    assert gradescope["score"] == 4.5 and len(gradescope["tests"]) == 5 + 2  # the checks, the written answers
    written = {t["name"]: t for t in gradescope["tests"][5:]}
    assert written["cnn.tsne_evolution (written answer)"]["max_score"] == 0.0
    assert "The 0s and 1s separate first." in written["cnn.tsne_evolution (written answer)"]["output"]
    assert "(unanswered; graded by hand" in written["cnn.embedding_uses (written answer)"]["output"]
    assert sum(t["score"] for t in gradescope["tests"]) == gradescope["score"]
    write_all(sample_report(), tmp_path)
    suite = ElementTree.parse(tmp_path / "junit.xml").getroot()
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("5", "2", "2")


def test_a_failed_write_leaves_no_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from grader.report import json as json_writer

    def refuse(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(json_writer.os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        json_writer.write(sample_report(), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_the_terminal_counts_the_written_answers_and_names_the_open_ones() -> None:
    from grader.report.terminal import written_answers_line
    from grader.written import no_answers

    line = written_answers_line(sample_report())
    assert line == ("written answers (graded by hand, 0 automatic points): 1 of 2 answered; "
                    "not yet: cnn.embedding_uses (unanswered)")  # fmt: skip
    without = Report("s", "0", "cpu", (), written_answers=no_answers("the submission holds no notebook"))
    assert written_answers_line(without).endswith("none, as the submission holds no notebook")
