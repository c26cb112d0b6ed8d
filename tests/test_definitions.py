"""What the grader keeps of a notebook, and the module each part imports."""

from __future__ import annotations

from grader.definitions import extract_definitions, module_source
from grader.notebook import Cell


def extract(*sources: str, **kwargs):  # type: ignore[no-untyped-def]
    return extract_definitions([Cell(f"cell {i}", s) for i, s in enumerate(sources, start=1)], **kwargs)


def test_definitions_and_constants_are_kept_actions_are_dropped_with_a_note() -> None:
    ex = extract(
        "import torch\nfrom torch import nn\nK = 3\nFEATURES = 32 * 7 * 7\nNAMES: tuple = ('a', 'b')\n"
        'device = torch.device("cuda" if torch.cuda.is_available() else "cpu")',
        "model = nn.Linear(2, 2)\nfor epoch in range(3):\n    print(epoch)\nclass Net(nn.Module):\n    pass",
    )
    assert [sorted(s.binds) for s in ex.statements] == [
        ["torch"], ["nn"], ["K"], ["FEATURES"], ["NAMES"], ["device"], ["Net"],
    ]  # fmt: skip
    assert ex.notes == ("cell 2, line 1: dropped `model = nn.Linear(2, 2)`", "cell 2, line 2: dropped `for epoch in range(3):`")


def test_docstrings_and_colab_markdown_strings_are_dropped_silently() -> None:
    ex = extract('"""Module docstring."""\nK = 3', '"""## Part 2: super-resolution"""')
    assert ex.notes == () and [s.text for s in ex.statements] == ["K = 3"]


def test_a_definition_that_needs_a_dropped_name_when_it_runs_is_dropped_with_the_reason() -> None:
    ex = extract(
        "import torch\nloader = make_loader()\nEPOCHS = 2",
        "def train(model, loader=loader, epochs=EPOCHS):\n    pass",
        "class Wrapped(Base):\n    pass",
        "def later(model):\n    return loader(model)",  # only when called: kept
    )
    assert [sorted(s.binds) for s in ex.statements] == [["torch"], ["EPOCHS"], ["later"]]
    assert "cell 2, line 1: dropped `def train(model, loader=loader, epochs=EPOCHS):`: it needs `loader`" in ex.notes[1]
    assert "it needs `Base` when it runs" in ex.notes[2]


def test_class_bodies_may_use_their_own_names_and_annotations_follow_future_imports() -> None:
    ex = extract("class C:\n    a = 1\n    b = a + 1", "def f(x: Tensor) -> Tensor:\n    return x")
    assert [sorted(s.binds) for s in ex.statements] == [["C"]]
    lazy = extract("from __future__ import annotations", "def f(x: Tensor) -> Tensor:\n    return x")
    assert [sorted(s.binds) for s in lazy.statements] == [["f"]] and lazy.future == ("from __future__ import annotations",)


def test_imports_of_missing_modules_are_dropped_local_ones_kept() -> None:
    ex = extract("from google.colab import drive\nimport wandb_not_here\nimport json\nfrom helpers import norm",
                 local_modules=frozenset({"helpers"}))  # fmt: skip
    assert [s.text for s in ex.statements] == ["import json", "from helpers import norm"]
    assert ex.notes == (
        "cell 1, line 1: dropped `from google.colab import drive`: google.colab is not installed where the grader runs",
        "cell 1, line 2: dropped `import wandb_not_here`: wandb_not_here is not installed where the grader runs",
    )


def test_the_last_definition_wins_and_the_first_is_noted() -> None:
    ex = extract(
        "import torch.nn.functional as F\ndef pixel_shuffle(x, r):\n    return F.pixel_shuffle(x, r)",
        "from einops import rearrange\ndef pixel_shuffle(x, r):\n    return rearrange(x, 'c h w -> c h w')",
    )
    assert "F.pixel_shuffle" not in "\n".join(s.text for s in ex.statements)
    assert ex.notes == ("cell 1, line 2: `def pixel_shuffle(x, r):` is replaced by the definition at cell 2, line 2",)


def test_a_definition_used_before_its_replacement_stays() -> None:
    ex = extract("class Base:\n    pass", "class Child(Base):\n    pass", "class Base:\n    x = 1")
    assert [s.where for s in ex.statements] == ["cell 1, line 1", "cell 2, line 1", "cell 3, line 1"]


def test_a_cell_that_does_not_parse_is_named_and_skipped_alone() -> None:
    ex = extract("K = 3", "class SuperResolutionNet(nn.Module):\n    def forward(self, y)\n        return y", "J = 4")
    assert ex.syntax_errors == (
        "cell 2, line 2 has a syntax error (expected ':') `def forward(self, y)`: the grader skipped the whole cell",
    )
    assert ex.notes[0] == ex.syntax_errors[0]
    assert [s.text for s in ex.statements] == ["K = 3", "J = 4"]


def test_each_part_module_holds_only_what_its_names_need() -> None:
    ex = extract(
        "import torch\nimport matplotlib.pyplot as plt\nfrom einops import rearrange\nR = 3",
        "def pixel_shuffle(x, r=R):\n    return rearrange(x, 'a -> a')",
        "class PixelShuffle(torch.nn.Module):\n    def forward(self, x):\n        return pixel_shuffle(x)",
        "def retrain(net):\n    net.pixel_shuffle = PixelShuffle()",
    )
    source = module_source(ex, ["pixel_shuffle", "PixelShuffle"])
    assert "import torch" in source and "rearrange" in source and "R = 3" in source
    assert "matplotlib" not in source and "net.pixel_shuffle" not in source
    star = extract("from helpers import *", "def f():\n    pass", local_modules=frozenset({"helpers"}))
    assert module_source(star, ["f"]).count("\n# cell") == 2  # what `*` binds is unknown: all of it
