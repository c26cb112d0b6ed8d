"""Grade every submission in a folder, resumably, into a gradebook."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Callable

import grader
from grader.fingerprint import fingerprint
from grader.grading import Session, grade
from grader.report import write_all
from grader.report.gradebook import Row
from grader.report.gradebook import write as write_gradebook
from grader.results import Report, report_from_dict

SUBMISSION_SUFFIXES = (".zip", ".ipynb", ".py")


def find_submissions(folder: Path) -> list[Path]:
    """Folders, zips, notebooks and .py files directly inside `folder`, sorted by name."""
    return sorted(
        p for p in folder.iterdir()
        if not p.name.startswith(".") and not p.is_symlink()
        and (p.is_dir() or p.suffix.lower() in SUBMISSION_SUFFIXES)
    )  # fmt: skip


def report_folder_name(path: Path) -> str:
    """A safe folder name for a submission's report: `alice.zip` -> `alice`."""
    stem = path.name if path.is_dir() else path.stem
    return re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._") or "submission"


def grade_batch(
    folder: Path,
    out_dir: Path,
    session: Session,
    progress: Callable[[str, Report, str], None] | None = None,
    show_hidden: bool = False,
) -> Path:
    """Grade each submission into `out_dir/NAME/`, reuse unchanged ones, write the gradebook.

    `show_hidden` keeps hidden checks' details in each `report.md` and `junit.xml`.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    settings = _settings(session)
    rows = []
    used: set[str] = set()
    for path in find_submissions(folder):
        name = _unique(report_folder_name(path), used)
        target = out_dir / name
        stamp = fingerprint(path, settings)
        report = _stored(target, stamp)
        state = "reused"
        if report is None:
            try:
                report = grade(path, session=session)
            except Exception as exc:  # noqa: BLE001 - one bad submission must not stop the batch
                rows.append(Row(path.name, name, None, f"not graded: internal error ({type(exc).__name__}: {exc})"))
                write_gradebook(rows, out_dir)
                continue
            report = replace(report, sandbox={**report.sandbox, "fingerprint": stamp})
            write_all(report, target, show_hidden)
            state = "graded"
        rows.append(Row(path.name, name, report, state))
        if progress is not None:
            progress(path.name, report, state)
        # Rewritten after every submission: an interrupted batch keeps its gradebook.
        write_gradebook(rows, out_dir)
    return write_gradebook(rows, out_dir)


def _settings(session: Session) -> str:
    return json.dumps(
        {
            "grader": grader.__version__,
            "rubric": repr(session.rubric),
            "seed": session.seed,
            "device": session.device,
            "parts": list(session.options.parts),
            "mnist": str(session.options.mnist_root),
            "sr": str(session.options.sr_root),
        },
        sort_keys=True,
    )


def _stored(target: Path, stamp: str) -> Report | None:
    path = target / "report.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc.get("sandbox", {}).get("fingerprint") == stamp:
            return report_from_dict(doc)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return None


def _unique(name: str, used: set[str]) -> str:
    candidate, n = name, 1
    while candidate in used:
        n += 1
        candidate = f"{name}-{n}"
    used.add(candidate)
    return candidate
