"""The PixelShuffle cases: every layout a rank allows, in every dtype, whatever the seed."""

from __future__ import annotations

import numpy as np
import pytest

from grader.oracle import LAYOUTS
from grader.parts.pixel_shuffle import make_cases

FACTORS, CHANNELS, DIMS, DTYPES = [1, 2, 3, 4], [1, 2, 3], [3, 4, 5], ["float32", "float64"]


@pytest.mark.parametrize("seed", range(5))
def test_every_rank_meets_every_layout_in_every_dtype(seed: int) -> None:
    cases = make_cases(np.random.default_rng(seed), FACTORS, CHANNELS, DIMS, DTYPES)
    seen = {(len(c.shape), c.layout, c.dtype) for c in cases}
    for ndim in DIMS:
        layouts = [l for l in LAYOUTS if ndim >= 4 or l != "expanded"]
        assert {(ndim, l, d) for l in layouts for d in DTYPES} <= seen
    assert {(c.factor, c.shape[-3] // c.factor**2) for c in cases if len(c.shape) == 4} >= {
        (r, ch) for r in FACTORS for ch in CHANNELS
    }


@pytest.mark.parametrize("seed", range(5))
def test_expanded_inputs_have_leading_axes_that_cannot_be_merged_by_a_view(seed: int) -> None:
    cases = make_cases(np.random.default_rng(seed), FACTORS, CHANNELS, DIMS, DTYPES)
    expanded = [c for c in cases if c.layout == "expanded"]
    assert expanded and all(c.shape[0] == 3 and all(n >= 2 for n in c.shape[1:-3]) for c in expanded)
