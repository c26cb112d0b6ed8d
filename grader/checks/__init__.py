"""Every check, in report order, and their rubric parameters."""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

from grader.checks import cnn, pixel_shuffle, srnet, training_loss
from grader.checks.registry import Check, evaluate
from grader.results import PARTS

# Grouped by part (a stable sort keeps each module's order): the loss checks join their part.
ALL_CHECKS: tuple[Check, ...] = tuple(
    sorted(cnn.CHECKS + srnet.CHECKS + pixel_shuffle.CHECKS + training_loss.CHECKS, key=lambda c: PARTS.index(c.part))
)


def checks_for(part: str) -> tuple[Check, ...]:
    return tuple(c for c in ALL_CHECKS if c.part == part)


def declared_params() -> Mapping[str, Mapping[str, type]]:
    """Check name -> the rubric parameters it takes (besides points and visibility)."""
    return MappingProxyType({c.name: c.params for c in ALL_CHECKS})


__all__ = ["ALL_CHECKS", "Check", "checks_for", "declared_params", "evaluate"]
