"""`results.json` in Gradescope's autograder format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grader.report.escape import json_safe
from grader.results import Report, Status

FILENAME = "results.json"


def to_gradescope(report: Report) -> dict[str, Any]:
    """Gradescope's document: total score, one test per check, a leaderboard-free summary.

    Each test carries the rubric's visibility (`visible`, `hidden`,
    `after_due_date`), which Gradescope applies to what students see.
    """
    return {
        "score": report.score,
        "execution_time": round(report.duration_s, 1),
        "output": f"cnn-grader {report.grader_version} on {report.device}: {report.score:g} / {report.max_score:g}",
        "stdout_visibility": "hidden",
        "tests": [
            {
                "name": t.name,
                "score": t.score,
                "max_score": t.max_score,
                "status": "passed" if t.status is Status.PASSED else "failed",
                "output": t.output,
                "visibility": t.visibility,
            }
            for t in report.tests
        ],
    }


def write(report: Report, out_dir: Path) -> Path:
    path = out_dir / FILENAME
    text = json.dumps(json_safe(to_gradescope(report)), indent=2, ensure_ascii=False, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path
