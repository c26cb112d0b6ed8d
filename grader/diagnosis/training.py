"""Why a training run's loss did not fall as the reference's does, read from its curve.

The grader's own loop trains the submission (the optimiser, learning rate
and `zero_grad` are the grader's), so a curve that stays flat, rises or
turns NaN says what the network does to its gradients; the candidates are
the curves those mistakes give.
"""

from __future__ import annotations

import math
from typing import Sequence

from grader.results import Diagnosis


def diagnose_losses(losses: Sequence[float], drop: float, needed: float) -> Diagnosis | None:
    """The likely cause of a loss that fell by `drop` (a fraction; NaN if unknown) instead of `needed`."""
    bad = next((i for i, v in enumerate(losses) if not math.isfinite(v)), None)
    if bad is not None:
        return Diagnosis("training.nan", f"the loss became NaN or infinite at step {bad + 1} of {len(losses)}: the "
                         "outputs overflow (a hand-written exp or log of the logits, a division by a value that "
                         "reaches 0, outputs far larger than the reference's, which act like a learning rate far "
                         "too high)")  # fmt: skip
    if not losses or not math.isfinite(drop) or drop >= needed:
        return None
    if drop < -0.05:
        return Diagnosis("training.diverges", f"the loss rises by {-drop:.0%}: the updates overshoot, as with a "
                         "learning rate far too high, or gradients that add up from step to step (no zero_grad: a "
                         "model that keeps its own graph or state between calls)")  # fmt: skip
    if abs(drop) < max(needed / 4, 0.02):
        return Diagnosis("training.not_learning", "the loss does not fall: the optimiser cannot change what the "
                         "network outputs (a detached graph: .detach(), .data or torch.no_grad() in forward; layers "
                         "created inside forward or kept in a plain list, which the optimiser never sees), or the "
                         "steps are far too small, as with a learning rate near 0")  # fmt: skip
    return Diagnosis("training.slow", f"the loss falls by {drop:.0%} only: the network learns much slower than the "
                     "reference (softmax applied to the outputs before the loss, a missing activation, or "
                     "outputs scaled down, which act like a learning rate too low)")  # fmt: skip
