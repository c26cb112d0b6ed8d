"""Every check, in report order, and their rubric parameters."""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

from grader.checks import cnn, pixel_shuffle, srnet
from grader.checks.registry import Check, evaluate

ALL_CHECKS: tuple[Check, ...] = cnn.CHECKS + srnet.CHECKS + pixel_shuffle.CHECKS


def checks_for(part: str) -> tuple[Check, ...]:
    return tuple(c for c in ALL_CHECKS if c.part == part)


def declared_params() -> Mapping[str, Mapping[str, type]]:
    """Check name -> the rubric parameters it takes (besides points and visibility)."""
    return MappingProxyType({c.name: c.params for c in ALL_CHECKS})


__all__ = ["ALL_CHECKS", "Check", "checks_for", "declared_params", "evaluate"]
