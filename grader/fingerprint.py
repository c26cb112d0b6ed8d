"""A content hash of a submission and the settings it was graded with.

A batch reuses a stored report only when the fingerprint matches, so an
edited submission, another rubric or another grader version is regraded.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def fingerprint(submission: Path, settings: str) -> str:
    """sha256 over the file names and bytes under `submission`, plus `settings`."""
    digest = hashlib.sha256(settings.encode("utf-8"))
    path = Path(submission)
    files = [path] if path.is_file() else sorted(
        Path(root) / name for root, _, names in os.walk(path) for name in names
    )  # fmt: skip
    for file in files:
        if file.is_symlink() or not file.is_file():
            continue
        # os.fsencode: the name's bytes as on disk, also when they are not UTF-8 (Latin-1 from Windows)
        digest.update(os.fsencode(file.relative_to(path) if path.is_dir() else file.name))
        with open(file, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()
