"""Likely mistakes of a CNN whose outputs differ from the reference's: the oracle's
forward with one thing changed, on the same weights and input as the check."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Mapping

import numpy as np

from grader.diagnosis import Candidate, first_match
from grader.oracle import CNN_SHAPES, as_tensors
from grader.results import Diagnosis

if TYPE_CHECKING:
    from torch import Tensor

# torch is imported when a diagnosis is computed, not with the checks: a parent whose
# plans are cached grades without importing it.
Activation = Callable[["Tensor"], "Tensor"]


def _identity(t: Tensor) -> Tensor:
    return t


def _variant(p: Mapping[str, Tensor], x: Tensor, *, act1: str = "relu", act2: str = "relu", pool: str = "max_pool2d",
             pools: tuple[str, ...] = ("conv1", "conv2"), channels_last: bool = False,
             head: str = "identity") -> tuple[Tensor, Tensor]:  # fmt: skip
    """The assignment's CNN with the given changes (functions named as in torch.nn.functional);
    `pools` says after which stage each 2x2 pool comes ("input", "conv1", "conv2"; twice the
    same place pools twice there)."""
    import torch.nn.functional as F

    functions: dict[str, Any] = {"identity": _identity, "relu": F.relu, "sigmoid": F.sigmoid, "tanh": F.tanh,
                                 "softmax": lambda t: F.softmax(t, dim=1),
                                 "log_softmax": lambda t: F.log_softmax(t, dim=1)}  # fmt: skip
    act1, act2, head = functions[act1], functions[act2], functions[head]  # type: ignore[assignment]
    pool = getattr(F, pool)  # type: ignore[assignment]
    h = x
    for _ in range(pools.count("input")):
        h = pool(h, 2)
    h = act1(F.conv2d(h, p["conv1.0.weight"], p["conv1.0.bias"], padding=2))
    for _ in range(pools.count("conv1")):
        h = pool(h, 2)
    h = act2(F.conv2d(h, p["conv2.0.weight"], p["conv2.0.bias"], padding=2))
    for _ in range(pools.count("conv2")):
        h = pool(h, 2)
    embedding = (h.permute(0, 2, 3, 1) if channels_last else h).flatten(1)
    return head(F.linear(embedding, p["out.weight"], p["out.bias"])), embedding


VARIANTS: tuple[tuple[str, str, dict], ...] = (
    ("cnn.flatten_order", "the embedding is flattened in another order: channels last (N, 7, 7, 32) instead of "
     "the conv output's own (N, 32, 7, 7) order; flatten it with x.flatten(1) or x.view(x.size(0), -1)",
     {"channels_last": True}),
    ("cnn.softmax_on_logits", "forward returns softmax(logits): return the raw logits (cross entropy applies "
     "log-softmax itself)", {"head": "softmax"}),
    ("cnn.softmax_on_logits", "forward returns log_softmax(logits): return the raw logits (cross entropy applies "
     "log-softmax itself)", {"head": "log_softmax"}),
    ("cnn.relu_on_logits", "a ReLU is applied to the logits: the linear head's output must stay unbounded",
     {"head": "relu"}),
    ("cnn.missing_relu", "the ReLU after the first convolution is missing", {"act1": "identity"}),
    ("cnn.missing_relu", "the ReLU after the second convolution is missing", {"act2": "identity"}),
    ("cnn.missing_relu", "both ReLUs are missing", {"act1": "identity", "act2": "identity"}),
    ("cnn.activation", "the activation is a sigmoid instead of a ReLU", {"act1": "sigmoid", "act2": "sigmoid"}),
    ("cnn.activation", "the activation is a tanh instead of a ReLU", {"act1": "tanh", "act2": "tanh"}),
    ("cnn.pooling", "average pooling instead of max pooling", {"pool": "avg_pool2d"}),
    ("cnn.pooling", "the pooling is in another place: both 2x2 pools after the second convolution",
     {"pools": ("conv2", "conv2")}),
    ("cnn.pooling", "the pooling is in another place: the input is pooled before the first convolution",
     {"pools": ("input", "conv2")}),
    ("cnn.pooling", "the pooling is in another place: the input is pooled before the first convolution",
     {"pools": ("input", "conv1")}),
)  # fmt: skip


def candidates(weights: Mapping[str, np.ndarray], x: np.ndarray) -> list[Candidate]:
    """Each candidate mistake with a function computing its (logits, embedding)."""
    import torch

    params = as_tensors({name: weights[name] for name in CNN_SHAPES})
    batch = torch.from_numpy(np.array(x, dtype=np.float32))

    def run(changes: dict) -> Callable[[], tuple[np.ndarray, np.ndarray]]:
        def outputs() -> tuple[np.ndarray, np.ndarray]:
            with torch.no_grad():
                logits, embedding = _variant(params, batch, **changes)
            return logits.numpy(), embedding.numpy()

        return outputs

    return [(Diagnosis(kind, detail), run(changes)) for kind, detail, changes in VARIANTS]


def diagnose(logits: np.ndarray | None, embedding: np.ndarray | None, weights: Mapping[str, np.ndarray],
             x: np.ndarray, rtol: float, atol: float) -> Diagnosis | None:  # fmt: skip
    """The candidate mistake whose logits and embedding equal the observed ones (eval mode)."""
    if logits is None and embedding is None:
        return None
    return first_match((logits, embedding), candidates(weights, x), max(rtol, 1e-4), max(atol, 1e-5))
