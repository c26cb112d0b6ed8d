"""Every report format at once: each writer is one function `write(report, out_dir) -> Path`."""

from __future__ import annotations

from pathlib import Path

from grader.report import gradescope, html, json, junit, markdown
from grader.results import Report
from grader.visibility import redact

WRITERS = (json.write, markdown.write, gradescope.write, junit.write, html.write)
# The instructor's record, and Gradescope's file (Gradescope applies each test's visibility itself).
FULL_DETAIL = (json.write, gradescope.write)


def write_all(report: Report, out_dir: Path, show_hidden: bool = False) -> list[Path]:
    """Write every format into `out_dir` (created if needed); `report.json` first.

    The student-facing formats (`report.md`, `junit.xml`, `report.html`) leave out
    the details and pictures of hidden checks unless `show_hidden`.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    shown = report if show_hidden else redact(report)
    return [writer(report if writer in FULL_DETAIL else shown, out_dir) for writer in WRITERS]
