"""`report.md`: the summary for humans, e.g. a CI job summary.

Submission text (its name, the checks' output, notes quoting its code) is
escaped for Markdown (`grader.report.escape`): outputs sit in fenced blocks
whose fence is longer than any backtick run inside, the rest is inline
text with markup and HTML escaped.
"""

from __future__ import annotations

from pathlib import Path

from grader.report.escape import markdown_code, markdown_code_span, markdown_inline
from grader.report.notes import grouped_texts
from grader.results import Report, Status
from grader.text import clean

FILENAME = "report.md"
ICONS = {
    Status.PASSED: "✅",
    Status.PARTIAL: "🟡",
    Status.FAILED: "❌",
    Status.ERROR: "💥",
    Status.TIMEOUT: "⏱️",
}


def render(report: Report) -> str:
    lines = [
        f"# cnn-grader: {markdown_inline(report.submission)}",
        "",
        f"**Score: {report.score:g} / {report.max_score:g}**  ",
        f"grader {report.grader_version}, device {report.device}",
        "",
        "| Part | Score |",
        "| --- | ---: |",
        *[f"| {p.part} | {p.score:g} / {p.max_score:g} |" for p in report.parts()],
        "",
        "| Check | Score | Status |",
        "| --- | ---: | --- |",
        *[f"| `{t.name}`{_tag(t.visibility)} | {t.score:g} / {t.max_score:g} | {ICONS[t.status]} {t.status.value} |"
          for t in report.tests],  # fmt: skip
        "",
    ]
    problems = [t for t in report.tests if t.status is not Status.PASSED]
    if problems:
        lines += ["## What to fix", ""]
        for t in problems:
            lines += [f"### `{t.name}` ({t.status.value})", "", markdown_code(t.output.strip() or "(no details)"), ""]
    if report.hidden_checks:
        lines += ["## Hidden checks", "", hidden_checks_text(report), ""]
    if report.written_answers:
        lines += written_answers_section(report)
    if report.notes:
        lines += ["## Notes", "", *[f"- {markdown_inline(note)}" for note in grouped_texts(report.notes)], ""]
    return "\n".join(lines)


def _tag(visibility: str) -> str:
    return " (hidden)" if visibility == "hidden" else ""


def hidden_checks_text(report: Report) -> str:
    """One sentence naming the checks a self-check did not run, and nothing more about them."""
    names = ", ".join(markdown_code_span(name) for name in report.hidden_checks)
    return f"Not run by this self-check; graded when you submit: {names}."


def written_answers_section(report: Report) -> list[str]:
    """The written answers, each in a fence its text cannot close: graded by hand, never scored."""
    lines = ["## Written answers (graded by hand, 0 automatic points)", ""]
    for answer in report.written_answers:
        heading = f"{markdown_code_span(answer.question)}: {markdown_inline(answer.title)} ({answer.state})"
        lines += [f"### {heading}", "", markdown_code(answer.text.strip() or "(empty)"), ""]
    return lines


def write(report: Report, out_dir: Path) -> Path:
    path = out_dir / FILENAME
    path.write_text(clean(render(report)), encoding="utf-8")
    return path
