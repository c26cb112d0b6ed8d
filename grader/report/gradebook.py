"""`gradebook.csv`: one row per entry of a batch's folder, graded or not.

Columns: the student id, the entry's name, its state (graded, reused, not
gradable, error, pending) and the reason when it was not graded, the total,
one column per part and one per check, how many written questions the
notebook answers (graded by hand: the answers are in each report), the
grade's duration, the content hash of what was graded, and the report's path. Text cells pass
`escape.csv_cell`: a name starting with `=` is not run as a formula by the
spreadsheet that opens the gradebook. The file is replaced atomically, so a
batch killed at any moment leaves a whole gradebook.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from grader.report.escape import csv_cell
from grader.results import PARTS, Report

FILENAME = "gradebook.csv"
STATES = ("graded", "reused", "not gradable", "error", "pending")


@dataclass(frozen=True)
class Row:
    """One entry's line; `report` is None unless it was graded (now or before)."""

    student: str
    submission: str  # the entry's name in the folder
    folder: str  # its report folder under the batch's output
    state: str  # one of STATES
    report: Report | None = None
    reason: str = ""  # why it was not graded
    content_hash: str = ""  # sha256 of the entry's file names and bytes


def header(checks: Sequence[str]) -> list[str]:
    return ["student", "submission", "state", "reason", "score", "max_score", *PARTS, *checks,
            "written_answered", "duration_s", "content_hash", "report"]  # fmt: skip


def render(rows: Sequence[Row], checks: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header(checks))
    for row in rows:
        report = row.report
        parts = {t.part: t.score for t in report.parts()} if report else {}
        scores = {t.name: t.score for t in report.tests} if report else {}
        writer.writerow([
            csv_cell(row.student),
            csv_cell(row.submission),
            row.state,
            csv_cell(row.reason),
            f"{report.score:g}" if report else "",
            f"{report.max_score:g}" if report else "",
            *[f"{parts[p]:g}" if p in parts else "" for p in PARTS],
            *[f"{scores[c]:g}" if c in scores else "" for c in checks],
            _answered(report) if report else "",
            f"{report.duration_s:.1f}" if report else "",
            row.content_hash,
            csv_cell(f"{row.folder}/report.json") if report else "",
        ])  # fmt: skip
    return buffer.getvalue()


def _answered(report: Report) -> str:
    """`answered of questions`, e.g. `2 of 3`; empty where the grade had no questions to read."""
    answers = report.written_answers
    if not answers:
        return ""
    return f"{sum(a.state == 'answered' for a in answers)} of {len(answers)}"


def write(rows: Sequence[Row], out_dir: Path, checks: Sequence[str] = ()) -> Path:
    """Write `out_dir/gradebook.csv` atomically (a temporary file, then a rename)."""
    path = out_dir / FILENAME
    tmp = out_dir / f".{FILENAME}.{os.getpid()}.tmp"
    try:
        tmp.write_text(render(rows, checks), encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
