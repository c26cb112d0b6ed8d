"""A training curve that does not fall gets its likely cause named."""

from __future__ import annotations

import math

import pytest

from grader.checks.training_loss import relative_drop
from grader.diagnosis.training import diagnose_losses


@pytest.mark.parametrize(("losses", "kind"), [
    ([2.3, 2.1, math.nan, math.nan], "training.nan"),
    ([2.30, 2.31, 2.29, 2.30, 2.31, 2.30, 2.29, 2.31, 2.30, 2.30], "training.not_learning"),
    ([2.3, 2.5, 3.0, 4.0, 6.0, 9.0, 14.0, 20.0, 31.0, 40.0], "training.diverges"),
    ([2.3, 2.3, 2.2, 2.2, 2.1, 2.1, 2.0, 2.0, 1.95, 1.95], "training.slow"),
    ([2.3, 2.0, 1.5, 1.0, 0.8, 0.6, 0.5, 0.4, 0.35, 0.3], None),
])  # fmt: skip
def test_each_curve_gets_its_cause(losses: list[float], kind: str | None) -> None:
    diagnosis = diagnose_losses(losses, relative_drop(losses, 3), 0.2)
    assert (diagnosis.kind if diagnosis else None) == kind
