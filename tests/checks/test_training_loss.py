"""The loss checks: training must lower the loss, by the rubric's fraction."""

from __future__ import annotations

import math
from types import MappingProxyType

import pytest

from grader.checks.training_loss import _judge, relative_drop
from grader.results import Status
from grader.rubric import CheckSpec

SPEC = CheckSpec("cnn.loss_decreases", 1.0, "visible", MappingProxyType({"window": 2, "min_drop": 0.2}))


@pytest.mark.parametrize(
    ("losses", "drop"),
    [([2.0, 2.0, 1.0, 1.0], 0.5), ([1.0, 1.0, 2.0, 2.0], -1.0), ([3.0, 1.0], 2 / 3), ([2.0], math.nan),
     ([float("nan"), 1.0, 1.0, 1.0], math.nan)],  # fmt: skip
)
def test_relative_drop(losses: list[float], drop: float) -> None:
    got = relative_drop(losses, window=2)
    assert (math.isnan(got) and math.isnan(drop)) or got == pytest.approx(drop)


def test_a_falling_loss_passes_a_rising_or_broken_one_fails() -> None:
    passed = _judge([2.3, 2.2, 1.4, 1.2], SPEC, "cross-entropy loss", "AdamW")
    assert passed.status is Status.PASSED and passed.score == 1.0
    assert "2.300 -> 1.200 over 4 AdamW steps (mean of the first 2 vs the last 2): down 42%" in passed.output
    rising = _judge([1.0, 1.0, 1.5, 2.0], SPEC, "MSE loss", "Adam")
    assert rising.status is Status.FAILED and "up 75%" in rising.output
    partial = _judge([1.0, 1.0, 0.9, 0.9], SPEC, "MSE loss", "Adam")
    assert partial.status is Status.PARTIAL and partial.score == pytest.approx(0.5)
    broken = _judge([float("nan"), float("nan"), 1.0, 1.0], SPEC, "MSE loss", "Adam")
    assert broken.status is Status.FAILED and "could not be compared" in broken.output
