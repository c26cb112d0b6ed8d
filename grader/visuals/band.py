"""The band the reference's training runs span, per step, from the stored calibration runs.

`grader/data/loss_bands.json` holds, for each training budget the shipped
and test rubrics and the self-check use, the lowest and highest loss of
every step over several seeds of the reference solution, trained exactly as
a grade trains a submission (`python -m grader.visuals.reference_runs`
writes it). A budget with no stored band gets none: the report says so.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Any

from grader.visuals import LossBand

BANDS_FILE = Path(__file__).resolve().parent.parent / "data" / "loss_bands.json"


def band_for(part: str, steps: int, lr: Any, data_source: str, path: Path = BANDS_FILE) -> LossBand | None:
    """The stored band of `part` trained `steps` steps at `lr` on `data_source`, if there is one."""
    for entry in _entries(str(path)):
        if (entry.get("part") == part and entry.get("steps") == steps and entry.get("data") == data_source
                and isinstance(lr, (int, float)) and math.isclose(float(entry.get("lr", -1)), float(lr))):  # fmt: skip
            low, high = entry.get("low"), entry.get("high")
            if isinstance(low, list) and isinstance(high, list) and len(low) == len(high) == steps:
                return LossBand(tuple(map(float, low)), tuple(map(float, high)), int(entry.get("runs", 0)),
                                str(entry.get("source", "reference solution")))  # fmt: skip
    return None


@lru_cache(maxsize=4)
def _entries(path: str) -> tuple[dict[str, Any], ...]:
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ()
    bands = doc.get("bands") if isinstance(doc, dict) else None
    return tuple(entry for entry in bands or () if isinstance(entry, dict))
