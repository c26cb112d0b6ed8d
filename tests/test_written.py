"""Written answers: found by marker or metadata, cleaned and bounded, one entry per question."""

from __future__ import annotations

import json
from pathlib import Path

from nbformat import v4

from grader.report.markdown import render
from grader.results import Report
from grader.written import (MAX_ANSWER_CHARS, METADATA_KEY, PLACEHOLDER, QUESTIONS, answer_cell, collect_answers,
                            no_answers)  # fmt: skip
from tests.notebooks import write_notebook


def answered_cell(question: str, text: str, marker: bool = True, metadata: bool = True) -> dict:
    source, meta = answer_cell(question)
    body = (source.splitlines()[0] + "\n" if marker else "") + text
    return v4.new_markdown_cell(body, metadata=meta if metadata else {})


def test_each_question_is_answered_unanswered_or_missing(tmp_path: Path) -> None:
    cells = [
        v4.new_markdown_cell("# Part 1"),
        answered_cell("cnn.tsne_evolution", "The 1s and 0s separate first;\n4 and 9 stay mixed."),
        v4.new_markdown_cell(answer_cell("cnn.embedding_uses")[0], metadata=answer_cell("cnn.embedding_uses")[1]),
        answered_cell("srnet.versus_bicubic", "Edges are sharper.", marker=False),  # marker line deleted
        answered_cell("srnet.versus_bicubic", "Flat areas look the same.", metadata=False),  # a second cell
        v4.new_code_cell("# <!-- answer: pixel_shuffle.identical_weights --> in code is not an answer"),
    ]
    path = write_notebook(v4.new_notebook(cells=cells), tmp_path / "nb.ipynb")
    answers = {a.question: a for a in collect_answers(path)}
    assert [a for a in answers] == [q.id for q in QUESTIONS]
    assert answers["cnn.tsne_evolution"].state == "answered"
    assert answers["cnn.tsne_evolution"].text == "The 1s and 0s separate first;\n4 and 9 stay mixed."
    assert (answers["cnn.embedding_uses"].state, answers["cnn.embedding_uses"].text) == ("unanswered", "")
    assert answers["srnet.versus_bicubic"].text == "Edges are sharper.\n\nFlat areas look the same."
    assert answers["pixel_shuffle.identical_weights"].state == "missing"
    assert "no answer cell in nb.ipynb" in answers["pixel_shuffle.identical_weights"].text


def test_an_answer_written_after_the_placeholder_keeps_only_the_answer(tmp_path: Path) -> None:
    cell = answered_cell("cnn.tsne_evolution", f"{PLACEHOLDER}\nThe clusters tighten.")
    answers = collect_answers(write_notebook(v4.new_notebook(cells=[cell]), tmp_path / "nb.ipynb"))
    assert answers[0].text == "The clusters tighten."


def test_hostile_answers_are_bounded_and_escaped_in_the_markdown_report(tmp_path: Path) -> None:
    huge = "\x1b[2J\x00" + "a" * (MAX_ANSWER_CHARS * 20)
    doc = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "metadata": {METADATA_KEY: {"answer": "cnn.tsne_evolution"}}, "source": [huge]},
        {"cell_type": "markdown", "metadata": {METADATA_KEY: {"answer": ["not", "a", "string"]}}, "source": "x"},
        {"cell_type": "markdown", "metadata": "junk", "source": {"not": "text"}},
        "not a cell",
    ]}  # fmt: skip
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(doc).replace("aaaa", "\\ud800", 1), encoding="utf-8")  # a lone surrogate
    answers = collect_answers(path)
    text = answers[0].text
    assert len(text) < MAX_ANSWER_CHARS + 50 and text.endswith(f"[... cut at {MAX_ANSWER_CHARS} characters]")
    assert text.startswith("\x1b[2J\x00") and "\ufffd" in text  # kept as data, lone surrogate replaced
    text.encode("utf-8")
    assert [a.state for a in answers[1:]] == ["missing"] * 3
    markdown = render(Report("s", "0", "cpu", (), written_answers=answers))
    assert "\\x1b[2J\\x00" in markdown and "\x1b" not in markdown and "\x00" not in markdown


def test_an_unreadable_notebook_has_every_answer_missing_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "nb.ipynb"
    path.write_text("[" * 100_000, encoding="utf-8")
    answers = collect_answers(path)
    assert [a.state for a in answers] == ["missing"] * len(QUESTIONS)
    assert "could not be read" in answers[0].text
    assert no_answers("why")[0].text == "why"
