"""What every set of report files must be, whatever the submission held: each file parses
for its reader, Markdown keeps its structure, the terminal gets no control characters."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from xml.etree import ElementTree

from rich.console import Console

from grader.report.escape import CONTROLS
from grader.report.terminal import show
from grader.results import Report, Status

FILES = ("junit.xml", "report.html", "report.json", "report.md", "results.json")
# The elements report.html is made of: submission text never adds one.
HTML_TAGS = {"html", "head", "meta", "title", "style", "body", "main", "header", "section", "h1", "h2", "h3", "div",
             "table", "thead", "tbody", "tr", "th", "td", "span", "code", "em", "details", "summary", "pre", "strong",
             "p", "ul", "li", "figure", "img", "figcaption"}  # fmt: skip


def outside_fences(markdown: str) -> list[str]:
    """The lines of `markdown` outside fenced code blocks (CommonMark: a fence closes on a
    line holding only a run of at least as many of the same character)."""
    outside, fence = [], ""
    for line in markdown.split("\n"):
        run = re.match(r"^ {0,3}(`{3,}|~{3,})", line)
        if fence:
            closing = run and run.group(1)[0] == fence[0] and len(run.group(1)) >= len(fence)
            if closing and not line.strip().strip(fence[0]):
                fence = ""
        elif run:
            fence = run.group(1)
        else:
            outside.append(line)
    assert fence == "", "a code block is left open"
    return outside


def assert_report_files_sound(report: Report, out: Path) -> None:
    """`out` holds the report files of `report`, each parsing for its reader."""
    assert sorted(p.name for p in out.iterdir()) == list(FILES)
    assert_html_markup_is_ours((out / "report.html").read_text(encoding="utf-8"))
    for name in ("report.json", "results.json"):
        json.loads((out / name).read_text(encoding="utf-8"), parse_constant=_refuse)
    suite = ElementTree.parse(out / "junit.xml").getroot()
    assert len(suite.findall("testcase")) == len(report.tests)
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert [c for c in markdown if CONTROLS.match(c)] == []
    lines = outside_fences(markdown)
    assert sum(line.startswith("**Score:") for line in lines) == 1
    # Exactly the headings the writer makes: submission text adds none (it is escaped or fenced).
    problems = [t for t in report.tests if t.status is not Status.PASSED]
    answers = len(report.written_answers)
    expected = 1 + bool(problems) + len(problems) + bool(report.hidden_checks) + bool(report.notes)
    headings = [line for line in lines if line.startswith("#")]
    assert len(headings) == expected + (1 + answers if answers else 0), headings
    assert not any("<" in line for line in lines if line.startswith(("- ", "# "))), "HTML in the notes or name"
    printed = terminal_text(report)
    assert [c for c in printed if CONTROLS.match(c) or c == "\r"] == []


def assert_html_markup_is_ours(page: str) -> None:
    """Only the page's own elements and no event handlers: submission text never becomes markup."""
    from html.parser import HTMLParser

    tags: set[str] = set()

    class Collector(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            tags.add(tag)
            assert not any(name.startswith("on") for name, _ in attrs), attrs

    Collector().feed(page)
    assert tags <= HTML_TAGS, tags - HTML_TAGS


def terminal_text(report: Report) -> str:
    buffer = io.StringIO()
    show(report, Console(file=buffer, force_terminal=False, color_system=None, width=100))
    return buffer.getvalue()


def _refuse(name: str) -> None:
    raise AssertionError(f"bare {name} in JSON")
