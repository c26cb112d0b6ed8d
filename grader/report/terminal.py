"""The readable terminal summary: subtotals per part, and for every check that
lost points, what was expected and what was found."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from grader.results import Report, Status

STYLES = {
    Status.PASSED: "green",
    Status.PARTIAL: "yellow",
    Status.FAILED: "red",
    Status.ERROR: "red",
    Status.TIMEOUT: "magenta",
}


def show(report: Report, console: Console) -> None:
    table = Table(title=f"cnn-grader {report.grader_version}: {report.submission} ({report.device})")
    table.add_column("check")
    table.add_column("score", justify="right")
    table.add_column("status")
    for total in report.parts():
        table.add_row(Text(total.part, style="bold"), Text(f"{total.score:g} / {total.max_score:g}", style="bold"), "")
        for t in (t for t in report.tests if t.part == total.part):
            label = f"  {t.name}" + (" (hidden)" if t.visibility == "hidden" else "")
            table.add_row(label, f"{t.score:g} / {t.max_score:g}", Text(t.status.value, style=STYLES[t.status]))
    table.add_row(Text("total", style="bold"), Text(f"{report.score:g} / {report.max_score:g}", style="bold"), "")
    console.print(table)
    for t in report.tests:
        if t.status is not Status.PASSED:
            console.print(Text(f"{t.name} ({t.status.value})", style=STYLES[t.status] + " bold"))
            console.print(Text(_indent(t.output or "(no details)")))
    if report.hidden_checks:
        console.print(Text("hidden checks, not run by this self-check, graded when you submit: "
                           + ", ".join(report.hidden_checks), style="bold"))
    if report.written_answers:
        console.print(Text(written_answers_line(report), style="bold"))
    for note in report.notes:
        console.print(Text(f"note: {note}", style="dim"))


def written_answers_line(report: Report) -> str:
    """How many written answers the report holds, and which ones are not there."""
    answers = report.written_answers
    answered = sum(a.state == "answered" for a in answers)
    line = f"written answers (graded by hand, 0 automatic points): {answered} of {len(answers)} answered"
    open_ones = [f"{a.question} ({a.state})" for a in answers if a.state != "answered"]
    return line + (f"; not yet: {', '.join(open_ones)}" if open_ones else "")


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.strip().splitlines())
