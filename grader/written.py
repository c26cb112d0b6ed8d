"""Written questions: their answer cells in the notebook, and collecting the answers for grading by hand.

The exercise text puts a line `<!-- answer: ID -->` under each question; the
released notebook turns it into a markdown cell that starts with that line
(invisible once rendered), holds a placeholder for the student to replace,
and carries the id in its metadata (`cnn_grader.answer`), so the cell is
found by either. `grade` and `check` copy each answer into the report,
marked for manual grading with 0 automatic points, as otter-grader and
nbgrader do with written answers; the score never depends on them.

Answers are student text: decoded leniently, with lone surrogates replaced
(`grader.text`), and cut at MAX_ANSWER_CHARS before they reach any report;
each report writer escapes them for its reader.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from grader.results import WrittenAnswer
from grader.text import clean, file_name

MARKER = re.compile(r"^<!--\s*answer:\s*([\w.-]+)\s*-->$")
PLACEHOLDER = "_Double-click this cell and replace this line with your answer._"
METADATA_KEY = "cnn_grader"
MAX_ANSWER_CHARS = 5000
MAX_CELLS = 10_000  # a notebook with more cells is not searched further


@dataclass(frozen=True)
class Question:
    """A written question of the assignment; `id` starts with its part."""

    id: str
    title: str

    @property
    def part(self) -> str:
        return self.id.split(".", 1)[0]


QUESTIONS: tuple[Question, ...] = (
    Question("cnn.tsne_evolution", "How the t-SNE map evolves during training"),
    Question("cnn.embedding_uses", "What else the embedding head could be used for"),
    Question("srnet.versus_bicubic", "The network against bicubic"),
    Question("pixel_shuffle.identical_weights", "Why the retrained weights are identical"),
)
QUESTION_IDS = frozenset(q.id for q in QUESTIONS)


def answer_cell(question_id: str) -> tuple[str, dict[str, Any]]:
    """The source and metadata of the released answer cell for a question.

    >>> answer_cell("cnn.embedding_uses")[0].splitlines()[0]
    '<!-- answer: cnn.embedding_uses -->'
    """
    if question_id not in QUESTION_IDS:
        known = ", ".join(sorted(QUESTION_IDS))
        raise KeyError(f"no written question {question_id!r} (known: {known}; see grader/written.py)")
    return f"<!-- answer: {question_id} -->\n{PLACEHOLDER}", {METADATA_KEY: {"answer": question_id}}


def marked_question(source: str) -> str | None:
    """The question id a markdown cell's first line marks, if any.

    >>> marked_question("<!-- answer: cnn.tsne_evolution -->\\nThe digits separate."), marked_question("text")
    ('cnn.tsne_evolution', None)
    """
    first = next((line.strip() for line in source.splitlines() if line.strip()), "")
    match = MARKER.match(first)
    return match.group(1) if match else None


def no_answers(why: str) -> tuple[WrittenAnswer, ...]:
    """Every question missing, for a submission that has no notebook to answer in."""
    return tuple(WrittenAnswer(q.id, q.title, "missing", why) for q in QUESTIONS)


def collect_answers(notebook: Path) -> tuple[WrittenAnswer, ...]:
    """One entry per question, in the assignment's order, from the notebook at `notebook`."""
    name = file_name(notebook.name)
    try:
        doc = json.loads(notebook.read_text(encoding="utf-8-sig", errors="replace"))
    except (OSError, ValueError, RecursionError) as exc:
        return no_answers(f"{name} could not be read for written answers ({type(exc).__name__})")
    cells = doc.get("cells") if isinstance(doc, dict) else None
    found = answer_texts(cells if isinstance(cells, list) else [])
    answers = []
    for question in QUESTIONS:
        texts = found.get(question.id)
        if texts is None:
            answers.append(WrittenAnswer(question.id, question.title, "missing",
                                         f"no answer cell in {name} (its first line was "
                                         f"`<!-- answer: {question.id} -->`)"))  # fmt: skip
            continue
        text = bounded("\n\n".join(t for t in texts if t))  # several cells: bounded together too
        state = "answered" if text else "unanswered"
        answers.append(WrittenAnswer(question.id, question.title, state, text))
    return tuple(answers)


def answer_texts(cells: list[Any]) -> dict[str, list[str]]:
    """Question id -> the cleaned texts of its answer cells, placeholder removed ('' when unanswered)."""
    found: dict[str, list[str]] = {}
    for cell in cells[:MAX_CELLS]:
        if not isinstance(cell, dict) or cell.get("cell_type") != "markdown":
            continue
        source = _source_text(cell.get("source", ""))
        question = _metadata_question(cell.get("metadata")) or marked_question(source)
        if question in QUESTION_IDS:
            found.setdefault(question, []).append(_answer_text(source))
    return found


def bounded(text: str, limit: int = MAX_ANSWER_CHARS) -> str:
    """The text cut at `limit` characters (saying so), with no lone surrogate left.

    >>> bounded("abc\\ud800", limit=3)
    'abc\\n[... cut at 3 characters]'
    """
    if len(text) <= limit:
        return clean(text)
    return clean(text[:limit]).rstrip() + f"\n[... cut at {limit} characters]"


def _answer_text(source: str) -> str:
    lines = source.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and MARKER.match(lines[first].strip()):
        del lines[: first + 1]
    text = "\n".join(lines).strip()
    if text.startswith(PLACEHOLDER):
        text = text[len(PLACEHOLDER) :].strip()
    return bounded(text)


def _metadata_question(metadata: object) -> str | None:
    entry = metadata.get(METADATA_KEY) if isinstance(metadata, Mapping) else None
    question = entry.get("answer") if isinstance(entry, Mapping) else None
    return question if isinstance(question, str) else None


def _source_text(source: object) -> str:
    # nbformat stores a list of lines or one string; a hand-edited file may hold anything.
    if isinstance(source, list):
        return "".join(part for part in source[:MAX_CELLS] if isinstance(part, str))
    return source if isinstance(source, str) else ""
