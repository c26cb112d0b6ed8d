"""Every report writer on reports full of hostile text: nothing raises, and every file
parses for its reader (JSON, XML, CSV, Markdown whose fences hold, a clean terminal)."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.report.gradebook import Row
from grader.report.gradebook import write as write_gradebook
from grader.report.writers import write_all
from grader.results import PARTS, CheckResult, Report, Status, WrittenAnswer
from tests.report.soundness import assert_report_files_sound
from tests.strategies import hostile_text

NUMBERS = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.none())


@st.composite
def reports(draw: st.DrawFn) -> Report:
    tests = tuple(
        CheckResult(f"{part}.check{index}", draw(st.floats(0, 5)), 5.0, draw(st.sampled_from(list(Status))),
                    draw(hostile_text), draw(NUMBERS), draw(st.sampled_from(["visible", "hidden"])))
        for index, part in enumerate(draw(st.lists(st.sampled_from(PARTS), min_size=1, max_size=4)))
    )  # fmt: skip
    log = {"ending": draw(hostile_text), "stdout": draw(hostile_text), "stderr": draw(hostile_text)}
    return Report(
        submission=draw(hostile_text),
        grader_version="0.1.0",
        device="cpu",
        tests=tests,
        notes=tuple(draw(st.lists(hostile_text, max_size=3))),
        sandbox={"parts": {"cnn": log}, draw(hostile_text): draw(NUMBERS)},
        hidden_checks=tuple(draw(st.lists(hostile_text, max_size=2))),
        written_answers=tuple(
            WrittenAnswer(f"cnn.q{index}", draw(hostile_text), draw(st.sampled_from(["answered", "missing"])),
                          draw(hostile_text))
            for index in range(draw(st.integers(0, 2)))
        ),  # fmt: skip
    )


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(reports())
def test_every_writer_writes_files_their_readers_parse(report: Report) -> None:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        write_all(report, out, show_hidden=True)
        assert_report_files_sound(report, out)


@settings(max_examples=100)
@given(st.lists(st.tuples(hostile_text, st.one_of(st.none(), reports()), hostile_text), max_size=4))
def test_the_gradebook_parses_and_runs_no_formula(entries: list[tuple[str, Report | None, str]]) -> None:
    rows = [Row(name, name, "folder", "graded" if report else "error", report, reason=why)
            for name, report, why in entries]  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        path = write_gradebook(rows, Path(folder))
        with open(path, newline="", encoding="utf-8") as handle:
            table = list(csv.reader(handle))
        assert [p.name for p in Path(folder).iterdir()] == ["gradebook.csv"]
    assert len(table) == len(rows) + 1 and all(len(line) == len(table[0]) for line in table)
    for line in table[1:]:
        assert not any(cell.startswith(("=", "+", "@", "\t")) for cell in line)
        assert not any(line[i].startswith("-") for i in (0, 1, 3, -1))  # the text cells
