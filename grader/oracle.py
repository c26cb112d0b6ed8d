"""The grader's own models, written functionally so they share no code with
any submission or with `reference/`.

They give the expected outputs for the equivalence checks and the weights
that the child loads into the student's model (the harness net that carries
the student's PixelShuffle in the retraining check is in `grader.training`).

torch is imported inside the functions that compute: the parent's checks read
the shapes below, and a parent whose plans come from the cache never loads torch.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Callable, Mapping

import numpy as np

if TYPE_CHECKING:
    from torch import Tensor

CNN_SHAPES: dict[str, tuple[int, ...]] = {
    "conv1.0.weight": (16, 1, 5, 5),
    "conv1.0.bias": (16,),
    "conv2.0.weight": (32, 16, 5, 5),
    "conv2.0.bias": (32,),
    "out.weight": (10, 32 * 7 * 7),
    "out.bias": (10,),
}
CNN_PARAMETERS = sum(math.prod(s) for s in CNN_SHAPES.values())  # 28,938
EMBEDDING_SIZE = 32 * 7 * 7


def srnet_shapes(upscale_factor: int) -> dict[str, tuple[int, ...]]:
    """Parameter shapes of the ESPCN-style net, e.g. `conv4.weight` is (9, 32, 3, 3) at r=3."""
    r2 = upscale_factor * upscale_factor
    return {
        "conv1.weight": (64, 1, 5, 5),
        "conv1.bias": (64,),
        "conv2.weight": (64, 64, 3, 3),
        "conv2.bias": (64,),
        "conv3.weight": (32, 64, 3, 3),
        "conv3.bias": (32,),
        "conv4.weight": (r2, 32, 3, 3),
        "conv4.bias": (r2,),
    }


def random_params(shapes: Mapping[str, tuple[int, ...]], seed: int) -> dict[str, np.ndarray]:
    """Float32 weights drawn like PyTorch's default init: U(-1/sqrt(fan_in), +1/sqrt(fan_in)).

    >>> random_params({"w": (2, 3)}, seed=0)["w"].shape
    (2, 3)
    """
    rng = np.random.default_rng(seed)
    params = {}
    fan_in = 1
    for name, shape in shapes.items():
        if name.endswith("weight"):
            fan_in = math.prod(shape[1:])
        bound = 1.0 / math.sqrt(fan_in)
        params[name] = rng.uniform(-bound, bound, size=shape).astype(np.float32)
    return params


def as_tensors(params: Mapping[str, np.ndarray], device: str = "cpu") -> dict[str, Tensor]:
    """Tensors holding copies: training them must never write into the arrays."""
    import torch

    return {name: torch.tensor(np.array(a, copy=True), device=device) for name, a in params.items()}


def cnn_forward(p: Mapping[str, Tensor], x: Tensor) -> tuple[Tensor, Tensor]:
    """Logits and the flattened conv2 output of the assignment's CNN."""
    import torch
    import torch.nn.functional as F

    h = F.max_pool2d(F.relu(F.conv2d(x, p["conv1.0.weight"], p["conv1.0.bias"], padding=2)), 2)
    h = F.max_pool2d(F.relu(F.conv2d(h, p["conv2.0.weight"], p["conv2.0.bias"], padding=2)), 2)
    embedding = torch.flatten(h, start_dim=1)
    return F.linear(embedding, p["out.weight"], p["out.bias"]), embedding


Shuffle = Callable[["Tensor"], "Tensor"]


def srnet_forward(p: Mapping[str, Tensor], y: Tensor, shuffle: Shuffle) -> Tensor:
    """The ESPCN-style net on a luminance batch; `shuffle` does depth-to-space."""
    import torch.nn.functional as F

    h = F.relu(F.conv2d(y, p["conv1.weight"], p["conv1.bias"], padding=2))
    h = F.relu(F.conv2d(h, p["conv2.weight"], p["conv2.bias"], padding=1))
    h = F.relu(F.conv2d(h, p["conv3.weight"], p["conv3.bias"], padding=1))
    return shuffle(F.conv2d(h, p["conv4.weight"], p["conv4.bias"], padding=1))


LAYOUTS = ("contiguous", "transposed", "strided", "expanded")


def base_shape(shape: tuple[int, ...], layout: str) -> tuple[int, ...]:
    """Shape of the array to send so that `layout_view` gives a tensor of `shape`."""
    if layout == "transposed":
        return (*shape[:-2], shape[-1], shape[-2])
    if layout == "strided":
        return (*shape[:-3], 2 * shape[-3], *shape[-2:])
    if layout == "expanded":
        return (1, *shape[1:])
    return shape


def layout_view(base: Tensor, layout: str, shape: tuple[int, ...]) -> Tensor:
    """A view of `base` with the logical `shape` and the memory layout asked for.

    >>> import torch
    >>> layout_view(torch.zeros(1, 4, 2, 3), "transposed", (1, 4, 3, 2)).is_contiguous()
    False
    """
    if layout == "transposed":
        view = base.transpose(-1, -2)
    elif layout == "strided":
        view = base[..., ::2, :, :]
    elif layout == "expanded":
        view = base.expand(*shape)
    else:
        view = base
    if tuple(view.shape) != tuple(shape):
        raise ValueError(f"layout {layout}: got {tuple(view.shape)}, wanted {shape}")
    return view
