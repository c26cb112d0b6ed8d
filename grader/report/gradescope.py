"""`results.json` in Gradescope's autograder format.

Gradescope hides a submission's total from the student while a test it
hides carries points. The rubric's `hidden` checks mean "score shown,
details not", so they go to Gradescope as visible tests whose output is
redacted: the student sees each score and the total, never the inputs.
`after_due_date` checks stay `after_due_date` (Gradescope shows them, and
the total, after the due date). The top-level output names the sandbox that
ran the code and carries the grade's notes (a notebook's cells not run, ...).
Each written question of the notebook follows as a test worth 0 points with
the student's answer as its output, for whoever grades it by hand.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grader.report.escape import json_safe
from grader.results import Report, Status, WrittenAnswer
from grader.visibility import redact

FILENAME = "results.json"


def to_gradescope(report: Report) -> dict[str, Any]:
    """Gradescope's document: total score, one test per check, the notes and the sandbox level."""
    shown = redact(report)
    return {
        "score": report.score,
        "execution_time": round(report.duration_s, 1),
        "output": summary(report),
        "stdout_visibility": "hidden",
        "tests": [
            {
                "name": t.name,
                "score": t.score,
                "max_score": t.max_score,
                "status": "passed" if t.status is Status.PASSED else "failed",
                "output": t.output,
                "visibility": "visible" if t.visibility == "hidden" else t.visibility,
            }
            for t in shown.tests
        ] + [written_answer(a) for a in report.written_answers],
    }


def written_answer(answer: WrittenAnswer) -> dict[str, Any]:
    """A written question as a 0-point test: its title, its state, the answer's text."""
    text = answer.text.strip() or "(empty)"
    return {
        "name": f"{answer.question} (written answer)",  # starts with its part, as every test's name
        "score": 0.0,
        "max_score": 0.0,
        "output": f"{answer.title}\n({answer.state}; graded by hand, 0 automatic points)\n\n{text}",
        "visibility": "visible",
    }


def summary(report: Report) -> str:
    lines = [f"cnn-grader {report.grader_version} on {report.device}: {report.score:g} / {report.max_score:g}"]
    isolation = report.sandbox.get("isolation")
    if isinstance(isolation, str) and isolation:
        lines.append(f"sandbox: {isolation}")
    if report.notes:
        lines += ["", "Notes:", *(f"- {note}" for note in report.notes)]
    return "\n".join(lines)


def write(report: Report, out_dir: Path) -> Path:
    path = out_dir / FILENAME
    text = json.dumps(json_safe(to_gradescope(report)), indent=2, ensure_ascii=False, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path
