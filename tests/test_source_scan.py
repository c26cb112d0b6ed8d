"""Static reading of pixel_shuffle.py: einops use and references to torch's shuffle."""

from __future__ import annotations

from grader.source_scan import scan_pixel_shuffle

GOOD = '''
"""Docstrings may name torch.nn.functional.pixel_shuffle freely."""
from einops import rearrange as arrange
from torch import nn

def pixel_shuffle(x, r):
    return arrange(x, "... (c a b) h w -> ... c (h a) (w b)", a=r, b=r)

class PixelShuffle(nn.Module):
    def __init__(self, r):
        super().__init__()
        self.pixel_shuffle = pixel_shuffle

    def forward(self, x):
        return self.pixel_shuffle(x, 2)
'''


def test_reference_style_source_is_clean() -> None:
    scan = scan_pixel_shuffle(GOOD, "pixel_shuffle.py")
    assert scan.uses_rearrange and scan.syntax_error is None
    assert scan.torch_references == () and scan.dynamic_access == ()


def test_module_alias_and_layer_count_as_rearrange() -> None:
    assert scan_pixel_shuffle("import einops as E\nE.rearrange(x, 'a -> a')", "p.py").uses_rearrange
    layer = "from einops.layers.torch import Rearrange\nRearrange('a -> a')"
    assert scan_pixel_shuffle(layer, "p.py").uses_rearrange
    assert not scan_pixel_shuffle("from einops import rearrange\nx.reshape(1)", "p.py").uses_rearrange


def test_every_way_to_name_torch_shuffle_is_found() -> None:
    sources = {
        "import torch.nn.functional as F\ny = F.pixel_shuffle(x, 2)": "F.pixel_shuffle",
        "import torch\ny = torch.nn.PixelShuffle(2)(x)": "torch.nn.PixelShuffle",
        "from torch.nn.functional import pixel_shuffle as ps": "import pixel_shuffle",
        "import torch\ny = torch.ops.aten.pixel_shuffle(x, 2)": "torch.ops.aten",
        "from torch import nn\nclass PixelShuffle(nn.PixelShuffle): pass": "nn.PixelShuffle",
    }
    for source, needle in sources.items():
        refs = scan_pixel_shuffle(source, "p.py").torch_references
        assert any(needle in ref for ref in refs), (source, refs)


def test_dynamic_lookups_and_code_runners_are_flagged() -> None:
    sources = [
        "import torch.nn.functional as F\nf = getattr(F, 'pixel_' + 'shuffle')",
        "import torch.nn.functional as F\nf = getattr(F, 'pixel_shuffle')",
        "import importlib\nm = importlib.import_module(name)",
        "eval('1')",
        "exec(code)",
    ]
    for source in sources:
        assert scan_pixel_shuffle(source, "p.py").dynamic_access, source
    assert not scan_pixel_shuffle("y = getattr(self, 'upscale_factor')", "p.py").dynamic_access


def test_notebook_mode_skips_the_other_parts_classes() -> None:
    source = GOOD + "\nclass SuperResolutionNet(nn.Module):\n    shuffle = nn.PixelShuffle(3)\n"
    assert scan_pixel_shuffle(source, "nb.py").torch_references
    skipped = scan_pixel_shuffle(source, "nb.py", skip=frozenset({"SuperResolutionNet"}))
    assert skipped.torch_references == ()


def test_syntax_error_is_reported_not_raised() -> None:
    scan = scan_pixel_shuffle("def pixel_shuffle(x, r:\n    pass", "p.py")
    assert scan.syntax_error is not None and scan.syntax_error.startswith("line 1")
