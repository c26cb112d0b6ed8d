"""The one training and evaluation loop, shared by the checks (inside the
child process), the parent's replay of a reported training run, the
calibration and the benchmarks.

The batch order is an input: the parent draws it from the rubric seed, so
two runs with the same seed see the same batches whatever the model does.
A run can record checkpoints (weights and the optimiser state needed to
resume) every few steps, and resume from one: the child records them while
it trains the student's model, and the parent resumes from them with its
own oracle to see whether it lands where the child said (`grader.replay`).
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Literal, Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from grader.held import Held
from grader.optim import Adam, Moments
from grader.oracle import as_tensors, srnet_forward, srnet_shapes
from grader.replay import ADAM_BETAS

ADAMW_WEIGHT_DECAY = 0.01  # torch's default for AdamW


@dataclass(frozen=True)
class TrainLog:
    """Loss per step, as plain floats (NaN where the loss was not finite)."""

    losses: tuple[float, ...]

    @property
    def first(self) -> float:
        return self.losses[0] if self.losses else math.nan

    @property
    def last(self) -> float:
        return float(np.mean(self.losses[-10:])) if self.losses else math.nan


@dataclass(frozen=True)
class Recipe:
    """How the grader trains: optimiser, base learning rate and its schedule over `steps`.

    >>> Recipe("adam", 1.0, 4, "cosine").lr_at(2)
    0.5
    """

    optimizer: Literal["adamw", "adam"]
    lr: float
    steps: int  # the length of the whole run: a cosine schedule decays over it
    schedule: Literal["constant", "cosine"] = "constant"

    @property
    def weight_decay(self) -> float:
        return ADAMW_WEIGHT_DECAY if self.optimizer == "adamw" else 0.0

    def lr_at(self, step: int) -> float:
        """The learning rate of step `step` (0-based), as torch's LambdaLR computes it."""
        if self.schedule == "cosine":
            return self.lr * (0.5 * (1.0 + math.cos(math.pi * step / self.steps)))
        return self.lr

    def optimizer_for(self, params: Sequence[Tensor]) -> Adam:
        """`torch.optim.AdamW` / `Adam` with these settings, bit for bit (`grader.optim`), without the
        second that `torch.optim` costs every process that trains (the child and the parent's replay)."""
        return Adam(list(params), self.lr_at(0), ADAM_BETAS, weight_decay=self.weight_decay,
                    decoupled=self.optimizer == "adamw")  # fmt: skip


def classifier_recipe(lr: float, steps: int) -> Recipe:
    """The assignment's MNIST recipe: AdamW at a constant learning rate (cross entropy)."""
    return Recipe("adamw", lr, steps, "constant")


def superres_recipe(lr: float, steps: int) -> Recipe:
    """The PyTorch example's optimiser, Adam, with the learning rate decaying along a cosine to 0.

    The decay makes the end point stable, so one short run can be compared with a threshold.
    """
    return Recipe("adam", lr, steps, "cosine")


@dataclass(frozen=True)
class Checkpoint:
    """A run after `step` steps: each tracked parameter's weights and Adam moments, in order.

    At step 0 the moments are zeros (the optimiser has no state yet).
    """

    step: int
    weights: tuple[np.ndarray, ...]
    exp_avg: tuple[np.ndarray, ...]
    exp_avg_sq: tuple[np.ndarray, ...]


LossOf = Callable[[Tensor], Tensor]  # batch indices -> the loss of that batch
StepReporter = Callable[[int, int, float], None]  # (steps done, steps in all, loss): the live progress display


def checkpoint_steps(steps: int, every: int) -> tuple[int, ...]:
    """The steps after which a run of `steps` steps with checkpoints `every` steps saves one.

    >>> checkpoint_steps(50, 20)
    (0, 20, 40, 50)
    """
    return (*range(0, steps, every), steps) if every > 0 else ()


def fit(
    loss_of: LossOf,
    params: Sequence[Tensor],
    recipe: Recipe,
    order: np.ndarray,
    device: str,
    *,
    start: Checkpoint | None = None,
    stop: int | None = None,
    tracked: Sequence[Tensor] = (),
    every: int = 0,
    on_step: StepReporter | None = None,
) -> tuple[TrainLog, list[Checkpoint]]:
    """Steps `start.step` (0 without a start) to `stop` (the recipe's end) of a run whose step t
    trains on the batch `order[t]`; `on_step` hears of each (display only, never read by a check).

    `start` also sets the optimiser state of `params` (then the tracked parameters themselves).
    With `every`, the checkpoints of `tracked` after each multiple of `every` steps and after
    the last step are returned, and the one before the first step when the run starts at 0.
    """
    begin = 0 if start is None else start.step
    end = recipe.steps if stop is None else stop
    optimizer = recipe.optimizer_for(params)
    if start is not None:
        _resume(optimizer, params, start, device)
    saved = []
    if every and begin == 0:
        saved.append(snapshot(optimizer, tracked, 0))
    losses = []
    batches = torch.from_numpy(np.ascontiguousarray(order[begin:end])).to(device)  # one copy to a GPU, not one a step
    for step in range(begin, end):
        optimizer.lr = recipe.lr_at(step)
        optimizer.zero_grad()
        loss = loss_of(batches[step - begin])
        loss.backward()
        optimizer.step()
        losses.append(_finite(loss))
        if on_step is not None:
            on_step(step + 1, end, losses[-1])
        if every and ((step + 1) % every == 0 or step + 1 == end):
            saved.append(snapshot(optimizer, tracked, step + 1))
    return TrainLog(tuple(losses)), saved


def snapshot(optimizer: Adam, tracked: Sequence[Tensor], step: int) -> Checkpoint:
    """Copies of the tracked parameters and their Adam moments (zeros where there are none yet)."""
    states = _states(optimizer)
    weights, first, second = [], [], []
    for param in tracked:
        state = states.get(id(param), Moments())
        weights.append(_array(param))
        zeros = np.zeros(param.shape, np.float32)
        first.append(_array(state.exp_avg) if state.exp_avg is not None else zeros)
        second.append(_array(state.exp_avg_sq) if state.exp_avg_sq is not None else zeros)
    return Checkpoint(step, tuple(weights), tuple(first), tuple(second))


def _states(optimizer: Adam) -> dict[int, Moments]:
    """Each parameter's optimiser state, by the parameter's identity (tensors hash by identity too)."""
    return {id(param): state for param, state in zip(optimizer.params, optimizer.states)}


def _resume(optimizer: Adam, params: Sequence[Tensor], start: Checkpoint, device: str) -> None:
    """Load a checkpoint into `params` and the optimiser, as its own state after `start.step` steps."""
    with torch.no_grad():
        for param, weights in zip(params, start.weights, strict=True):
            param.copy_(torch.from_numpy(np.asarray(weights)))
    if start.step == 0:
        return
    states = _states(optimizer)
    for param, first, second in zip(params, start.exp_avg, start.exp_avg_sq, strict=True):
        state = states[id(param)]
        state.step = start.step
        state.exp_avg = torch.from_numpy(np.array(first, dtype=np.float32)).to(device)
        state.exp_avg_sq = torch.from_numpy(np.array(second, dtype=np.float32)).to(device)


def _array(tensor: Tensor) -> np.ndarray:
    return np.array(tensor.detach().float().cpu().numpy(), copy=True)


def _deterministic_on() -> tuple[int, bool, bool]:
    """Deterministic kernels on; what to restore: the thread count, deterministic mode, warn only."""
    before = (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled(),
              torch.is_deterministic_algorithms_warn_only_enabled())  # fmt: skip
    _deterministic(True, warn_only=True)
    return before


def _restore(before: tuple[int, bool, bool]) -> None:
    threads, deterministic, warn_only = before
    torch.set_num_threads(threads)
    _deterministic(deterministic, warn_only=warn_only)


# Deterministic mode is process-wide: it stays on until the last replaying thread leaves (`grader.held`).
_REPLAYING = Held(_deterministic_on, _restore)


@contextmanager
def replay_settings(threads: int) -> Iterator[None]:
    """Deterministic kernels and the rubric's thread count, as in the child, for a while.

    The parent replays training runs with them, so that its float results round
    as the child's did; the parent's own settings come back when the last thread
    inside leaves (not the first: another grade's replay may still be running).
    """
    with _REPLAYING():
        torch.set_num_threads(threads)
        yield


def seed_everything(seed: int) -> None:
    """Seed torch (CPU and CUDA) and ask for deterministic kernels."""
    torch.manual_seed(seed)
    _deterministic(True, warn_only=True)
    if hasattr(torch.backends, "cudnn"):
        torch.backends.cudnn.benchmark = False


def _deterministic(on: bool, warn_only: bool) -> None:
    # torch.use_deterministic_algorithms also imports torch._inductor to configure torch.compile,
    # which grading never uses: seconds in every process. This is the switch it sets for eager kernels.
    switch = getattr(torch._C, "_set_deterministic_algorithms", None)
    if switch is None:  # pragma: no cover - a torch without the private switch
        torch.use_deterministic_algorithms(on, warn_only=warn_only)
    else:
        switch(on, warn_only=warn_only)


def epoch_order(n_items: int, steps: int, batch_size: int, seed: int) -> np.ndarray:
    """Batch indices (steps, batch_size): shuffled epochs, chained, like a DataLoader.

    >>> epoch_order(5, 3, 2, seed=0).shape
    (3, 2)
    """
    rng = np.random.default_rng(seed)
    needed = steps * batch_size
    perms = [rng.permutation(n_items) for _ in range(-(-needed // n_items))]
    return np.concatenate(perms)[:needed].reshape(steps, batch_size).astype(np.int64)


def images_to_batch(images: np.ndarray, device: str) -> Tensor:
    """uint8 (N, H, W) -> float32 (N, 1, H, W) in [0, 1], like `ToTensor()`."""
    return torch.from_numpy(np.ascontiguousarray(images)).to(device).float().div_(255.0).unsqueeze(1)


def logits_of(output: Any) -> Tensor:
    """The logits of a CNN forward: the first item of a tuple, or the tensor itself."""
    if isinstance(output, (tuple, list)) and output:
        output = output[0]
    if not isinstance(output, Tensor):
        raise TypeError(f"forward returned {type(output).__name__}, expected a tensor of logits")
    return output


def classifier_loss(forward: Callable[[Tensor], Any], images: np.ndarray, labels: np.ndarray, device: str) -> LossOf:
    """Cross entropy of `forward`'s logits on the batch of `images` a step's indices pick."""
    inputs = images_to_batch(images, device)
    targets = torch.from_numpy(np.asarray(labels, dtype=np.int64)).to(device)
    return lambda index: F.cross_entropy(logits_of(forward(inputs[index])), targets[index])


def superres_loss(forward: Callable[[Tensor], Any], low: np.ndarray, high: np.ndarray, device: str) -> LossOf:
    """MSE between `forward`'s output and the HR patches of a step's batch."""
    inputs = images_to_batch(low, device)
    targets = images_to_batch(high, device)
    return lambda index: F.mse_loss(forward(inputs[index]), targets[index])


def train_classifier(
    model: nn.Module,
    images: np.ndarray,
    labels: np.ndarray,
    order: np.ndarray,
    lr: float,
    device: str,
    tracked: Sequence[Tensor] = (),
    every: int = 0,
    on_step: StepReporter | None = None,
) -> tuple[TrainLog, list[Checkpoint]]:
    """AdamW + cross entropy over the batches in `order` (the assignment's recipe);
    checkpoints of `tracked` every `every` steps (see `fit`)."""
    model.to(device).train()
    loss_of = classifier_loss(model, images, labels, device)
    recipe = classifier_recipe(lr, len(order))
    return fit(loss_of, list(model.parameters()), recipe, order, device, tracked=tracked, every=every, on_step=on_step)


@torch.no_grad()
def predict_classifier(
    model: nn.Module, images: np.ndarray, device: str, batch_size: int = 500
) -> tuple[np.ndarray, np.ndarray | None]:
    """Logits (N, 10) and, when forward returns them, embeddings (N, D), as float32."""
    model.to(device).eval()
    logits, embeddings = [], []
    for start in range(0, len(images), batch_size):
        output = model(images_to_batch(images[start : start + batch_size], device))
        logits.append(logits_of(output).float().cpu().numpy())
        if isinstance(output, (tuple, list)) and len(output) > 1 and isinstance(output[1], Tensor):
            embeddings.append(output[1].float().flatten(1).cpu().numpy())
    embedding = np.concatenate(embeddings) if len(embeddings) == len(logits) else None
    return np.concatenate(logits), embedding


def accuracy(logits: np.ndarray, labels: np.ndarray) -> float:
    """Share of argmax predictions equal to the labels.

    >>> accuracy(np.array([[0.1, 0.9], [0.8, 0.2]]), np.array([1, 1]))
    0.5
    """
    return float(np.mean(np.argmax(logits, axis=1) == labels))


def train_superres(
    model: nn.Module,
    low: np.ndarray,
    high: np.ndarray,
    order: np.ndarray,
    lr: float,
    device: str,
    tracked: Sequence[Tensor] = (),
    every: int = 0,
    on_step: StepReporter | None = None,
) -> tuple[TrainLog, list[Checkpoint]]:
    """Adam + MSE on Y patches, the learning rate decaying along a cosine to 0 (`superres_recipe`);
    checkpoints of `tracked` every `every` steps (see `fit`)."""
    model.to(device).train()
    loss_of = superres_loss(model, low, high, device)
    recipe = superres_recipe(lr, len(order))
    return fit(loss_of, list(model.parameters()), recipe, order, device, tracked=tracked, every=every, on_step=on_step)


@torch.no_grad()
def upscale_images(model: nn.Module, images: Sequence[np.ndarray], device: str) -> list[np.ndarray]:
    """Run the SR net on float32 LR images (H, W) in [0, 1]; outputs as float32 arrays."""
    model.to(device).eval()
    outputs = []
    for image in images:
        batch = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32)).to(device)
        outputs.append(model(batch[None, None]).float().cpu().numpy())
    return outputs


class HarnessSRNet(nn.Module):
    """The grader's ESPCN net, trainable, with a pluggable `pixel_shuffle` module.

    The PixelShuffle part retrains this net twice, once with
    `nn.PixelShuffle(r)` and once with the student's module, so that the
    check depends on `pixel_shuffle.py` alone.
    """

    def __init__(self, params: Mapping[str, np.ndarray], pixel_shuffle: nn.Module) -> None:
        super().__init__()
        # Parameter names may not contain dots; the mapping keeps the contract's names.
        self.weights = nn.ParameterDict(
            {name.replace(".", "_"): nn.Parameter(t) for name, t in as_tensors(params).items()}
        )
        self.pixel_shuffle = pixel_shuffle

    def named_weights(self) -> dict[str, Tensor]:
        return {name.replace("_", ".", 1): t for name, t in self.weights.items()}

    def forward(self, y: Tensor) -> Tensor:
        return srnet_forward(self.named_weights(), y, self.pixel_shuffle)


def train_harness_srnet(
    arrays: Mapping[str, np.ndarray], config: Mapping[str, Any], device: str, pixel_shuffle: nn.Module
) -> tuple[TrainLog, dict[str, np.ndarray]]:
    """Retrain the grader's ESPCN net carrying `pixel_shuffle`; final weights as arrays.

    Run once with `nn.PixelShuffle(r)` (parent) and once with the student's
    module (child): the assignment says the two must end bit-identical.
    """
    factor = int(config["retrain_factor"])
    params = {name: arrays[f"harness_{name}"] for name in srnet_shapes(factor)}
    seed_everything(int(config["retrain_seed"]))
    net = HarnessSRNet(params, pixel_shuffle)
    log, _ = train_superres(
        net,
        arrays["retrain_low"],
        arrays["retrain_high"],
        arrays["retrain_order"],
        float(config["retrain_lr"]),
        device,
    )
    weights = {f"w_{name}": t.detach().cpu().numpy().copy() for name, t in net.named_weights().items()}
    return log, weights


def _finite(loss: Tensor) -> float:
    value = float(loss.detach())
    return value if math.isfinite(value) else math.nan
