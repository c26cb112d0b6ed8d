"""The one training and evaluation loop, shared by the checks (inside the
child process), the reference training scripts, the calibration and the
benchmarks.

The batch order is an input: the parent draws it from the rubric seed, so
two runs with the same seed see the same batches whatever the model does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from grader.oracle import as_tensors, srnet_forward, srnet_shapes


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


def seed_everything(seed: int) -> None:
    """Seed torch (CPU and CUDA) and ask for deterministic kernels."""
    torch.manual_seed(seed)
    # torch.use_deterministic_algorithms also imports torch._inductor to configure torch.compile,
    # which grading never uses: seconds in every process. This is the switch it sets for eager kernels.
    switch = getattr(torch._C, "_set_deterministic_algorithms", None)
    if switch is None:  # pragma: no cover - a torch without the private switch
        torch.use_deterministic_algorithms(True, warn_only=True)
    else:
        switch(True, warn_only=True)
    if hasattr(torch.backends, "cudnn"):
        torch.backends.cudnn.benchmark = False


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


def train_classifier(
    model: nn.Module,
    images: np.ndarray,
    labels: np.ndarray,
    order: np.ndarray,
    lr: float,
    device: str,
    on_step: Callable[[int, int, float], None] | None = None,
) -> TrainLog:
    """AdamW + cross entropy over the batches in `order` (the assignment's recipe)."""
    model.to(device).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    inputs = images_to_batch(images, device)
    targets = torch.from_numpy(labels).to(device)
    losses = []
    for batch in order:
        index = torch.from_numpy(batch).to(device)
        optimizer.zero_grad()
        loss = F.cross_entropy(logits_of(model(inputs[index])), targets[index])
        loss.backward()
        optimizer.step()
        losses.append(_finite(loss))
        if on_step is not None:  # display only (the live progress); never read by a check
            on_step(len(losses), len(order), losses[-1])
    return TrainLog(tuple(losses))


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
    on_step: Callable[[int, int, float], None] | None = None,
) -> TrainLog:
    """Adam + MSE on Y patches, the learning rate decaying along a cosine to 0.

    The decay makes the end point stable, so one short run can be compared
    with a threshold; the optimiser and loss are the PyTorch example's.
    """
    model.to(device).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    steps = len(order)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: 0.5 * (1.0 + math.cos(math.pi * step / steps))
    )
    inputs = images_to_batch(low, device)
    targets = images_to_batch(high, device)
    losses = []
    for batch in order:
        index = torch.from_numpy(batch).to(device)
        optimizer.zero_grad()
        loss = F.mse_loss(model(inputs[index]), targets[index])
        loss.backward()
        optimizer.step()
        schedule.step()
        losses.append(_finite(loss))
        if on_step is not None:
            on_step(len(losses), len(order), losses[-1])
    return TrainLog(tuple(losses))


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
    log = train_superres(
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
