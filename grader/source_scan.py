"""Static reading of the DIY PixelShuffle source, done in the parent.

It answers two questions without running anything: is `einops.rearrange`
(or the `Rearrange` layer) called, and does the code name torch's own pixel
shuffle or reach for names dynamically (`getattr(F, "pixel_" + "shuffle")`,
`eval`). The child's run-time tripwire catches what text cannot show.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Callable

from grader.bounds import parse_python

TORCH_SHUFFLE_NAMES = frozenset(
    {"pixel_shuffle", "PixelShuffle", "pixel_unshuffle", "PixelUnshuffle", "_pixel_shuffle"}
)
CODE_RUNNERS = frozenset({"eval", "exec", "compile"})
NAME_LOOKUPS = frozenset({"getattr", "__getattribute__", "__import__", "import_module", "attrgetter"})
MAX_LISTED = 10  # places quoted per kind; the rest are counted
QUOTED = 80  # characters of each quoted place


@dataclass(frozen=True)
class ShuffleScan:
    """What the source shows; `line N: ...` entries say where."""

    syntax_error: str | None
    uses_rearrange: bool
    torch_references: tuple[str, ...]
    dynamic_access: tuple[str, ...]


def scan_pixel_shuffle(source: str, filename: str, skip: frozenset[str] = frozenset()) -> ShuffleScan:
    """Scan a module; top-level classes and functions named in `skip` are ignored
    (a notebook holds the SR net, which may use `nn.PixelShuffle` rightly).

    >>> scan_pixel_shuffle("import torch.nn.functional as F\\nF.pixel_shuffle", "p.py").torch_references
    ('line 2: F.pixel_shuffle',)
    """
    try:
        tree = parse_python(source, filename=filename)
        return _scan(tree, skip)
    except SyntaxError as exc:  # also code nested too deeply to parse (see grader.bounds)
        return ShuffleScan(f"line {exc.lineno or 1}: {exc.msg}", False, (), ())
    except RecursionError:  # parsed, but too deep for ast.unparse
        return ShuffleScan("the code is nested too deeply for the grader to read", False, (), ())


def _scan(tree: ast.Module, skip: frozenset[str]) -> ShuffleScan:
    body = [
        node for node in tree.body
        if not (isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in skip)
    ]  # fmt: skip
    module = ast.Module(body=body, type_ignores=[])
    modules, functions = _einops_aliases(module)
    uses, references, dynamic = False, _Listing(), _Listing()
    for node in ast.walk(module):
        if isinstance(node, ast.Call) and _is_rearrange(node.func, modules, functions):
            uses = True
        elif isinstance(node, ast.Attribute) and node.attr in TORCH_SHUFFLE_NAMES:
            if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                references.add(node.lineno, lambda: ast.unparse(node))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("torch") and not skip:
            for alias in node.names:
                if alias.name in TORCH_SHUFFLE_NAMES:
                    references.add(node.lineno, lambda: f"from {node.module} import {alias.name}")
        elif isinstance(node, ast.Attribute) and node.attr == "aten":
            references.add(node.lineno, lambda: ast.unparse(node))
        if isinstance(node, ast.Call):
            name = _called_name(node.func)
            if name in CODE_RUNNERS:
                dynamic.add(node.lineno, lambda: f"{name}(...)")
            elif name in NAME_LOOKUPS and _mentions_shuffle(node):
                dynamic.add(node.lineno, lambda: ast.unparse(node))
    return ShuffleScan(None, uses, references.listed(), dynamic.listed())


class _Listing:
    """The first MAX_LISTED places, each quoted in at most QUOTED characters, then a count:
    quoting every place (`F.pixel_shuffle.pixel_shuffle...` unparsed once per link) was
    quadratic, and 2 MiB of code made hundreds of MiB of check output."""

    def __init__(self) -> None:
        self.places: list[str] = []
        self.more = 0

    def add(self, line: int, quote: Callable[[], str]) -> None:
        if len(self.places) < MAX_LISTED:
            text = quote()
            self.places.append(f"line {line}: {text[:QUOTED]}{'...' if len(text) > QUOTED else ''}")
        else:
            self.more += 1

    def listed(self) -> tuple[str, ...]:
        return (*self.places, f"{self.more} more places") if self.more else tuple(self.places)


def _einops_aliases(tree: ast.Module) -> tuple[set[str], set[str]]:
    """Names bound to the einops module, and to `rearrange` / `Rearrange` themselves."""
    modules, functions = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "einops" or alias.name.startswith("einops."):
                    modules.add(alias.asname or "einops")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("einops"):
            for alias in node.names:
                if alias.name in ("rearrange", "Rearrange", "*"):
                    functions.add(alias.asname or alias.name)
    if "*" in functions:
        functions |= {"rearrange", "Rearrange"}
    return modules, functions


def _is_rearrange(func: ast.expr, modules: set[str], functions: set[str]) -> bool:
    if isinstance(func, ast.Name):
        return func.id in functions
    if isinstance(func, ast.Attribute) and func.attr in ("rearrange", "Rearrange"):
        root = func.value
        while isinstance(root, ast.Attribute):
            root = root.value
        return isinstance(root, ast.Name) and root.id in modules
    return False


def _called_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _mentions_shuffle(call: ast.Call) -> bool:
    """A name lookup whose name is computed, or a constant naming a shuffle."""
    for arg in call.args[1:] if _called_name(call.func) in ("getattr", "__getattribute__") else call.args:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            if "shuffle" in arg.value.lower() or "aten" in arg.value.lower():
                return True
        elif not isinstance(arg, ast.Constant):
            return True
    return False
