"""The readable terminal summary: subtotals per part, and for every check that
lost points, what was expected and what was found.

Every string reaches rich as a `Text` (never parsed as rich markup) and
passes `escape.terminal` first: a submission's escape sequences, carriage
returns and backspaces are shown, not run by the instructor's terminal.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from grader.report.escape import terminal
from grader.report.notes import grouped_texts
from grader.results import Report, Status

STYLES = {
    Status.PASSED: "green",
    Status.PARTIAL: "yellow",
    Status.FAILED: "red",
    Status.ERROR: "red",
    Status.TIMEOUT: "magenta",
}


def show(report: Report, console: Console) -> None:
    title = f"cnn-grader {report.grader_version}: {report.submission} ({report.device})"
    table = Table(title=_text(title))
    table.add_column("check")
    table.add_column("score", justify="right")
    table.add_column("status")
    for total in report.parts():
        table.add_row(_text(total.part, "bold"), _text(f"{total.score:g} / {total.max_score:g}", "bold"), "")
        for t in (t for t in report.tests if t.part == total.part):
            label = f"  {t.name}" + (" (hidden)" if t.visibility == "hidden" else "")
            score = _text(f"{t.score:g} / {t.max_score:g}")
            table.add_row(_text(label), score, _text(t.status.value, STYLES[t.status]))
    table.add_row(_text("total", "bold"), _text(f"{report.score:g} / {report.max_score:g}", "bold"), "")
    console.print(table)
    for t in report.tests:
        if t.status is not Status.PASSED:
            console.print(_text(f"{t.name} ({t.status.value})", STYLES[t.status] + " bold"))
            console.print(_text(_indent(t.output or "(no details)")))
    if report.hidden_checks:
        console.print(_text("hidden checks, not run by this self-check, graded when you submit: "
                            + ", ".join(report.hidden_checks), "bold"))  # fmt: skip
    if report.written_answers:
        console.print(_text(written_answers_line(report), "bold"))
    for note in grouped_texts(report.notes):
        console.print(_text(f"note: {note}", "dim"))


def _text(text: str, style: str = "") -> Text:
    return Text(terminal(text), style=style)


def written_answers_line(report: Report) -> str:
    """How many written answers the report holds, and which ones are not there."""
    answers = report.written_answers
    line = "written answers (graded by hand, 0 automatic points): "
    if all(a.state == "missing" for a in answers) and len({a.text for a in answers}) == 1:
        return line + f"none, as {answers[0].text}"  # one reason for all: no notebook
    answered = sum(a.state == "answered" for a in answers)
    line += f"{answered} of {len(answers)} answered"
    open_ones = [f"{a.question} ({a.state})" for a in answers if a.state != "answered"]
    return line + (f"; not yet: {', '.join(open_ones)}" if open_ones else "")


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.strip().splitlines())
