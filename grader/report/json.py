"""`report.json`, the contract's machine-readable report."""

from __future__ import annotations

import json
import os
from pathlib import Path

from grader.report.escape import json_safe
from grader.results import Report

FILENAME = "report.json"


def render(report: Report) -> str:
    """Strict JSON: no lone surrogates, no NaN (see `escape.json_safe`)."""
    return json.dumps(json_safe(report.to_dict()), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write(report: Report, out_dir: Path) -> Path:
    """Write atomically, so an interrupted batch never leaves half a report behind, nor a
    temporary file."""
    path = out_dir / FILENAME
    text = render(report)
    tmp = out_dir / f".{FILENAME}.tmp"
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
