"""Static reading of Part 3: torch's pixel shuffle named, the runtime tampered with, in the
code the part can reach and only there; and the einops calls its entry points make."""

from __future__ import annotations

import pytest

from grader.source_scan import scan_pixel_shuffle

GOOD = '''
"""Docstrings may name torch.nn.functional.pixel_shuffle freely."""
import re
from einops import rearrange as arrange
from torch import nn

__all__ = ["pixel_shuffle", "PixelShuffle"]
SPACES = re.compile(r"\\s+")

def pixel_shuffle(x, r):
    return arrange(x, "... (c a b) h w -> ... c (h a) (w b)", a=r, b=r)

class PixelShuffle(nn.Module):
    def __init__(self, r):
        super().__init__()
        self.pixel_shuffle = pixel_shuffle
        self.r = getattr(self, "r", r)

    def forward(self, x):
        return self.pixel_shuffle(x, self.r)

    def extra_repr(self):
        return f"{self.__class__.__name__}(upscale_factor={self.r})"

def _compare_with_torch(x):
    import torch.nn.functional as F
    return F.pixel_shuffle(x, 2)

if __name__ == "__main__":
    import torch
    assert torch.equal(pixel_shuffle(torch.ones(1, 4, 1, 1), 2), _compare_with_torch(torch.ones(1, 4, 1, 1)))
'''

SHELL = "\n\nclass PixelShuffle:\n    pass\n"


def scan(source: str, **helpers: str):  # noqa: ANN201
    return scan_pixel_shuffle(source + SHELL, helpers={f"{k}.py": v for k, v in helpers.items()})


def test_an_honest_module_with_self_tests_is_clean() -> None:
    result = scan_pixel_shuffle(GOOD, helpers={"test_pixel_shuffle.py": "import torch.nn.functional as F\nF.pixel_shuffle\n"})
    assert result.syntax_error is None
    assert result.torch_references == () and result.tampering == (), (result.torch_references, result.tampering)
    assert [c.patterns for c in result.einops_calls] == [("... (c a b) h w -> ... c (h a) (w b)",)]


@pytest.mark.parametrize("source, needle", [
    ("import torch.nn.functional as F\ndef pixel_shuffle(x, r):\n    return F.pixel_shuffle(x, r)", "F.pixel_shuffle"),
    ("import torch\ndef pixel_shuffle(x, r):\n    return torch.nn.PixelShuffle(r)(x)", "torch.nn.PixelShuffle"),
    ("from torch.nn.functional import pixel_shuffle as ps\ndef pixel_shuffle(x, r):\n    return ps(x, r)",
     "ps (torch.nn.functional.pixel_shuffle)"),
    ("from torch.nn.functional import *\nPS = pixel_shuffle\ndef pixel_shuffle(x, r):\n    return PS(x, r)",
     "torch.nn.functional.pixel_shuffle"),
    ("from torch.nn import PixelShuffle as P\ndef pixel_shuffle(x, r):\n    return P(r)(x)", "P (torch.nn.PixelShuffle)"),
    ("import torch.nn.functional as F\nfast = F\ndef pixel_shuffle(x, r):\n    return fast.pixel_shuffle(x, r)",
     "fast.pixel_shuffle"),
    ("def pixel_shuffle(x, r):\n    from torch.nn.functional import pixel_shuffle as p\n    return p(x, r)", "import"),
])  # fmt: skip
def test_every_way_to_name_torch_shuffle_is_found(source: str, needle: str) -> None:
    refs = scan(source).torch_references
    assert any(needle in ref for ref in refs), refs


def test_the_entry_point_itself_may_be_torchs() -> None:
    refs = scan_pixel_shuffle("from torch.nn import PixelShuffle\ndef pixel_shuffle(x, r): return x\n").torch_references
    assert any("PixelShuffle is torch.nn.PixelShuffle" in ref for ref in refs), refs


def test_a_helper_module_is_read_through_every_import_form() -> None:
    helper = "import torch.nn.functional as F\ndef go(x, r):\n    return F.pixel_shuffle(x, r)\n"
    for main in ("from tools import go\ndef pixel_shuffle(x, r):\n    return go(x, r)",
                 "import tools\ndef pixel_shuffle(x, r):\n    return tools.go(x, r)",
                 "import tools as t\ndef pixel_shuffle(x, r):\n    return t.go(x, r)",
                 "from tools import *\ndef pixel_shuffle(x, r):\n    return go(x, r)",
                 "def pixel_shuffle(x, r):\n    from tools import go\n    return go(x, r)"):  # fmt: skip
        refs = scan(main, tools=helper).torch_references
        assert refs and refs[0].startswith("tools.py line 3"), (main, refs)


def test_a_package_helper_and_a_relative_import_are_read() -> None:
    files = {"pkg/__init__.py": "from .impl import go\n",
             "pkg/impl.py": "import torch\ndef go(x, r):\n    return torch.pixel_shuffle(x, r)\n"}  # fmt: skip
    result = scan_pixel_shuffle("from pkg import go\ndef pixel_shuffle(x, r):\n    return go(x, r)\n" + SHELL,
                                helpers=files)  # fmt: skip
    assert any(ref.startswith("pkg/impl.py line 3") for ref in result.torch_references), result.torch_references


@pytest.mark.parametrize("source", [
    "import torch.nn.functional as F\ndef pixel_shuffle(x, r):\n    return F.__dict__['pixel_' + 'shuffle'](x, r)",
    "import torch.nn.functional as F\ndef pixel_shuffle(x, r):\n    return vars(F)['pixel_shuffle'](x, r)",
    "import torch.nn.functional as F\ndef pixel_shuffle(x, r):\n    return getattr(F, 'pixel_' + 'shuffle')(x, r)",
    "import torch.nn.functional as F\ndef pixel_shuffle(x, r):\n    return getattr(F, 'pixel_shuffle')(x, r)",
    "def pixel_shuffle(x, r):\n    return globals()['helper'](x, r)",
    "import importlib\ndef pixel_shuffle(x, r):\n    return importlib.import_module('torch').pixel_shuffle",
    "def pixel_shuffle(x, r):\n    return __import__('torch').nn",
    "def pixel_shuffle(x, r):\n    return eval('x')",
    "import torch\ndef pixel_shuffle(x, r):\n    with torch._C._DisableTorchDispatch():\n        return x",
    "from torch.utils._python_dispatch import _disable_current_modes as off\ndef pixel_shuffle(x, r):\n    with off():\n        return x",
    "import gc\ndef pixel_shuffle(x, r):\n    return gc.get_objects()",
    "import ctypes\ndef pixel_shuffle(x, r):\n    return ctypes.pythonapi",
    "import sys\ndef pixel_shuffle(x, r):\n    return sys._getframe(1).f_locals",
    "import sys\ndef pixel_shuffle(x, r):\n    return sys.modules['grader']",
    "import sys\nsys.settrace(None)\ndef pixel_shuffle(x, r):\n    return x",
    "import inspect\ndef pixel_shuffle(x, r):\n    return inspect.stack()",
    "import torch\nlib = torch.library.Library('aten', 'IMPL')\ndef pixel_shuffle(x, r):\n    return x",
    "import torch\ndef pixel_shuffle(x, r):\n    return torch.ops.aten.pixel_shuffle(x, r)",
    "import torch\ndef pixel_shuffle(x, r):\n    return torch._refs.nn.functional.pixel_shuffle(x, r)",
    "import torch\ndef pixel_shuffle(x, r):\n    return torch.compile(lambda t: t)(x)",
    "import torch\ndef pixel_shuffle(x, r):\n    return torch.load('shuffle.pt', weights_only=False)(x)",
    "import pickle\ndef pixel_shuffle(x, r):\n    return pickle.loads(b'')",
    "import torch\ntorch.equal = lambda a, b: True\ndef pixel_shuffle(x, r):\n    return x",
    "import torch\nsetattr(torch.Tensor, '__eq__', lambda a, b: True)\ndef pixel_shuffle(x, r):\n    return x",
    "import grader.training\ngrader.training.train_superres = None\ndef pixel_shuffle(x, r):\n    return x",
    "from grader.probes import pixel_shuffle as probe\ndef pixel_shuffle(x, r):\n    return probe",
    "import torch\nclass Forged(torch.Tensor):\n    @classmethod\n    def __torch_function__(cls, f, t, a=(), k=None):\n"
    "        return f(*a)\ndef pixel_shuffle(x, r):\n    return x.as_subclass(Forged)",
    "def pixel_shuffle(x, r):\n    return x.__class__.__mro__[-1].__subclasses__()",
    "def pixel_shuffle(x, r):\n    return (lambda: 0).__globals__",
])  # fmt: skip
def test_tampering_and_dynamic_lookups_are_flagged(source: str) -> None:
    assert scan(source).tampering, source


def test_code_that_cannot_run_is_not_flagged() -> None:
    source = ("import torch.nn.functional as F\nimport gc\n"
              "def pixel_shuffle(x, r):\n    return x\n    gc.collect()\n"
              "def never_called(x):\n    return F.pixel_shuffle(x, 2)\n"
              "if False:\n    F.__dict__['pixel_shuffle']\n")  # fmt: skip
    result = scan(source)
    assert result.torch_references == () and result.tampering == ()


def test_the_submissions_own_names_are_not_torchs() -> None:
    helper = "from einops import rearrange\ndef pixel_shuffle(x, r):\n    return rearrange(x, 'a -> a')\n"
    source = "import shuffles\ndef pixel_shuffle(x, r):\n    return shuffles.pixel_shuffle(x, r)"
    assert scan(source, shuffles=helper).torch_references == ()


def test_notebook_mode_skips_the_other_parts_classes() -> None:
    source = GOOD + "\nclass SuperResolutionNet(nn.Module):\n    shuffle = nn.PixelShuffle(3)\n"
    assert scan_pixel_shuffle(source, "nb.py").torch_references
    skipped = scan_pixel_shuffle(source, "nb.py", skip=frozenset({"SuperResolutionNet"}))
    assert skipped.torch_references == ()


def test_rearrange_in_dead_code_is_not_an_einops_call() -> None:
    source = ("from einops import rearrange\n"
              "def pixel_shuffle(x, r):\n    y = x.reshape(1)\n    return y\n"
              "    return rearrange(x, '... (c h2 w2) h w -> ... c (h h2) (w w2)', h2=r, w2=r)\n"
              "def unused(x, r):\n    return rearrange(x, 'a -> a')\n")  # fmt: skip
    result = scan(source)
    assert result.einops_calls == ()
    assert result.unreached_einops == ("pixel_shuffle.py line 5", "pixel_shuffle.py line 7")


def test_syntax_error_is_reported_not_raised() -> None:
    result = scan_pixel_shuffle("def pixel_shuffle(x, r:\n    pass", "p.py")
    assert result.syntax_error is not None and result.syntax_error.startswith("line 1")


def test_code_nested_too_deeply_to_read_earns_no_trust_and_raises_nothing() -> None:
    deep = " + ".join(["x"] * 3000)  # too deep for the parser, and for Python's compiler too
    result = scan(f"def pixel_shuffle(x, r):\n    return {deep}\n")
    assert "nested too deeply" in (result.syntax_error or "")
    helper = scan("import deep\n", deep=f"y = {deep}\n")
    assert len(helper.tampering) == 1 and helper.tampering[0].startswith("deep.py could not be read")
    walkable = " + ".join(["x"] * 1500)  # parses and compiles: the walk reads it without recursion
    assert scan(f"def pixel_shuffle(x, r):\n    return {walkable}\n").tampering == ()
    chain = "torch" + ".nn" * 900 + ".pixel_shuffle"  # compiles; deeper than name resolution follows
    assert scan(f"import torch\ndef pixel_shuffle(x, r):\n    return {chain}(x, r)\n").tampering


def test_a_printed_comparison_at_top_level_is_a_self_test() -> None:
    # Its call of torch's op returns the child's poisoned NaN and print binds nothing the entry
    # points read; the same name passed on, stored, or printed by a rebound `print` still counts.
    body = "def pixel_shuffle(x, r):\n    return x\nx = torch.ones(1, 4, 1, 1)\n"
    head = "import torch\nimport torch.nn.functional as F\nfrom torch import nn\n"
    assert scan_pixel_shuffle(head + body + "print(torch.equal(pixel_shuffle(x, 2), F.pixel_shuffle(x, 2)))\n"
                              "print(nn.PixelShuffle(2)(x))\n").torch_references == ()
    for trick in ("_IMPL = []\nprint(_IMPL.append(F.pixel_shuffle))\n",
                  "print = len\nprint(F.pixel_shuffle(x, 2))\n",
                  "y = F.pixel_shuffle(x, 2)\nprint(y)\n",
                  "print((f := F.pixel_shuffle)(x, 2))\n"):
        assert scan_pixel_shuffle(head + body + trick).torch_references, trick
