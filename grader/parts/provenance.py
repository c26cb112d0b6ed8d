"""Where a part's trained weights come from: the parent-side steps the two training parts
share between receiving a training run (`grader.observations.common.TrainingRun`) and
scoring the weights it ends with.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator, Mapping

import numpy as np

from grader.observations.common import TrainingRun
from grader.parts.context import PlanContext
from grader.replay import LossFactory, ReplaySettings, ReplayVerdict, checkpoints_from, choose_segments, digest, replay
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


@contextmanager
def replay_started(run: TrainingRun, checkpoints: list[Checkpoint], setup: RunSetup) -> Iterator[Future[ReplayVerdict]]:
    """The replay of the run's segments, under way in a thread of its own while the caller
    evaluates the initial and final weights; waited for on the way out.

    Started before the initialisation is judged: a refused one (`verify`) drops its verdict.
    The replay's floats do not depend on the thread: one torch thread each, as in the child.
    """
    with ThreadPoolExecutor(1, thread_name_prefix="cnn-grader-replay") as side:
        yield side.submit(_replay, run, checkpoints, setup)


def _replay(run: TrainingRun, checkpoints: list[Checkpoint], setup: RunSetup) -> ReplayVerdict:
    from grader.training import replay_settings

    segments = choose_segments(len(checkpoints) - 1, setup.settings.segments, setup.settings.seed,
                               digest(np.asarray(run.weights)))  # fmt: skip
    with replay_settings(setup.settings.threads):
        return replay(checkpoints, list(setup.shapes), setup.make_loss, setup.recipe, setup.order, segments,
                      setup.settings)  # fmt: skip


def verify(run: TrainingRun, checkpoints: list[Checkpoint], setup: RunSetup, initial: str,
           replayed: Future[ReplayVerdict]) -> Provenance:  # fmt: skip
    """The grader's loss before and after training and, unless the initialisation is refused
    (`initial` says why), the verdict of the replay `replay_started` runs."""
    import torch

    from grader.training import replay_settings

    names = list(setup.shapes)
    batches = measured_batches(setup.order, setup.window)
    with replay_settings(setup.settings.threads), torch.no_grad():
        before, after = (measured_loss(setup, names, c.weights, batches) for c in (checkpoints[0], checkpoints[-1]))
    verdict = None if initial else replayed.result()
    return Provenance("", initial, verdict, before, after, tuple(run.losses))


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
