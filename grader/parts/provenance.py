"""Where a part's trained weights come from: the parent-side steps the two training parts
share between receiving a training run (`grader.observations.common.TrainingRun`) and
scoring the weights it ends with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping

import numpy as np

from grader.observations.common import TrainingRun
from grader.parts.context import PlanContext
from grader.replay import LossFactory, ReplaySettings, checkpoints_from, choose_segments, digest, replay
from grader.trained import Provenance

if TYPE_CHECKING:  # torch is imported when a run is verified, not when plans are loaded
    from grader.training import Checkpoint, Recipe


def replay_settings_for(ctx: PlanContext, check: str) -> ReplaySettings:
    """The replay settings of a training check's rubric entry; the segment seed comes from the grading seed."""
    spec = ctx.rubric.spec(check)
    return ReplaySettings(
        every=int(spec.param("checkpoint_every")),
        segments=int(spec.param("replay_segments")),
        tolerance=float(spec.param("replay_tolerance")),
        seed=ctx.seed_for(f"{check}.replay"),
        threads=ctx.rubric.threads,
        device=ctx.device,
    )


@dataclass(frozen=True)
class RunSetup:
    """What the parent knows of a part's training run without asking the child."""

    shapes: Mapping[str, tuple[int, ...]]  # the contract's parameters, in order
    recipe: Recipe
    order: np.ndarray  # the batch of each step
    make_loss: LossFactory  # the grader's own network and loss on the training data
    settings: ReplaySettings
    window: int  # the loss is measured on the first and last `window` batches


def usable_checkpoints(run: TrainingRun, setup: RunSetup, model: str) -> tuple[list[Checkpoint], str]:
    """The run's checkpoints, or none and why the weights cannot be evaluated."""
    from grader.training import checkpoint_steps

    if not run.matched:
        return [], f"{model}'s parameters do not fit the contract's ({run.mapping}; see the architecture check)"
    steps = checkpoint_steps(setup.recipe.steps, setup.settings.every)
    try:
        return checkpoints_from(run.weights, run.exp_avg, run.exp_avg_sq, steps, setup.shapes), ""
    except ValueError as exc:
        return [], f"unusable training run from the submission: {exc}"


def verify(run: TrainingRun, checkpoints: list[Checkpoint], setup: RunSetup, initial: str) -> Provenance:
    """The grader's loss before and after training and, unless the initialisation is refused
    (`initial` says why), the replay of the run's segments."""
    import torch

    from grader.training import replay_settings

    names = list(setup.shapes)
    batches = measured_batches(setup.order, setup.window)
    with replay_settings(setup.settings.threads):
        with torch.no_grad():
            before, after = (measured_loss(setup, names, c.weights, batches) for c in (checkpoints[0], checkpoints[-1]))
        verdict = None
        if not initial:
            segments = choose_segments(len(checkpoints) - 1, setup.settings.segments, setup.settings.seed,
                                       digest(np.asarray(run.weights)))  # fmt: skip
            verdict = replay(checkpoints, names, setup.make_loss, setup.recipe, setup.order, segments, setup.settings)
    return Provenance("", initial, verdict, before, after, tuple(run.losses))


def measured_batches(order: np.ndarray, window: int) -> np.ndarray:
    """The items on which the grader measures the loss before and after training: those of the
    first and the last `window` batches of the run, together.

    >>> measured_batches(np.arange(12).reshape(6, 2), 1).tolist()
    [0, 1, 10, 11]
    """
    window = max(1, min(window, len(order)))
    return np.concatenate([order[:window], order[-window:]]).ravel()


def measured_loss(setup: RunSetup, names: list[str], weights: tuple[np.ndarray, ...], batch: np.ndarray) -> float:
    """The grader's loss of the contract's network with `weights` on the items `batch` picks."""
    import torch

    from grader.oracle import as_tensors

    params = as_tensors(dict(zip(names, weights)), setup.settings.device)
    return float(setup.make_loss(params)(torch.from_numpy(batch).to(setup.settings.device)))
