"""Does a reported training run hold up? The parent's test of the weights a child returns.

The child trains the student's model with the grader's loop (`grader.training`) and
returns checkpoints: the contract's weights and their Adam moments every K steps, the
first one taken before any step (`grader.observations.common.TrainingRun`). Student code
runs in that process and could rewrite them, so the parent takes nothing on trust:

- every segment between two checkpoints must stay within the distance Adam can move a
  weight in that many steps (`jump`: cheap, so every segment is tested);
- a few segments, chosen only once the results are in, are replayed with the grader's
  own functional network (`grader.oracle`) from the reported checkpoint, on the same
  batches, learning rates and thread count, and must land on the next checkpoint within
  a tolerance relative to how far the segment moved (`replay`). The first segment ties
  the run to the reported initialisation, the last ends at the weights that are scored,
  and the others are drawn from the grading seed and a digest of the checkpoints.

A network that computes something other than the contract's (dropout, batch statistics,
a detached or frozen layer) trains along another path and fails the replay; so does a run
that was not produced by training at all (pretrained weights written into the result).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

import numpy as np

if TYPE_CHECKING:  # torch is imported where the replay runs: a parent with cached plans may never need it
    from torch import Tensor

    from grader.training import Checkpoint, LossOf, Recipe

LossFactory = Callable[[Mapping[str, "Tensor"]], "LossOf"]  # the contract's named tensors -> a step's loss
ADAM_BETAS = (0.9, 0.999)  # torch's defaults for Adam and AdamW, which the grader's training uses


@dataclass(frozen=True)
class ReplaySettings:
    """How a part's training run is recorded and tested (from the training check's rubric entry)."""

    every: int  # a checkpoint every this many steps (`checkpoint_every`)
    segments: int  # how many segments the parent replays (`replay_segments`)
    tolerance: float  # largest deviation, relative to the segment's movement (`replay_tolerance`)
    seed: int  # draws the segments, with a digest of the checkpoints; derived from the grading seed
    threads: int  # torch threads, as in the child
    device: str


@dataclass(frozen=True)
class Segment:
    """One replayed segment: from checkpoint `start` to `stop` (steps), and how far off it ended.

    `deviation` is |replayed - reported| / |reported movement| over the segment, for the tensor
    where it is largest (`tensor`); 0 means bit-identical.
    """

    start: int
    stop: int
    deviation: float
    tensor: str


@dataclass(frozen=True)
class ReplayVerdict:
    """The parent's test of a reported run: the replayed segments and any impossible jump."""

    segments: tuple[Segment, ...]
    tolerance: float
    jump: str = ""  # a segment that moved further than Adam can, described; "" when none did

    @property
    def deviation(self) -> float:
        return max((s.deviation for s in self.segments), default=0.0)

    @property
    def ok(self) -> bool:
        return not self.jump and all(s.deviation <= self.tolerance for s in self.segments)

    def text(self) -> str:
        """One line for a check's output, e.g. `replayed steps 0-20, 80-100 ...: largest deviation 0`."""
        if self.jump:
            return (f"the reported training run cannot come from the grader's training loop: {self.jump}"
                    f"{_CAUSES}")  # fmt: skip
        where = ", ".join(f"{s.start}-{s.stop}" for s in self.segments)
        worst = max(self.segments, key=lambda s: s.deviation)
        if self.ok:
            return (f"the grader reproduced your training: steps {where} replayed with its own network end "
                    f"within {worst.deviation:.1e} of your checkpoints (relative to their movement; "
                    f"tolerance {self.tolerance:.0e})")  # fmt: skip
        return (
            f"the grader could not reproduce your training: its own network, trained from your checkpoint at "
            f"step {worst.start} on the same batches, ends {_share(worst.deviation)} of that segment's movement "
            f"away from your checkpoint at step {worst.stop} (largest in {worst.tensor}; tolerance "
            f"{self.tolerance:.0e}).{_CAUSES}"
        )


_CAUSES = (
    " Your network trains differently from the contract's (dropout, batch normalisation, a detached or "
    "frozen layer, an extra operation), or the reported run was not produced by the grader's training loop."
)


def _share(value: float) -> str:
    return f"{value:.0%}" if value < 100 else f"{value:.1e} times"


def unflatten(row: np.ndarray, shapes: Mapping[str, tuple[int, ...]]) -> tuple[np.ndarray, ...]:
    """One flat checkpoint row as the contract's tensors, in order.

    >>> [a.shape for a in unflatten(np.arange(5.0), {"w": (2, 2), "b": (1,)})]
    [(2, 2), (1,)]
    """
    arrays, offset = [], 0
    for shape in shapes.values():
        size = math.prod(shape)
        arrays.append(np.asarray(row[offset : offset + size]).reshape(shape))
        offset += size
    return tuple(arrays)


def checkpoints_from(
    weights: np.ndarray | None,
    exp_avg: np.ndarray | None,
    exp_avg_sq: np.ndarray | None,
    steps: Sequence[int],
    shapes: Mapping[str, tuple[int, ...]],
) -> list[Checkpoint]:
    """The child's checkpoint arrays as `Checkpoint`s; ValueError saying what does not fit."""
    from grader.training import Checkpoint

    size = sum(math.prod(s) for s in shapes.values())
    for name, array in (("weights", weights), ("exp_avg", exp_avg), ("exp_avg_sq", exp_avg_sq)):
        if array is None:
            raise ValueError(f"no {name} reported")
        if array.shape != (len(steps), size) or array.dtype.kind != "f":
            raise ValueError(f"{name} are {array.shape} {array.dtype}, expected {(len(steps), size)} float32 "
                             f"(checkpoints after steps {', '.join(map(str, steps))})")  # fmt: skip
        if not np.all(np.isfinite(array)):
            first = int(np.argmax(~np.all(np.isfinite(array), axis=1)))
            raise ValueError(f"{name} are not finite from step {steps[first]} on (the training diverged)")
    if np.any(exp_avg_sq < 0):  # type: ignore[operator]
        raise ValueError("negative second moments: no optimiser produced them")
    rows = zip(steps, weights, exp_avg, exp_avg_sq)  # type: ignore[arg-type]
    return [Checkpoint(step, unflatten(w, shapes), unflatten(m, shapes), unflatten(v, shapes)) for step, w, m, v in rows]


def digest(array: np.ndarray) -> int:
    """A number from the bytes of the reported weights: the segment draw depends on the results."""
    return int.from_bytes(hashlib.sha256(np.ascontiguousarray(array).tobytes()).digest()[:8], "little")


def choose_segments(available: int, count: int, seed: int, result_digest: int) -> tuple[int, ...]:
    """The last segment, the first, and `count - 2` others drawn from the seed and the digest.

    >>> choose_segments(10, 2, seed=1, result_digest=2), choose_segments(10, 1, 1, 2), choose_segments(3, 9, 1, 2)
    ((0, 9), (9,), (0, 1, 2))
    >>> len(choose_segments(10, 4, seed=1, result_digest=2))
    4
    """
    if count >= available:
        return tuple(range(available))
    chosen = {available - 1} | ({0} if count >= 2 else set())
    middle = [i for i in range(1, available - 1)]
    extra = count - len(chosen)
    if extra > 0:
        rng = np.random.default_rng([seed, result_digest])
        chosen |= {int(i) for i in rng.choice(middle, size=extra, replace=False)}
    return tuple(sorted(chosen))


def adam_step_bound(step: int) -> float:
    """The most one Adam step (the `step`-th, 1-based) can move a weight, in units of the learning rate.

    With bias correction, |m_hat| / sqrt(v_hat) <= sqrt(1 - b2^t) / (1 - b1^t) * (1 - b1) / sqrt(1 - b2)
    * sqrt(sum_{j<t} (b1^2 / b2)^j) (Cauchy-Schwarz over the gradients); 1 at the first step.

    >>> round(adam_step_bound(1), 6), round(adam_step_bound(10**6), 2)
    (1.0, 7.27)
    """
    b1, b2 = ADAM_BETAS
    ratio = b1 * b1 / b2
    series = (1.0 - ratio**step) / (1.0 - ratio)
    return math.sqrt(1.0 - b2**step) / (1.0 - b1**step) * (1.0 - b1) / math.sqrt(1.0 - b2) * math.sqrt(series)


def jump(checkpoints: Sequence[Checkpoint], names: Sequence[str], recipe: Recipe) -> str:
    """The first segment in which some weight moved further than Adam can move it, described; or ""."""
    for before, after in zip(checkpoints, checkpoints[1:]):
        reach = sum(recipe.lr_at(t) * adam_step_bound(t + 1) for t in range(before.step, after.step))
        decay = sum(recipe.lr_at(t) * recipe.weight_decay for t in range(before.step, after.step))
        for name, a, b in zip(names, before.weights, after.weights):
            largest = max(float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(b), initial=0.0)))
            limit = (reach + decay * (largest + reach)) * 1.01 + 1e-6
            moved = float(np.max(np.abs(b.astype(np.float64) - a), initial=0.0))
            if moved > limit:
                return (f"{name} moves by up to {moved:.3g} between steps {before.step} and {after.step}, "
                        f"more than Adam's {after.step - before.step} steps can ({limit:.3g})")  # fmt: skip
    return ""


def replay(
    checkpoints: Sequence[Checkpoint],
    names: Sequence[str],
    make_loss: LossFactory,
    recipe: Recipe,
    order: np.ndarray,
    segments: Sequence[int],
    settings: ReplaySettings,
) -> ReplayVerdict:
    """Replay each segment i (checkpoint i to i+1) with the grader's network and compare.

    Call it inside `grader.training.replay_settings`, so that floats round as in the child.
    """
    import torch

    from grader.training import fit

    moved = jump(checkpoints, names, recipe)
    if moved:
        return ReplayVerdict((), settings.tolerance, moved)
    results = []
    for index in segments:
        start, target = checkpoints[index], checkpoints[index + 1]
        params = [torch.tensor(np.array(w, dtype=np.float32), device=settings.device, requires_grad=True)
                  for w in start.weights]  # fmt: skip
        loss_of = make_loss(dict(zip(names, params)))
        length = target.step - start.step
        _, saved = fit(loss_of, params, recipe, order, settings.device, start=start, stop=target.step,
                       tracked=params, every=length)  # fmt: skip
        results.append(_compare(saved[-1].weights, start, target, names))
    return ReplayVerdict(tuple(results), settings.tolerance)


def _compare(replayed: Sequence[np.ndarray], start: Checkpoint, target: Checkpoint, names: Sequence[str]) -> Segment:
    worst, where = 0.0, names[0]
    for name, ours, before, after in zip(names, replayed, start.weights, target.weights):
        off = float(np.linalg.norm(ours.astype(np.float64) - after))
        if off == 0.0:
            continue
        movement = float(np.linalg.norm(after.astype(np.float64) - before))
        deviation = off / movement if movement > 0 else math.inf
        if deviation > worst:
            worst, where = deviation, name
    return Segment(start.step, target.step, worst, where)
