"""Which PixelShuffle inputs can tell a right answer from the usual wrong ones.

On some inputs every usual mistake gives torch's answer too: at r = 1 the
pixel shuffle is the identity, and every axis order, factor order or naive
reshape is as well (unless the image is square, where a transposition shows).
Such an input earns no credit on its own: a wrong solution would pass it.
The parent runs every candidate mistake on each input, and an input counts
(weighs 1) only if some mistake of torch's output shape gives other values;
the others weigh 0, and are still run and reported. A mistake that changes
the output's shape is caught on every input at once, so it does not make any
input more informative.

The candidates: the 143 wrong axis orders of the depth-to-space pattern
(channel group order, factor before pixel in a composed axis, the order of
the output axes; `grader.shuffle_orders`, the enumeration the diagnoses use
too), a naive reshape to the output shape, and a shuffle of the transposed
image. They run with torch, for the input gradients: at planning time only.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable

import einops
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from grader.oracle import layout_view
from grader.shuffle_orders import wrong_orders

Mistake = Callable[[Tensor, int], Tensor]


def _pattern_mistake(pattern: str) -> Mistake:
    return lambda x, r: einops.rearrange(x, pattern, h2=r, w2=r)


def _naive_reshape(x: Tensor, r: int) -> Tensor:
    *lead, c, h, w = x.shape
    return x.reshape(*lead, c // (r * r), h * r, w * r)


def _transposed(x: Tensor, r: int) -> Tensor:
    return F.pixel_shuffle(x.transpose(-1, -2), r).transpose(-1, -2)


@lru_cache(maxsize=1)
def mistakes() -> tuple[Mistake, ...]:
    """The candidate wrong answers, the commonest first (an informative input is found early)."""
    return (_naive_reshape, _transposed, *(_pattern_mistake(order.pattern()) for order in wrong_orders()))


def informative(base: np.ndarray, layout: str, shape: tuple[int, ...], factor: int, upstream: np.ndarray,
                expected: np.ndarray, expected_grad: np.ndarray) -> tuple[bool, bool]:  # fmt: skip
    """Whether some candidate mistake gives another output, and another input gradient, on this input."""
    forward_told = gradient_told = False
    for mistake in mistakes():
        leaf = torch.from_numpy(base.copy()).requires_grad_(True)
        try:
            out = mistake(layout_view(leaf, layout, shape), factor)
        except Exception:  # noqa: BLE001 - a mistake that cannot run on this input tells nothing
            continue
        if tuple(out.shape) != expected.shape:
            continue
        forward_told = forward_told or out.detach().numpy().tobytes() != expected.tobytes()
        if not gradient_told:
            out.backward(torch.from_numpy(upstream))
            gradient_told = leaf.grad is not None and leaf.grad.numpy().tobytes() != expected_grad.tobytes()
        if forward_told and gradient_told:
            break
    return forward_told, gradient_told
