"""Notes grouped by cause: each cause once, with its count and places."""

from __future__ import annotations

from pathlib import Path

from grader.report.notes import NOT_A_DEFINITION, group_notes, grouped_texts
from grader.submission import stage
from tests.conftest import FIXTURES


def test_each_cause_once_with_its_count(tmp_path: Path) -> None:
    notes = stage(FIXTURES / "submissions" / "crashes.ipynb", tmp_path / "s").notes
    groups = group_notes(notes)
    causes = [g.cause for g in groups]
    assert len(causes) == len(set(causes)) < len(notes) / 2
    plain = next(g for g in groups if g.cause == NOT_A_DEFINITION)
    assert plain.count >= 15 and "cell 4 line 1" in plain.places
    assert f"({plain.count} times: cell 2 line 1, cell 2 line 2" in plain.text() and "more)" in plain.text()
    texts = grouped_texts(notes)
    assert any(t.startswith("cell 3, line 9: dropped `from google.colab import drive`") for t in texts)  # alone: whole
    replaced = next(t for t in texts if t.startswith("a definition replaced"))
    assert "2 times: cell 6 line 1, cell 15 line 1" in replaced


def test_the_same_note_of_several_parts_is_one_line() -> None:
    notes = [f"{part}: the submission asked torch for 8 threads" for part in ("cnn", "srnet")] + ["network off"]
    assert grouped_texts(notes) == ["the submission asked torch for 8 threads (2 times: cnn, srnet)", "network off"]


def test_a_syntax_error_stays_whole() -> None:
    note = "cell 12, line 20 has a syntax error (expected ':') `def f(x)`: the grader skipped the whole cell"
    assert grouped_texts([note, note]) == [note]
