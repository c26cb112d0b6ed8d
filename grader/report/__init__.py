"""Report writers: each is one function `write(report, out_dir) -> Path`."""

from __future__ import annotations

from pathlib import Path

from grader.report import gradescope, json, junit, markdown
from grader.results import Report

WRITERS = (json.write, markdown.write, gradescope.write, junit.write)


def write_all(report: Report, out_dir: Path) -> list[Path]:
    """Write every format into `out_dir` (created if needed); `report.json` first."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return [writer(report, out_dir) for writer in WRITERS]
