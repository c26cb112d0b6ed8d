"""`gradebook.csv`: one row per submission of a batch.

Text cells (names, states) pass `escape.csv_cell`: a name starting with `=`
is not run as a formula by the spreadsheet that opens the gradebook. The
file is replaced whole, so an interrupted batch leaves the previous one.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path

from grader.report.escape import csv_cell
from grader.results import PARTS, Report

FILENAME = "gradebook.csv"


@dataclass(frozen=True)
class Row:
    """One submission's line; `report` is None when grading it failed outright."""

    submission: str
    folder: str
    report: Report | None
    state: str  # "graded", "reused" or the reason it could not be graded


def render(rows: list[Row]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["submission", "score", "max_score", *PARTS, "state", "report"])
    for row in rows:
        totals = {t.part: t.score for t in row.report.parts()} if row.report else {}
        writer.writerow([
            csv_cell(row.submission),
            f"{row.report.score:g}" if row.report else "",
            f"{row.report.max_score:g}" if row.report else "",
            *[f"{totals[p]:g}" if p in totals else "" for p in PARTS],
            csv_cell(row.state),
            csv_cell(f"{row.folder}/report.json") if row.report else "",
        ])  # fmt: skip
    return buffer.getvalue()


def write(rows: list[Row], out_dir: Path) -> Path:
    path = out_dir / FILENAME
    tmp = out_dir / f".{FILENAME}.tmp"
    try:
        with open(tmp, "w", newline="", encoding="utf-8") as handle:
            handle.write(render(rows))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
