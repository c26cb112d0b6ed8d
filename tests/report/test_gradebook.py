"""gradebook.csv: the written answers column, beside the scores."""

from __future__ import annotations

import csv
import io

from grader.report.gradebook import Row, render
from grader.results import Report
from grader.written import no_answers
from tests.report.test_writers import sample_report


def rows(*entries: Row) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(render(entries, ["cnn.accuracy"]))))


def test_the_gradebook_counts_the_answered_written_questions() -> None:
    answered = Row("alice", "alice", "alice", "graded", sample_report())
    no_notebook = Row("bob", "bob", "bob", "graded", Report("bob", "0", "cpu", (), written_answers=no_answers("no")))
    ungraded = Row("carol", "carol.tar", "carol", "not gradable", reason="unsupported file type")
    table = rows(answered, no_notebook, ungraded)
    assert [r["written_answered"] for r in table] == ["1 of 2", f"0 of {len(no_answers('no'))}", ""]
    assert list(table[0])[-4:] == ["written_answered", "duration_s", "content_hash", "report"]
