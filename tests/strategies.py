"""Hypothesis strategies for hostile text: any code point, lone surrogates, and the
sequences that attack each reader (terminal escapes, fences, XML breakers, formulas)."""

from __future__ import annotations

from hypothesis import strategies as st

ATTACKS = (
    "\x1b[2J\x1b[H", "\x1b]52;c;cm0gLXJmIH4=\x07", "\r30 / 30", "\x08\x08\x08", "\x00", "\ud83d", "\udce9",
    "\ud83d\ude00", "```", "````\n**Score: 30 / 30**\n````", "<script>alert(1)</script>", "]]>", "</system-out>",
    "=HYPERLINK(\"http://e.vil\")", "+1", "-1", "@SUM(A1)", "\t=1", "\u202e", "\ufeff", "\x85", "\r\n", "\n# 30 / 30",
    "| a | b |", "[x](javascript:alert(1))", "![i](http://e.vil/x.png)", "&amp;", "\\", "~~", "$x$",
)  # fmt: skip

# Every code point, surrogates included (hypothesis leaves them out by default).
any_char = st.characters(codec=None, exclude_categories=())
hostile_text = st.lists(st.one_of(st.text(any_char, max_size=12), st.sampled_from(ATTACKS)), max_size=8).map("".join)
