"""`report.json`, the contract's machine-readable report."""

from __future__ import annotations

import json
import os
from pathlib import Path

from grader.results import Report

FILENAME = "report.json"


def write(report: Report, out_dir: Path) -> Path:
    """Write atomically, so an interrupted batch never leaves half a report behind."""
    path = out_dir / FILENAME
    tmp = out_dir / f".{FILENAME}.tmp"
    tmp.write_text(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path
