"""Which inputs count: those on which some usual mistake differs from torch's pixel shuffle."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from grader.parts.shuffle_mistakes import informative, mistakes
from grader.shuffle_orders import wrong_orders


def told(shape: tuple[int, ...], factor: int, layout: str = "contiguous") -> tuple[bool, bool]:
    rng = np.random.default_rng(0)
    base = rng.standard_normal(shape).astype(np.float32)
    leaf = torch.from_numpy(base.copy()).requires_grad_(True)
    out = F.pixel_shuffle(leaf, factor)
    upstream = rng.standard_normal(tuple(out.shape)).astype(np.float32)
    out.backward(torch.from_numpy(upstream))
    return informative(base, layout, shape, factor, upstream, out.detach().numpy(), leaf.grad.numpy())


def test_the_candidates_are_every_wrong_axis_order_and_more() -> None:
    assert len(wrong_orders()) == 143 and len(mistakes()) == 143 + 2
    x = torch.randn(2, 18, 3, 4)
    assert all(not torch.equal(m(x, 3), F.pixel_shuffle(x, 3)) for m in mistakes() if m(x, 3).shape == (2, 2, 9, 12))


@pytest.mark.parametrize("shape", [(2, 3, 4), (1, 2, 5, 1), (3, 1, 2, 5)])
def test_at_r1_an_image_that_is_not_square_tells_nothing(shape: tuple[int, ...]) -> None:
    assert told(shape, 1) == (False, False)


def test_at_r1_a_square_image_tells_a_transposition() -> None:
    assert told((2, 3, 3), 1) == (True, True)


@pytest.mark.parametrize("shape, factor", [((4, 1, 3), 2), ((9, 1, 1), 3), ((2, 32, 2, 1), 4), ((1, 1, 4, 1, 1), 2)])
def test_for_r_above_1_every_input_tells(shape: tuple[int, ...], factor: int) -> None:
    assert told(shape, factor) == (True, True)
