"""The pattern and axis lengths of a rearrange call, read from the source in every usual style."""

from __future__ import annotations

import pytest

from grader.source_scan import scan_pixel_shuffle

PATTERN = "... (c h2 w2) h w -> ... c (h h2) (w w2)"
SHELL = "\n\nclass PixelShuffle:\n    pass\n"


def calls(source: str, **helpers: str):  # noqa: ANN201
    return scan_pixel_shuffle(source + SHELL, helpers={f"{k}.py": v for k, v in helpers.items()}).einops_calls


@pytest.mark.parametrize("source", [
    f"from einops import rearrange\ndef pixel_shuffle(x, r):\n    return rearrange(x, '{PATTERN}', h2=r, w2=r)",
    f"import einops\ndef pixel_shuffle(x, r):\n    return einops.rearrange(x, pattern='{PATTERN}', h2=r, w2=r)",
    f"import einops as E\nP = '{PATTERN}'\ndef pixel_shuffle(x, r):\n    return E.rearrange(x, P, h2=r, w2=r)",
    f"from einops import rearrange as rr\nshuffle = rr\ndef pixel_shuffle(x, r):\n    return shuffle(x, '{PATTERN}', h2=r, w2=r)",
    f"from einops import rearrange\ndef pixel_shuffle(x, r, p='{PATTERN}'):\n    return rearrange(x, p, h2=r, w2=r)",
    f"from einops import rearrange\ndef pixel_shuffle(x, r):\n    p = '{PATTERN}'\n    return rearrange(x, p, h2=r, w2=r)",
    "from einops import rearrange\nIN = '... (c h2 w2) h w'\nOUT = '... c (h h2) (w w2)'\n"
    "def pixel_shuffle(x, r):\n    return rearrange(x, IN + ' -> ' + OUT, h2=r, w2=r)",
    "from einops import rearrange\nIN = '... (c h2 w2) h w'\n"
    "def pixel_shuffle(x, r):\n    return rearrange(x, f'{IN} -> ... c (h h2) (w w2)', h2=r, w2=r)",
    f"from einops import rearrange\ndef pixel_shuffle(x, r):\n    return rearrange(x, '{PATTERN}', **{{'h2': r, 'w2': r}})",
    f"from einops import rearrange\ndef pixel_shuffle(x, r):\n    return rearrange(x, '{PATTERN}', **dict(h2=r, w2=r))",
    f"from einops.layers.torch import Rearrange\ndef pixel_shuffle(x, r):\n    return Rearrange('{PATTERN}', h2=r, w2=r)(x)",
    f"import einops.layers.torch as L\ndef pixel_shuffle(x, r):\n    return L.Rearrange('{PATTERN}', h2=r, w2=r)(x)",
    f"from einops import *\ndef pixel_shuffle(x, r):\n    return rearrange(x, '{PATTERN}', h2=r, w2=r)",
])  # fmt: skip
def test_the_pattern_is_read(source: str) -> None:
    found = calls(source)
    assert len(found) == 1 and found[0].patterns == (PATTERN,), found
    assert dict(found[0].axes) == {"h2": None, "w2": None} and not found[0].open_axes


def test_patterns_in_a_class_and_a_helper_module() -> None:
    layer = (f"from einops.layers.torch import Rearrange\nfrom torch import nn\n"
             f"class PixelShuffle(nn.Module):\n    pattern = '{PATTERN}'\n"
             "    def __init__(self, r):\n        super().__init__()\n        self.r = r\n"
             "        self.layer = Rearrange(self.pattern, h2=r, w2=r)\n"
             "    def forward(self, x):\n        return self.layer(x)\n"
             "def pixel_shuffle(x, r):\n    return PixelShuffle(r)(x)\n")  # fmt: skip
    assert [c.patterns for c in scan_pixel_shuffle(layer).einops_calls] == [(PATTERN,)]
    helper = f"from einops import rearrange as _r\nPATTERN = '{PATTERN}'\ndef d2s(x, r):\n    return _r(x, PATTERN, h2=r, w2=r)\n"
    found = calls("from ops import d2s\ndef pixel_shuffle(x, r):\n    return d2s(x, r)", ops=helper)
    assert found[0].patterns == (PATTERN,) and found[0].where == "ops.py line 4"


def test_fixed_lengths_and_unreadable_ones() -> None:
    fixed = calls(f"from einops import rearrange\nR = 2\ndef pixel_shuffle(x, r):\n    return rearrange(x, '{PATTERN}', h2=2, w2=R)")
    assert dict(fixed[0].axes) == {"h2": 2, "w2": 2}
    opened = calls(f"from einops import rearrange\ndef pixel_shuffle(x, r, **axes):\n    return rearrange(x, '{PATTERN}', **axes)")
    assert opened[0].open_axes


@pytest.mark.parametrize("source", [
    "from einops import rearrange\ndef pixel_shuffle(x, r, p):\n    return rearrange(x, p, h2=r, w2=r)",
    "from einops import rearrange\ndef pixel_shuffle(x, r):\n    return rearrange(x, '{} -> {}'.format('a', 'a'))",
    "from einops import rearrange\ndef pixel_shuffle(x, r):\n    return rearrange(x, open('p.txt').read())",
])  # fmt: skip
def test_a_pattern_the_source_does_not_show_is_not_guessed(source: str) -> None:
    found = calls(source)
    assert len(found) == 1 and found[0].patterns == ()
