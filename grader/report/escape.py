"""One escaper per reader of the reports: terminal, Markdown, XML, CSV, HTML, JSON.

Submission text (file names, messages, tracebacks, notebook quotes) reaches
every report. Each reader is attacked differently: a terminal runs escape
sequences (clear the screen, print a fake score, write the clipboard), a
Markdown viewer renders links, HTML and the text after a closed code fence,
an XML parser stops at a NUL, a spreadsheet runs a cell starting with `=`.
So each writer passes submission text through the function for its reader,
and every function first applies `grader.text.clean` (no lone surrogates).
Control characters are shown, not dropped: `\\x1b` stays visible as four
characters, so the student and the instructor see what was there.
"""

from __future__ import annotations

import html as _html
import math
import re
from typing import Any

from grader.text import clean

# C0 and C1 controls except tab and newline, DEL, and the Unicode marks that reorder text
# (bidirectional overrides and isolates, "Trojan Source") or hide it, and the line and paragraph separators.
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
# Characters XML 1.0 forbids, even escaped (pytest's JUnit writer replaces them the same way).
XML_ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Inline Markdown: characters that can start a link, image, code span, emphasis, HTML, a table
# cell, a heading, strikethrough or math; the others are harmless in running text.
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]!|#~$])")
MARKDOWN_LINE_START = re.compile(r"^(\s*\d*)([-+>=.)])")  # a list item, quote or heading line
FORMULA_START = ("=", "+", "-", "@", "\t")  # spreadsheets run such a cell as a formula


def visible(char: str) -> str:
    """A control character as the escape that names it: `\\x1b`, `\\u202e`."""
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def show_controls(text: str, keep: str = "\t\n") -> str:
    """`text` cleaned, every control character but those in `keep` written as its escape.

    >>> show_controls("30 / 30\\x1b[2J\\r")
    '30 / 30\\\\x1b[2J\\\\x0d'
    """
    text = clean(text).replace("\r\n", "\n")
    return CONTROLS.sub(lambda m: m.group() if m.group() in keep else visible(m.group()), text)


def terminal(text: str) -> str:
    """Safe to print: no escape sequences, no carriage return or backspace that overwrite a line."""
    return show_controls(text)


def markdown_inline(text: str) -> str:
    """Running Markdown text on one line: markup escaped, HTML escaped, newlines as spaces.

    >>> markdown_inline("![x](http://e.vil) <b>*30 / 30*</b>")
    '\\\\!\\\\[x\\\\](http://e.vil) &lt;b&gt;\\\\*30 / 30\\\\*&lt;/b&gt;'
    """
    text = show_controls(re.sub(r"[\r\n\t]+", " ", clean(text)))
    text = _html.escape(text, quote=False)
    text = MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return MARKDOWN_LINE_START.sub(r"\1\\\2", text)


def markdown_code_span(text: str) -> str:
    """Inline code on one line, delimited by a backtick run longer than any inside.

    >>> markdown_code_span("cnn.accuracy"), markdown_code_span("a`b")
    ('`cnn.accuracy`', '``a`b``')
    """
    body = show_controls(re.sub(r"[\r\n\t]+", " ", clean(text)))
    ticks = "`" * (max((len(run) for run in re.findall(r"`+", body)), default=0) + 1)
    pad = " " if not body.strip(" ") or body.startswith("`") or body.endswith("`") else ""
    return f"{ticks}{pad}{body}{pad}{ticks}"


def markdown_code(text: str) -> str:
    """A fenced code block holding `text` verbatim: its fence is longer than any run of
    backticks inside, so the text cannot close it and write Markdown of its own.

    >>> markdown_code("a ``` b")
    '````\\na ``` b\\n````'
    """
    body = show_controls(text)
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{body}\n{fence}"


def xml(text: str) -> str:
    """Text an XML 1.0 parser accepts: each forbidden character becomes `#xNN`
    (ElementTree escapes `&`, `<`, `>` and quotes itself).

    >>> xml("a\\x00b\\x08")
    'a#x00b#x08'
    """

    def replace(match: re.Match[str]) -> str:
        code = ord(match.group())
        return f"#x{code:02X}" if code <= 0xFF else f"#x{code:04X}"

    return XML_ILLEGAL.sub(replace, clean(text))


def csv_cell(text: str) -> str:
    """A gradebook cell: controls shown, and a leading `=`, `+`, `-`, `@` or tab made inert
    with a quote, as spreadsheets expect (OWASP's CSV injection advice).

    >>> csv_cell("=HYPERLINK(\\"http://e.vil\\")"), csv_cell("alice")
    ('\\'=HYPERLINK("http://e.vil")', 'alice')
    """
    text = show_controls(text, keep="\n")
    return "'" + text if text.startswith(FORMULA_START) else text


def html(text: str) -> str:
    """Text for an HTML element or a quoted attribute: markup and controls escaped."""
    return _html.escape(show_controls(text), quote=True)


def json_safe(value: Any) -> Any:
    """A JSON document every parser accepts: strings cleaned (no lone surrogates), keys made
    strings, NaN and infinities (which strict parsers refuse) as null."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {clean(str(key)): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    return value
