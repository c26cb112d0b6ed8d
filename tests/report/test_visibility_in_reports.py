"""Hidden checks in every report format: full where instructors read, redacted where students do."""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console

from grader.report.terminal import show
from grader.report.writers import write_all
from grader.results import CheckResult, Report, Status, report_from_dict

SECRET = "logits differ by 0.3 on input 7"


def report(hidden_checks: tuple[str, ...] = ()) -> Report:
    return Report(
        submission="alice.ipynb",
        grader_version="0",
        device="cpu",
        tests=(
            CheckResult("cnn.output_shape", 2.0, 2.0, Status.PASSED, "shapes right"),
            CheckResult("cnn.matches_reference", 1.0, 2.0, Status.PARTIAL, SECRET, 0.3, "hidden"),
            CheckResult("cnn.accuracy", 0.0, 4.0, Status.FAILED, "accuracy 12%", 0.12, "after_due_date"),
        ),
        hidden_checks=hidden_checks,
    )


def test_student_formats_leave_out_hidden_details_instructor_formats_keep_them(tmp_path: Path) -> None:
    write_all(report(), tmp_path)
    assert SECRET not in (tmp_path / "report.md").read_text(encoding="utf-8")
    assert SECRET not in (tmp_path / "junit.xml").read_text(encoding="utf-8")
    assert "`cnn.matches_reference` (hidden) | 1 / 2" in (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "accuracy 12%" in (tmp_path / "report.md").read_text(encoding="utf-8")
    doc = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert doc["tests"][1]["output"] == SECRET and doc["tests"][1]["visibility"] == "hidden"
    assert report_from_dict(doc).tests == report().tests
    gradescope = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    # A hidden check: its score shows (Gradescope would hide the whole total otherwise), its details never.
    assert [t["visibility"] for t in gradescope["tests"]] == ["visible", "visible", "after_due_date"]
    assert gradescope["tests"][1]["score"] == 1.0 and SECRET not in json.dumps(gradescope)


def test_show_hidden_keeps_the_details_everywhere(tmp_path: Path) -> None:
    write_all(report(), tmp_path, show_hidden=True)
    assert SECRET in (tmp_path / "report.md").read_text(encoding="utf-8")


def test_a_self_check_names_its_hidden_checks_and_says_nothing_else_about_them(tmp_path: Path) -> None:
    checked = Report("alice.ipynb", "0", "cpu", report().tests[:1], hidden_checks=("cnn.matches_reference",
                                                                                   "cnn.accuracy"))  # fmt: skip
    write_all(checked, tmp_path)
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "## Hidden checks" in markdown and "`cnn.matches_reference`, `cnn.accuracy`" in markdown
    doc = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert doc["hidden_checks"] == ["cnn.matches_reference", "cnn.accuracy"]
    assert [t["name"] for t in doc["tests"]] == ["cnn.output_shape"] and doc["max_score"] == 2.0
    console = Console(file=io.StringIO(), width=200)
    show(checked, console)
    assert "hidden checks, not run by this self-check" in console.file.getvalue()  # type: ignore[attr-defined]
