"""Notes grouped by cause: each cause once, with a count and where it happened.

A notebook's report lists every statement the grader did not run, and the
same few causes come back many times (19 plots and prints, each "not a
definition"). The readable reports (terminal, `report.md`, `report.html`)
show each cause once with its count and the first places; `report.json`
keeps every note as it was, for programs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# `cell 4, line 2: ...`, `cell 18: ...`, `file, line 57: ...`, optionally after a part's `cnn: `.
LOCATED = re.compile(r"^(?:(?P<part>cnn|srnet|pixel_shuffle): )?(?P<where>(?:cell \d+|file)(?:, line \d+)?): (?P<rest>.*)$",
                     re.DOTALL)  # fmt: skip
DROPPED = re.compile(r"^dropped `.*?`(?:: (?P<reason>.+))?$", re.DOTALL)
REPLACED = re.compile(r"^`.*?` is replaced by the definition at .+$", re.DOTALL)
CELL_MAGIC = re.compile(r"^dropped \(cell magic (?P<magic>\S+)\)$")
NOT_A_DEFINITION = "not run: not a definition (training, plots, prints, shell commands)"
SHOWN_PLACES = 6


@dataclass(frozen=True)
class NoteGroup:
    """One cause, and the places (cells, lines, parts) where it came up, in report order."""

    cause: str
    places: tuple[str, ...]
    first: str  # the first note of the group, as written: shown whole when it is the only one

    @property
    def count(self) -> int:
        return max(len(self.places), 1)

    def text(self) -> str:
        """`cause (3 times: cell 4 line 2, cell 5 line 1, cell 9 line 3)`, or the cause alone."""
        if not self.places:
            return self.cause
        shown = ", ".join(self.places[:SHOWN_PLACES])
        more = f", and {len(self.places) - SHOWN_PLACES} more" if len(self.places) > SHOWN_PLACES else ""
        if len(self.places) == 1:
            return self.first
        return f"{self.cause} ({len(self.places)} times: {shown}{more})"


def group_notes(notes: tuple[str, ...] | list[str]) -> tuple[NoteGroup, ...]:
    """Notes with the same cause merged, in the order each cause first appears.

    >>> [g.text() for g in group_notes(["cell 2, line 1: dropped `plt.show()`",
    ...                                 "cell 3, line 4: dropped `print(x)`", "network is off"])]
    ['not run: not a definition (training, plots, prints, shell commands) (2 times: cell 2 line 1, cell 3 line 4)', \
'network is off']
    """
    places: dict[str, list[str]] = {}
    first: dict[str, str] = {}
    for note in notes:
        cause, place = _cause(note)
        bucket = places.setdefault(cause, [])
        first.setdefault(cause, note)
        if place and place not in bucket:
            bucket.append(place)
    return tuple(NoteGroup(cause, tuple(where), first[cause]) for cause, where in places.items())


def grouped_texts(notes: tuple[str, ...] | list[str]) -> list[str]:
    return [group.text() for group in group_notes(notes)]


def _cause(note: str) -> tuple[str, str]:
    """The note's cause (what would read the same at every place) and its place, if any."""
    match = LOCATED.match(note)
    if match is None:
        part, _, rest = note.partition(": ")
        if part in ("cnn", "srnet", "pixel_shuffle") and rest:
            return rest, part  # the same limit met by several parts
        return note, ""
    where = match.group("where").replace(", line", " line")
    rest = match.group("rest")
    if match.group("part"):
        where = f"{match.group('part')} {where}"
    dropped = DROPPED.match(rest)
    if dropped:
        reason = dropped.group("reason")
        return (f"not run: {reason}" if reason else NOT_A_DEFINITION), where
    if REPLACED.match(rest):
        return "a definition replaced by a later one of the same name (the last one counts)", where
    magic = CELL_MAGIC.match(rest)
    if magic:
        return f"cell not run (cell magic {magic.group('magic')})", where
    return f"{where}: {rest}", ""  # a syntax error and the like: kept whole, each one matters
