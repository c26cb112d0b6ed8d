"""The rubric's visibility: which checks `check` runs, what students see of the rest."""

from __future__ import annotations

from grader.results import CheckResult, Report, Status
from grader.visibility import HIDDEN_OUTPUT, is_public, redact


def report() -> Report:
    return Report(
        submission="s",
        grader_version="0",
        device="cpu",
        tests=(
            CheckResult("cnn.output_shape", 2.0, 2.0, Status.PASSED, "shapes right"),
            CheckResult("cnn.matches_reference", 1.0, 2.0, Status.PARTIAL, "logits differ by 0.3 on input 7",
                        0.3, "hidden"),  # fmt: skip
            CheckResult("cnn.accuracy", 4.0, 4.0, Status.PASSED, "accuracy 95%", 0.95, "after_due_date"),
        ),
    )


def test_only_visible_checks_are_public() -> None:
    assert [is_public(v) for v in ("visible", "hidden", "after_due_date")] == [True, False, False]


def test_redact_keeps_name_and_score_of_hidden_checks_and_nothing_else() -> None:
    hidden = redact(report()).tests[1]
    assert (hidden.name, hidden.score, hidden.max_score, hidden.status) == ("cnn.matches_reference", 1.0, 2.0,
                                                                           Status.PARTIAL)  # fmt: skip
    assert hidden.output == HIDDEN_OUTPUT and hidden.value is None
    assert redact(report()).tests[0] == report().tests[0]
    assert redact(report()).tests[2] == report().tests[2]  # after the due date: `grade` shows it
    assert redact(report()).score == report().score
