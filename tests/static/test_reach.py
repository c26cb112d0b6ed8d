"""Which code a part can reach: read from the module's top level and its entry points, never
a `__main__` block, an unimported file or a function nothing calls."""

from __future__ import annotations

import ast

from grader.static.liveness import truth
from grader.static.names import DefRef, External, ModuleRef, Scope, StmtRef
from grader.static.program import Program
from grader.static.reach import reach

ENTRIES = ("pixel_shuffle", "PixelShuffle")


def reached_names(files: dict[str, str], main: str = "pixel_shuffle.py", skip: frozenset[str] = frozenset()
                  ) -> tuple[set[str], set[str]]:  # fmt: skip
    """(every reachable def/class/module name, those reached from the entry points)."""
    program = Program(main, files=files)
    reached = reach(program, ENTRIES, skip)

    def name(unit: object) -> str:
        if isinstance(unit, ModuleRef):
            return f"module {unit.source.name}"
        if isinstance(unit, DefRef):
            return unit.node.name  # type: ignore[attr-defined]
        return f"stmt line {unit.node.lineno}"  # type: ignore[attr-defined]

    return {name(u) for u in reached.units}, {name(u) for u in reached.from_entries}


MAIN = '''
import torch.nn.functional as F
from einops import rearrange
from torch import nn
from helpers import depth_to_space, self_test

PATTERN = "... (c h2 w2) h w -> ... c (h h2) (w w2)"


def unused(x):
    return F.pixel_shuffle(x, 2)


def pixel_shuffle(x, r):
    return depth_to_space(x, r)


class PixelShuffle(nn.Module):
    def forward(self, x):
        return pixel_shuffle(x, 2)


if __name__ == "__main__":
    self_test()
    unused(None)
'''
HELPERS = '''
from einops import rearrange
import shapes


def depth_to_space(x, r):
    return rearrange(x, shapes.PATTERN, h2=r, w2=r)


def self_test():
    import torch.nn.functional as F
    return F.pixel_shuffle
'''


def test_only_what_the_module_and_its_entry_points_use_is_read() -> None:
    files = {"pixel_shuffle.py": MAIN, "helpers.py": HELPERS, "shapes.py": "PATTERN = 'a -> a'\n",
             "test_pixel_shuffle.py": "import torch.nn.functional as F\nF.pixel_shuffle\n"}  # fmt: skip
    everything, from_entries = reached_names(files)
    assert {"pixel_shuffle", "PixelShuffle", "depth_to_space", "module helpers", "module shapes"} <= everything
    assert not {"unused", "self_test", "module test_pixel_shuffle"} & everything
    assert "depth_to_space" in from_entries and "module pixel_shuffle" not in from_entries


def test_dead_branches_and_code_after_return_are_not_read() -> None:
    source = '''
DEBUG = False

def a(): pass
def b(): pass
def c(): pass
def d(): pass
def e(): pass

def pixel_shuffle(x, r):
    if False:
        a()
    if DEBUG:
        b()
    while 0:
        c()
    return x
    d()

def PixelShuffle(r):
    if not __debug__ or __name__ == "__main__":
        e()
'''
    everything, _ = reached_names({"pixel_shuffle.py": source})
    assert not {"a", "b", "c", "d", "e"} & everything


def test_a_branch_whose_condition_is_unknown_is_read() -> None:
    source = "import os\ndef a(): pass\ndef pixel_shuffle(x, r):\n    if os.environ.get('X'):\n        a()\n"
    assert "a" in reached_names({"pixel_shuffle.py": source})[0]


def test_the_last_binding_of_a_name_is_what_a_function_sees() -> None:
    """A notebook that imports torch's pixel_shuffle to compare, then defines its own."""
    source = ("from torch.nn.functional import pixel_shuffle\n"
              "def pixel_shuffle(x, r):\n    return x\n"
              "class PixelShuffle:\n    def forward(self, x):\n        return pixel_shuffle(x, 2)\n")  # fmt: skip
    program = Program("nb.py", files={"nb.py": source})
    scope = Scope(program.main, program)  # type: ignore[arg-type]
    assert [type(t) for t in scope.resolve("pixel_shuffle")] == [DefRef]
    top = Scope(program.main, program, line=2)  # type: ignore[arg-type]
    assert top.resolve("pixel_shuffle") == [External("torch.nn.functional.pixel_shuffle")]


def test_attribute_chains_resolve_to_dotted_paths_and_into_local_modules() -> None:
    files = {"pixel_shuffle.py": "import torch.nn.functional as F\nimport pkg.tools as t\nops = F\n",
             "pkg/__init__.py": "", "pkg/tools.py": "def go():\n    pass\n"}  # fmt: skip
    program = Program("pixel_shuffle.py", files=files)
    scope = Scope(program.main, program)  # type: ignore[arg-type]
    expr = ast.parse("F.pixel_shuffle", mode="eval").body
    assert scope.origins(expr) == [External("torch.nn.functional.pixel_shuffle")]
    assert External("torch.nn.functional.pixel_shuffle") in scope.origins(ast.parse("ops.pixel_shuffle", mode="eval").body)
    targets = scope.origins(ast.parse("t.go", mode="eval").body)
    assert any(isinstance(x, DefRef) and x.node.name == "go" for x in targets)  # type: ignore[attr-defined]


def test_star_imports_bind_what_the_module_may_export() -> None:
    """Known for einops; any public name for a module the grader does not list (whether or not
    the parent imported it: the reading must not depend on that)."""
    source = "from einops import *\nfrom torch.nn.functional import *\n"
    program = Program("p.py", files={"p.py": source})
    scope = Scope(program.main, program)  # type: ignore[arg-type]
    assert External("einops.rearrange") in scope.resolve("rearrange")
    assert scope.resolve("pixel_shuffle") == [External("torch.nn.functional.pixel_shuffle")]
    assert scope.resolve("_private") == []


def test_local_names_shadow_module_names() -> None:
    source = "from torch.nn.functional import pixel_shuffle\ndef f(pixel_shuffle):\n    return pixel_shuffle\n"
    program = Program("p.py", files={"p.py": source})
    assert Scope(program.main, program, local=frozenset({"pixel_shuffle"})).resolve("pixel_shuffle") == []  # type: ignore[arg-type]


def test_another_parts_classes_are_skipped_unless_named() -> None:
    source = MAIN.replace("from helpers import depth_to_space, self_test", "def depth_to_space(x, r): pass\n"
                          "def self_test(): pass") + "\nclass SuperResolutionNet:\n    shuffle = nn.PixelShuffle(3)\n"  # fmt: skip
    everything, _ = reached_names({"pixel_shuffle.py": source}, skip=frozenset({"SuperResolutionNet"}))
    assert "SuperResolutionNet" not in everything


def test_truth_of_conditions() -> None:
    def value(text: str) -> bool | None:
        return truth(ast.parse(text, mode="eval").body)

    assert value("__name__ == '__main__'") is False and value("'__main__' != __name__") is True
    assert value("TYPE_CHECKING") is False and value("typing.TYPE_CHECKING") is False
    assert value("False or 0") is False and value("True and 1") is True and value("x") is None


def test_unreadable_helpers_are_reported_not_raised() -> None:
    program = Program("pixel_shuffle.py", files={"pixel_shuffle.py": "import broken\n", "broken.py": "def (:\n"})
    reach(program, ENTRIES)
    assert program.problems and "broken.py" in program.problems[0]


def test_a_constant_read_by_an_entry_point_is_reached_from_it() -> None:
    source = "from einops.layers.torch import Rearrange\nLAYER = Rearrange('a -> a')\ndef pixel_shuffle(x, r):\n    return LAYER(x)\n"
    _, from_entries = reached_names({"pixel_shuffle.py": source})
    assert "stmt line 2" in from_entries
    assert StmtRef  # the unit kind named above


def test_a_long_attribute_chain_is_read_in_linear_work(monkeypatch) -> None:
    """Every link of a chain is visited and asks what the chain below it names: remembered
    per node, so a few MB of long chains cannot keep the parent busy for minutes."""
    from grader.source_scan import scan_pixel_shuffle

    links = 150
    chain = "torch" + ".nn" * (links - 1) + ".pixel_shuffle"
    source = "import torch\ndef pixel_shuffle(x, r):\n    y = " + chain + "\n    return x\n"
    calls = 0
    find = Scope._find_origins

    def counted(self: Scope, node: ast.expr, depth: int) -> list:
        nonlocal calls
        calls += 1
        return find(self, node, depth)

    monkeypatch.setattr(Scope, "_find_origins", counted)
    scan = scan_pixel_shuffle(source)
    assert any("torch.nn.nn" in reference for reference in scan.torch_references)
    assert calls <= 4 * links, f"{calls} lookups for a chain of {links} links"


def test_the_walk_visits_expressions_in_source_order() -> None:
    from grader.static.reach import walk_unit

    source = "def pixel_shuffle(x, r):\n    return f(a.b.c, [i + e for i in g], {k: -v})\n"
    program = Program("pixel_shuffle.py", files={"pixel_shuffle.py": source})
    unit = next(u for u in reach(program, ENTRIES).units if isinstance(u, DefRef))
    returned = unit.node.body[0]  # type: ignore[attr-defined]

    def preorder(node: ast.AST) -> list[ast.AST]:
        return [node] + [n for child in ast.iter_child_nodes(node) for n in preorder(child)]

    walked = [node for node, _ in walk_unit(program, unit)]
    at = walked.index(returned.value)
    assert walked[at:at + len(preorder(returned.value))] == preorder(returned.value)
