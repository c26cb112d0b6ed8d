"""Write generated files (a release, a CI workflow) all or nothing, never over someone's edits.

A file whose content is already what would be written is left alone, so
repeating a command changes nothing. A file with other content is someone's
work (an instructor's edits, a student's notebook): it is replaced only
when asked (`force`), and otherwise nothing at all is written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Generated:
    """One file to write: its path relative to the target folder, and its bytes."""

    name: str
    data: bytes

    @property
    def text(self) -> str:
        return self.data.decode("utf-8")


@dataclass(frozen=True)
class Written:
    path: Path
    state: str  # "wrote", "replaced" or "unchanged"


class WouldOverwrite(FileExistsError):
    """Files with other content are in the way; the message names them and `--force`."""


def write_generated(folder: Path, files: list[Generated], force: bool = False) -> list[Written]:
    """Write `files` under `folder`: all of them, or none when one would replace other content."""
    states = [(folder / f.name, f, _state(folder / f.name, f.data)) for f in files]
    blocked = [str(path) for path, _, state in states if state == "replaced" and not force]
    if blocked:
        raise WouldOverwrite(f"{', '.join(blocked)} already exist{'s' if len(blocked) == 1 else ''} with other "
                             "content; use --force to replace (edits there are lost)")  # fmt: skip
    for path, generated, state in states:
        if state != "unchanged":
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_bytes(generated.data)
            os.replace(tmp, path)
    return [Written(path, state) for path, _, state in states]


def _state(path: Path, data: bytes) -> str:
    if path.is_symlink() or (path.exists() and not path.is_file()):
        return "replaced"  # something else is there: never follow a link or remove a folder silently
    if not path.exists():
        return "wrote"
    return "unchanged" if path.read_bytes() == data else "replaced"
