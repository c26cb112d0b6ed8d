"""Where a part's trained weights come from: the parent-side steps the two training parts
share between receiving a training run (`grader.observations.common.TrainingRun`) and
scoring the weights it ends with.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Mapping, TypeVar

import numpy as np

from grader.observations.common import TrainingRun
from grader.parts.context import PlanContext
from grader.replay import LossFactory, ReplaySettings, ReplayVerdict, checkpoints_from, choose_segments, digest, replay
from grader.trained import Provenance

if TYPE_CHECKING:  # torch is imported when a run is verified, not when plans are loaded
    from grader.training import Checkpoint, Recipe

T = TypeVar("T")  # a part's evaluation of a set of weights


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


def verified(run: TrainingRun, checkpoints: list[Checkpoint], setup: RunSetup,
             evaluate: Callable[[tuple[np.ndarray, ...]], T], final: bool,
             refusal: Callable[[T], str]) -> tuple[Provenance, T, T | None]:  # fmt: skip
    """The part's evaluation of the run's initial weights (and of its final ones where `final`),
    and where the weights come from: the grader's loss before and after training and, unless
    `refusal(initial evaluation)` refuses the initialisation (it says why, "" when not), the
    replay of the run's segments.

    The replay runs in a thread of its own while `evaluate` runs here, on the core a finished
    child left free; a refused initialisation drops its verdict. Its floats do not depend on the
    thread: one torch thread each, as in the child.
    """
    import torch

    from grader.training import replay_settings

    names = list(setup.shapes)
    batches = measured_batches(setup.order, setup.window)
    with ThreadPoolExecutor(1, thread_name_prefix="cnn-grader-replay") as side:
        replayed = side.submit(_replay, run, checkpoints, setup)
        with replay_settings(setup.settings.threads), torch.no_grad():
            initial = evaluate(checkpoints[0].weights)
            last = evaluate(checkpoints[-1].weights) if final else None
            before, after = (measured_loss(setup, names, c.weights, batches) for c in (checkpoints[0], checkpoints[-1]))
        refused = refusal(initial)
        verdict = None if refused else replayed.result()
    return Provenance("", refused, verdict, before, after, tuple(run.losses)), initial, last


def _replay(run: TrainingRun, checkpoints: list[Checkpoint], setup: RunSetup) -> ReplayVerdict:
    from grader.training import replay_settings

    segments = choose_segments(len(checkpoints) - 1, setup.settings.segments, setup.settings.seed,
                               digest(np.asarray(run.weights)))  # fmt: skip
    with replay_settings(setup.settings.threads):
        return replay(checkpoints, list(setup.shapes), setup.make_loss, setup.recipe, setup.order, segments,
                      setup.settings)  # fmt: skip


def measured_batches(order: np.ndarray, window: int) -> np.ndarray:
    """The batches on which the grader measures the loss before and after training: the first
    and the last `window` batches of the run.

    >>> measured_batches(np.arange(12).reshape(6, 2), 1).tolist()
    [[0, 1], [10, 11]]
    """
    window = max(1, min(window, len(order)))
    return np.concatenate([order[:window], order[-window:]])


def measured_loss(setup: RunSetup, names: list[str], weights: tuple[np.ndarray, ...], batches: np.ndarray) -> float:
    """The grader's loss of the contract's network with `weights` on `batches`: the mean of the
    loss of each batch, measured one batch at a time as training measures it (and as fast: all
    the batches at once would not fit in a CPU's caches)."""
    import torch

    from grader.oracle import as_tensors

    params = as_tensors(dict(zip(names, weights)), setup.settings.device)
    loss = setup.make_loss(params)
    index = torch.from_numpy(batches).to(setup.settings.device)
    return float(np.mean([float(loss(batch)) for batch in index]))
