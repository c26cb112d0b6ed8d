"""Who sees what of a check: the rubric's `visibility`, applied to reports.

- `visible`: run by `cnn-grader check`; shown in full everywhere.
- `after_due_date`: not run by `check`; `grade` shows it in full (a local or
  CI run has no due date); Gradescope shows it to students after the due date.
- `hidden`: not run by `check`; `grade` shows its name and score but never
  its details in the student-facing reports (terminal, `report.md`,
  `junit.xml`) unless `--show-hidden`; Gradescope hides it from students.

`report.json` and Gradescope's `results.json` always keep everything: the
first is the instructor's record, the second carries the visibility field
and Gradescope enforces it. Hiding is presentation, not secrecy: whoever
runs the grader with the shipped rubric can see every check. What stays
private is an instructor's own rubric, whose seed derives every input.
"""

from __future__ import annotations

from dataclasses import replace

from grader.results import CheckResult, Report

VISIBLE, HIDDEN, AFTER_DUE_DATE = "visible", "hidden", "after_due_date"
HIDDEN_OUTPUT = "hidden check: its inputs and details are not shown"


def is_public(visibility: str) -> bool:
    """Whether `cnn-grader check` runs a check with this visibility.

    >>> is_public("visible"), is_public("after_due_date")
    (True, False)
    """
    return visibility == VISIBLE


def redact(report: Report) -> Report:
    """The report as students see it: hidden checks keep their name and score only, and
    lose their diagnosis and their pictures.

    >>> from grader.results import Status
    >>> r = Report("s", "0", "cpu", (CheckResult("cnn.accuracy", 1, 4, Status.PARTIAL, "81%", 0.81, "hidden"),))
    >>> redact(r).tests[0].output
    'hidden check: its inputs and details are not shown'
    """
    hidden = {t.name for t in report.tests if t.visibility == HIDDEN}
    return replace(report, tests=tuple(_redacted(t) for t in report.tests),
                   visuals=tuple(v for v in report.visuals if v.check not in hidden))  # fmt: skip


def _redacted(result: CheckResult) -> CheckResult:
    if result.visibility != HIDDEN:
        return result
    return replace(result, output=HIDDEN_OUTPUT, value=None, diagnosis=None)
