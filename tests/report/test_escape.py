"""Each reader's escaper, on hostile text: the output is safe for that reader."""

from __future__ import annotations

import csv
import html.parser
import io
import json
import re
from xml.etree import ElementTree

from hypothesis import given

from grader.report import escape
from tests.strategies import hostile_text


def _controls(text: str, allowed: str = "\n\t") -> list[str]:
    return [c for c in text if escape.CONTROLS.match(c) and c not in allowed]


@given(hostile_text)
def test_terminal_text_holds_no_control_characters(text: str) -> None:
    shown = escape.terminal(text)
    shown.encode("utf-8")
    assert _controls(shown) == [] and "\r" not in shown


def test_terminal_shows_what_was_there() -> None:
    assert escape.terminal("\x1b[2J30 / 30\r\x08") == "\\x1b[2J30 / 30\\x0d\\x08"
    assert escape.terminal("a\r\nb\tc") == "a\nb\tc"


@given(hostile_text)
def test_a_code_block_cannot_be_closed_from_inside(text: str) -> None:
    block = escape.markdown_code(text).split("\n")
    fence = block[0]
    assert set(fence) == {"`"} and len(fence) >= 3 and block[-1] == fence
    assert all(not line.lstrip().startswith(fence) for line in block[1:-1])
    assert _controls("\n".join(block)) == []


@given(hostile_text)
def test_inline_markdown_is_one_line_without_markup(text: str) -> None:
    inline = escape.markdown_inline(text)
    assert "\n" not in inline and _controls(inline, "") == []
    assert "<" not in inline and ">" not in inline
    for char in "`*_[]!|#~$":  # every one escaped by a backslash
        assert all(inline[i - 1] == "\\" for i, c in enumerate(inline) if c == char), (char, inline)


def test_inline_markdown_examples() -> None:
    assert escape.markdown_inline("![x](http://e.vil)") == "\\!\\[x\\](http://e.vil)"
    assert escape.markdown_inline("1. not a list") == "1\\. not a list"
    assert escape.markdown_inline("a\nb") == "a b"


@given(hostile_text)
def test_xml_text_parses_in_elements_and_attributes(text: str) -> None:
    element = ElementTree.Element("case", name=escape.xml(text))
    element.text = escape.xml(text)
    parsed = ElementTree.fromstring(ElementTree.tostring(element, encoding="unicode"))
    assert parsed.tag == "case"


def test_xml_replaces_what_xml_forbids_as_pytest_does() -> None:
    assert escape.xml("a\x00b\x08c\x1b") == "a#x00b#x08c#x1B"
    assert escape.xml("tab\tnl\n") == "tab\tnl\n"


@given(hostile_text)
def test_csv_cells_parse_and_start_no_formula(text: str) -> None:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([escape.csv_cell(text), "x"])
    (cell, other), = list(csv.reader(io.StringIO(buffer.getvalue())))
    assert other == "x" and not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


@given(hostile_text)
def test_html_text_holds_no_markup(text: str) -> None:
    shown = escape.html(text)
    assert "<" not in shown and ">" not in shown and '"' not in shown

    class Tags(html.parser.HTMLParser):
        found: list[str] = []

        def handle_starttag(self, tag: str, attrs: object) -> None:
            self.found.append(tag)

    parser = Tags()
    parser.feed(f"<p title=\"{shown}\">{shown}</p>")
    assert parser.found == ["p"]


@given(hostile_text)
def test_json_safe_documents_parse_strictly(text: str) -> None:
    doc = {text: [text, float("nan"), float("inf"), 1.5, {"k": (text,)}]}
    dumped = json.dumps(escape.json_safe(doc), ensure_ascii=False, allow_nan=False)
    dumped.encode("utf-8")
    json.loads(dumped)


@given(hostile_text)
def test_a_code_span_is_one_line_closed_only_by_its_own_run(text: str) -> None:
    span = escape.markdown_code_span(text)
    ticks = len(span) - len(span.lstrip("`"))
    inner = span[ticks:-ticks]
    assert "\n" not in span and span.endswith("`" * ticks) and _controls(span, "") == []
    assert all(len(run) != ticks for run in re.findall(r"`+", inner))
