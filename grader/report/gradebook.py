"""`gradebook.csv`: one row per submission of a batch."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from grader.results import PARTS, Report

FILENAME = "gradebook.csv"


@dataclass(frozen=True)
class Row:
    """One submission's line; `report` is None when grading it failed outright."""

    submission: str
    folder: str
    report: Report | None
    state: str  # "graded", "reused" or the reason it could not be graded


def write(rows: list[Row], out_dir: Path) -> Path:
    path = out_dir / FILENAME
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["submission", "score", "max_score", *PARTS, "state", "report"])
        for row in rows:
            totals = {t.part: t.score for t in row.report.parts()} if row.report else {}
            writer.writerow([
                row.submission,
                f"{row.report.score:g}" if row.report else "",
                f"{row.report.max_score:g}" if row.report else "",
                *[f"{totals[p]:g}" if p in totals else "" for p in PARTS],
                row.state,
                f"{row.folder}/report.json" if row.report else "",
            ])  # fmt: skip
    return path
