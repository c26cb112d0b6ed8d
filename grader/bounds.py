"""Bounds on reading a submission in the parent: its size, its nesting and the time it takes.

Staging runs in the grader's own process, on untrusted text: a notebook's
JSON, the code of its cells, the source the static checks read. So that no
submission can stall or crash the grader there, every reader
- refuses code larger than MAX_CODE_BYTES (honest assignments hold a few
  dozen KiB) and notebooks of more than MAX_CELLS cells;
- parses Python with `parse_python`, which turns the RecursionError,
  MemoryError and ValueError that deep nesting or NUL bytes cause into a
  SyntaxError saying so, like any other code that does not parse;
- works in time linear in the size of the text, and checks a `Budget` of
  STAGING_TIME_S seconds as it goes.
A submission past a bound is refused with a message saying which, and
still gets a report.
"""

from __future__ import annotations

import ast
import time
from dataclasses import dataclass, field

MAX_CODE_BYTES = 2 << 20  # 2 MiB: honest notebooks hold a few dozen KiB; reading 2 MiB takes seconds
MAX_CELLS = 5000
STAGING_TIME_S = 60.0


class BoundExceeded(ValueError):
    """A submission past one of the bounds; the message names the bound, for the student."""


@dataclass
class Budget:
    """The time staging may take, checked between steps (`check`) rather than enforced from
    outside: every step is bounded by the size limits, so the checks come often enough."""

    seconds: float = STAGING_TIME_S
    started: float = field(default_factory=time.monotonic)

    def check(self, doing: str) -> None:
        if time.monotonic() - self.started > self.seconds:
            raise BoundExceeded(f"reading the submission took more than {self.seconds:g} s (while {doing}); "
                                "the grader stopped there")  # fmt: skip


def check_code_size(total: int, what: str) -> None:
    """Refuse `what` when it holds more than MAX_CODE_BYTES of code."""
    if total > MAX_CODE_BYTES:
        raise BoundExceeded(f"{what} holds {total / (1 << 20):.1f} MiB of code, more than the "
                            f"{MAX_CODE_BYTES >> 20} MiB the grader reads")  # fmt: skip


def parse_python(source: str, filename: str = "<unknown>") -> ast.Module:
    """`ast.parse`, raising only SyntaxError: also for code nested too deeply for the parser
    (RecursionError, MemoryError) and for NUL bytes (ValueError on Python 3.11).

    >>> parse_python("x = " + "-" * 100_000 + "1")
    Traceback (most recent call last):
    ...
    SyntaxError: the code is nested too deeply for the grader to read
    """
    try:
        return ast.parse(source, filename=filename)
    except (RecursionError, MemoryError):
        raise SyntaxError("the code is nested too deeply for the grader to read", (filename, 1, 1, "")) from None
    except ValueError as exc:  # "source code string cannot contain null bytes"
        raise SyntaxError(str(exc), (filename, 1, 1, "")) from None
