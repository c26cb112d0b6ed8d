"""Training lowers the loss: the quickest sign that gradients reach the layers.

These checks read the training runs of `cnn.accuracy` and `srnet.psnr` (whose
rubric entries set the number of steps), so `grade` gets them for free and
`cnn-grader check` runs them with a few steps only, for a verdict in seconds.
The loss they judge is the grader's own: its network with the initial and the
final weights of the run, on the same training batches (the first and last
`window` of the run). Only when the weights do not fit the contract's network do
they fall back to the losses the child reported, and say so.
"""

from __future__ import annotations

import math
from typing import Sequence

from grader.checks.registry import check, linear_credit, scored
from grader.diagnosis.training import diagnose_losses
from grader.observations import Seen
from grader.check_spec import CheckSpec
from grader.parts import cnn as cnn_part
from grader.parts import srnet as srnet_part
from grader.parts.cnn import CnnPlan
from grader.parts.srnet import SrnetPlan
from grader.results import CheckResult, Diagnosis
from grader.trained import Provenance


@check("cnn.loss_decreases", probe="train", window=int, min_drop=float)
def cnn_loss_decreases(seen: Seen, plan: CnnPlan, spec: CheckSpec) -> CheckResult:
    provenance = cnn_part.trained(seen, plan).provenance
    return _judge_measured(provenance, spec, "cross-entropy loss", "AdamW", plan.steps)


@check("srnet.loss_decreases", probe="train", window=int, min_drop=float)
def srnet_loss_decreases(seen: Seen, plan: SrnetPlan, spec: CheckSpec) -> CheckResult:
    provenance = srnet_part.trained(seen, plan).provenance
    return _judge_measured(provenance, spec, "MSE loss", "Adam", plan.steps)


def _judge_measured(provenance: Provenance, spec: CheckSpec, what: str, optimizer: str, steps: int) -> CheckResult:
    """The grader's own loss before and after the run; the child's list only when there is no other."""
    if provenance.problem:
        fraction, output, value, diagnosis = _reported_drop(provenance.losses, spec, what, optimizer)
        note = f"\n(as the training run reported it: the grader could not measure it, {provenance.problem})"
        return scored(spec, fraction, output + note, value, diagnosis)
    run = f"{steps} {optimizer} steps"
    needed = float(spec.param("min_drop"))
    drop = provenance.loss_drop
    measured = (f"the grader's {what} of your network {provenance.initial_loss:.4g} before and "
                f"{provenance.final_loss:.4g} after {run}, on the same batches")  # fmt: skip
    if not math.isfinite(drop):
        return scored(spec, 0.0, f"{measured}: they cannot be compared", None,
                      diagnose_losses(provenance.losses, drop, needed))  # fmt: skip
    refused = provenance.initial or (provenance.replay.text() if provenance.replay and not provenance.replay.ok else "")
    verdict = f"{'down' if drop >= 0 else 'up'} {abs(drop):.0%}, at least {needed:.0%} down expected"
    if refused:
        return scored(spec, 0.0, f"{measured} ({verdict}), but {refused}", drop, provenance.diagnosis())
    return scored(spec, linear_credit(drop, 0.0, needed), f"{measured}: {verdict}", drop,
                  diagnose_losses(provenance.losses, drop, needed))  # fmt: skip


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
    """Judge a list of per-step losses (the child's): the first `window` against the last."""
    return scored(spec, *_reported_drop(raw, spec, what, optimizer))


def _reported_drop(raw: Sequence[float], spec: CheckSpec, what: str,
                   optimizer: str) -> tuple[float, str, float | None, Diagnosis | None]:  # fmt: skip
    losses = list(raw)
    window, needed = int(spec.param("window")), float(spec.param("min_drop"))
    drop = relative_drop(losses, window)
    if not math.isfinite(drop):
        return (0.0, f"{what} could not be compared over {len(losses)} {optimizer} steps: {_shown(losses)}", None,
                diagnose_losses(losses, drop, needed))  # fmt: skip
    shown = min(window, len(losses) // 2)
    verdict = "down" if drop >= 0 else "up"
    return (
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
