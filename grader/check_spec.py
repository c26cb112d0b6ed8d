"""One check's settings as the rubric gives them: what a check function reads.

Its own module so that the checks need nothing of the rubric's loading and
validation, and the rubric nothing of the checks (see tests/test_import_graph.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping


@dataclass(frozen=True)
class CheckSpec:
    """One check's settings: `spec.param("threshold")`."""

    name: str
    points: float
    visibility: str
    params: Mapping[str, Any]

    @property
    def part(self) -> str:
        return self.name.split(".", 1)[0]

    def param(self, key: str) -> Any:
        return self.params[key]
