"""Who handed in each entry of a batch's folder: the student id of a gradebook row.

Three layouts need no glue:
- one entry per student, named after them (`alice.zip`, `bob/`): the name;
- GitHub Classroom's clones, `ASSIGNMENT-USERNAME/`: the username, the
  assignment prefix being what every entry's name starts with;
- a Gradescope export ("Export Submissions"): `submission_123/` folders next
  to `submission_metadata.yml`, which names each one's submitters: their
  student ids (SID), else e-mail addresses, else names, joined with `;` for
  a group.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping, Sequence

from grader.text import file_name

GRADESCOPE_METADATA = "submission_metadata.yml"
MAX_METADATA_BYTES = 32 << 20  # a class of thousands is a few MiB


def entry_stem(name: str, is_file: bool = True) -> str:
    """A file's name without its suffixes (`alice.tar.gz` -> `alice`); a folder's name as is.

    >>> entry_stem("alice.tar.gz"), entry_stem("alice.smith", is_file=False)
    ('alice', 'alice.smith')
    """
    if not is_file:
        return name
    return re.sub(r"(\.[A-Za-z0-9]{1,5}){1,2}$", "", name) or name


def classroom_prefix(names: Sequence[str]) -> str:
    """The `ASSIGNMENT-` prefix that every entry's name shares (GitHub Classroom), or ''.

    Whole dash-separated words only, and never a whole name.

    >>> classroom_prefix(["cnn-hw-alice", "cnn-hw-bob-smith", "cnn-hw-carol"])
    'cnn-hw-'
    >>> classroom_prefix(["alice", "bob"]), classroom_prefix(["cnn-hw-alice"])
    ('', '')
    """
    stems = [n.split("-") for n in names]
    if len(stems) < 2:
        return ""  # one name alone cannot tell its prefix from a dashed username
    shared = 0
    while all(len(words) > shared + 1 for words in stems) and len({words[shared] for words in stems}) == 1:
        shared += 1
    return "".join(word + "-" for word in stems[0][:shared])


def gradescope_submitters(folder: Path) -> dict[str, str]:
    """`submission_123` -> its submitters' ids, from a Gradescope export's metadata ({} if none).

    The file is read with a size limit and YAML's safe loader; entries that do
    not have the expected shape are skipped.
    """
    path = folder / GRADESCOPE_METADATA
    try:
        if not path.is_file() or path.stat().st_size > MAX_METADATA_BYTES:
            return {}
        import yaml

        doc = yaml.safe_load(path.read_text(encoding="utf-8", errors="replace"))
    except Exception:  # noqa: BLE001 - unreadable, not YAML, too deep: ids from the names instead
        return {}
    if not isinstance(doc, Mapping):
        return {}
    found = {}
    for key, value in doc.items():
        ids = _submitters(value)
        if isinstance(key, str) and ids:
            found[key] = ";".join(ids)
    return found


def _submitters(value: Any) -> list[str]:
    if not isinstance(value, Mapping):
        return []
    people = value.get(":submitters", value.get("submitters"))
    if not isinstance(people, list):
        return []
    ids = []
    for person in people:
        if not isinstance(person, Mapping):
            continue
        for field in ("sid", "email", "name"):
            found = person.get(f":{field}", person.get(field))
            if found not in (None, ""):
                ids.append(str(found).strip())
                break
    return ids


def student_ids(folder: Path, entries: Sequence[Path]) -> dict[str, str]:
    """Each entry's student id (by entry name), by the layouts above."""
    submitters = gradescope_submitters(folder)
    # Decoded by the one policy first: a Windows-1252 name from an LMS export is its student's id as written.
    stems = {p.name: entry_stem(file_name(p.name), is_file=not p.is_dir()) for p in entries}
    prefix = "" if submitters else classroom_prefix(list(stems.values()))
    return {name: submitters.get(stem) or stem[len(prefix):] for name, stem in stems.items()}
