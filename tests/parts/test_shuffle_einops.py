"""uses_einops: the parent evaluates the reachable einops pattern itself; dead or fake calls earn nothing."""

from __future__ import annotations

import pytest

from grader.parts.shuffle_einops import judge
from grader.source_scan import scan_pixel_shuffle

SHELL = "\n\nclass PixelShuffle:\n    pass\n"


def verdict(body: str):  # noqa: ANN201
    source = "from einops import rearrange\nfrom einops.layers.torch import Rearrange\n" + body + SHELL
    return judge(scan_pixel_shuffle(source), "pixel_shuffle.py")


@pytest.mark.parametrize("pattern, axes", [
    ("... (c h2 w2) h w -> ... c (h h2) (w w2)", "h2=r, w2=r"),
    ("b (c i j) h w -> b c (h i) (w j)", "i=r, j=r"),
    ("... (ch dy dx) height width -> ... ch (height dy) (width dx)", "dy=r, dx=r"),
    ("... (c h2 w2) h w -> ... c (h h2) (w w2)", "c=x.shape[-3] // (r * r), h2=r"),
    ("... (c h2 w2) h w -> ... c (h h2) (w w2)", "**{'h2': r, 'w2': r}"),
])  # fmt: skip
def test_a_depth_to_space_pattern_earns_the_point(pattern: str, axes: str) -> None:
    result = verdict(f"def pixel_shuffle(x, r):\n    return rearrange(x, '{pattern}', {axes})")
    assert result.credit == 1.0 and "gives torch's pixel shuffle" in result.message, result


@pytest.mark.parametrize("body, message", [
    ("def pixel_shuffle(x, r):\n    return rearrange(x.reshape(1), '... c h w -> ... c h w')", "no einops pattern"),
    ("def pixel_shuffle(x, r):\n    return rearrange(x, '... (h2 w2 c) h w -> ... c (h h2) (w w2)', h2=r, w2=r)",
     "no einops pattern"),
    ("def pixel_shuffle(x, r):\n    return rearrange(x, '... (c h2 w2) h w -> ... c (h h2) (w w2)', h2=2, w2=2)",
     "no einops pattern"),
    ("def pixel_shuffle(x, r):\n    return x\n    return rearrange(x, '... (c h2 w2) h w -> ... c (h h2) (w w2)', h2=r, w2=r)",
     "only in code that never runs"),
    ("def pixel_shuffle(x, r):\n    if False:\n        rearrange(x, '... (c h2 w2) h w -> ... c (h h2) (w w2)', h2=r, w2=r)\n"
     "    return x", "only in code that never runs"),
    ("def unused(x, r):\n    return rearrange(x, '... (c h2 w2) h w -> ... c (h h2) (w w2)', h2=r, w2=r)\n"
     "def pixel_shuffle(x, r):\n    return x", "only in code that never runs"),
    ("LAYER = Rearrange('... (c h2 w2) h w -> ... c (h h2) (w w2)', h2=2, w2=2)\n"
     "def pixel_shuffle(x, r):\n    return x", "neither pixel_shuffle nor PixelShuffle uses it"),
    ("def pixel_shuffle(x, r, pattern):\n    return rearrange(x, pattern, h2=r, w2=r)", "cannot be read"),
    ("def pixel_shuffle(x, r):\n    return x", "never calls einops.rearrange"),
])  # fmt: skip
def test_dead_fake_or_unreadable_einops_earns_nothing(body: str, message: str) -> None:
    result = verdict(body)
    assert result.credit == 0.0 and message in result.message, result


def test_a_syntax_error_is_said() -> None:
    assert "does not parse" in judge(scan_pixel_shuffle("def (:"), "pixel_shuffle.py").message


def test_the_parents_numpy_reference_is_torchs_pixel_shuffle() -> None:
    import numpy as np
    import torch
    import torch.nn.functional as F

    from grader.shuffle_orders import TORCH_ORDER

    for shape, factor in (((2, 18, 3, 4), 3), ((8, 2, 5), 2), ((2, 1, 16, 1, 3), 4)):
        x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
        assert np.array_equal(TORCH_ORDER.apply(x, factor), F.pixel_shuffle(torch.from_numpy(x), factor).numpy())
