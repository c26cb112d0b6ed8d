"""Training lowers the loss: the quickest sign that gradients reach the layers.

These checks read the training runs of `cnn.accuracy` and `srnet.psnr` (whose
rubric entries set the number of steps), so `grade` gets them for free and
`cnn-grader check` runs them with a few steps only, for a verdict in seconds.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from grader.checks.registry import check, linear_credit, scored
from grader.diagnosis.training import diagnose_losses
from grader.observations import Seen
from grader.observations.cnn import CnnTraining
from grader.observations.srnet import SrnetTraining
from grader.results import CheckResult
from grader.check_spec import CheckSpec


@check("cnn.loss_decreases", probe="train", window=int, min_drop=float)
def cnn_loss_decreases(seen: Seen, plan: Any, spec: CheckSpec) -> CheckResult:
    return _judge(seen.of(CnnTraining).losses, spec, "cross-entropy loss", "AdamW")


@check("srnet.loss_decreases", probe="train", window=int, min_drop=float)
def srnet_loss_decreases(seen: Seen, plan: Any, spec: CheckSpec) -> CheckResult:
    return _judge(seen.of(SrnetTraining).losses, spec, "MSE loss", "Adam")


def relative_drop(losses: Sequence[float], window: int) -> float:
    """1 - mean(last `window` losses) / mean(first `window`); NaN when it cannot be told.

    >>> relative_drop([2.0, 2.0, 1.5, 1.0, 1.0], window=2)
    0.5
    """
    window = min(window, len(losses) // 2)
    if window < 1:
        return math.nan
    first = sum(losses[:window]) / window
    last = sum(losses[-window:]) / window
    if not (math.isfinite(first) and math.isfinite(last)) or first <= 0:
        return math.nan
    return 1.0 - last / first


def _judge(raw: Sequence[float], spec: CheckSpec, what: str, optimizer: str) -> CheckResult:
    losses = list(raw)
    window, needed = int(spec.param("window")), float(spec.param("min_drop"))
    drop = relative_drop(losses, window)
    if not math.isfinite(drop):
        return scored(spec, 0.0, f"{what} could not be compared over {len(losses)} {optimizer} steps: "
                      f"{_shown(losses)}", None, diagnose_losses(losses, drop, needed))  # fmt: skip
    shown = min(window, len(losses) // 2)
    verdict = "down" if drop >= 0 else "up"
    return scored(
        spec,
        linear_credit(drop, 0.0, needed),
        f"{what} {_shown(losses)} over {len(losses)} {optimizer} steps (mean of the first {shown} vs the last "
        f"{shown}): {verdict} {abs(drop):.0%}, at least {needed:.0%} down expected",
        drop,
        diagnose_losses(losses, drop, needed),
    )


def _shown(losses: list[float]) -> str:
    if not losses:
        return "(no losses reported)"
    return f"{losses[0]:.3f} -> {losses[-1]:.3f}"


CHECKS = (cnn_loss_decreases, srnet_loss_decreases)
