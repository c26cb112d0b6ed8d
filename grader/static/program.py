"""The submission's modules, parsed lazily, and the names each binds at its top level."""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from grader.bounds import parse_python
from grader.static.liveness import live, live_blocks

MAX_MODULES = 200  # a submission's own modules read at most
MAX_BYTES = 1 << 20  # per module
# Already imported in the child before the submission's folder joins sys.path: a local file of
# that name is never what `import` finds.
PRELOADED = frozenset({"torch", "einops", "numpy", "grader", *sys.builtin_module_names})
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass(frozen=True)
class Binding:
    """A top-level statement that binds a module-level name."""

    name: str
    kind: str  # "def", "class", "module" (import x), "from" (from m import a), "assign", "other"
    node: ast.AST
    line: int
    conditional: bool  # inside an if, try, loop or with at the top level
    target: str = ""  # "module": the module bound; "from": the module imported from
    attr: str = ""  # "from": the name imported


@dataclass
class Source:
    """One module of the submission, parsed."""

    name: str  # dotted module name: "pixel_shuffle", "helpers.tools"
    label: str  # its file, as messages name it: "helpers/tools.py"
    tree: ast.Module
    is_package: bool = False
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    stars: list[str] = field(default_factory=list)  # modules star-imported at the top level

    @property
    def package(self) -> str:
        return self.name if self.is_package else self.name.rpartition(".")[0]

    def where(self, node: ast.AST) -> str:
        return f"{self.label} line {getattr(node, 'lineno', 0)}"

    def absolute(self, node: ast.ImportFrom) -> str:
        """The module an ImportFrom names, relative imports made absolute."""
        if not node.level:
            return node.module or ""
        parts = self.package.split(".") if self.package else []
        base = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
        return ".".join([*base, *([node.module] if node.module else [])])


class Program:
    """The submission's modules, read lazily, each at most once: from the folder `root`, or
    from `files` (relative path -> text), as tests and single sources give them."""

    def __init__(self, main: str, root: Path | None = None, files: Mapping[str, str] | None = None) -> None:
        self.root = root
        self.files = dict(files or {})
        self.sources: dict[str, Source | None] = {}
        self.problems: list[str] = []  # modules that could not be read, and why
        self.syntax_errors: dict[str, str] = {}  # path -> `line N: message`
        stem = main[:-3] if main.endswith(".py") else main
        self.main = self._load(stem, main)

    def module(self, name: str) -> Source | None:
        """The submission's module `name`, or None when it is not one of the submission's files."""
        if not name or name.split(".")[0] in PRELOADED:
            return None
        if name not in self.sources:
            relative = "/".join(name.split("."))
            for path, package in ((f"{relative}.py", False), (f"{relative}/__init__.py", True)):
                if self._exists(path):
                    self._load(name, path, package)
                    break
            else:
                self.sources[name] = None
        return self.sources[name]

    def _exists(self, path: str) -> bool:
        if self.root is None:
            return path in self.files
        full = self.root / path
        return full.is_file() and not full.is_symlink()

    def _read(self, path: str) -> str:
        if self.root is None:
            return self.files[path]
        full = self.root / path
        if full.stat().st_size > MAX_BYTES:
            raise ValueError(f"larger than {MAX_BYTES >> 10} KiB")
        return full.read_text(encoding="utf-8", errors="replace")

    def _load(self, name: str, path: str, package: bool = False) -> Source | None:
        self.sources[name] = None
        if sum(s is not None for s in self.sources.values()) >= MAX_MODULES:
            self.problems.append(f"more than {MAX_MODULES} modules: {path} was not read")
            return None
        try:
            text = self._read(path)
        except (OSError, KeyError, ValueError) as exc:  # gone, or too large to read: it is not read, and says so
            self.problems.append(f"{path} could not be read ({exc})")
            return None
        try:
            # Code too deep for the parser is a SyntaxError here (grader.bounds): compiling it fails too.
            tree = parse_python(text, filename=path)
        except SyntaxError as exc:  # the child's import fails the same way
            self.syntax_errors[path] = f"line {exc.lineno or 1}: {exc.msg}"
            detail = self.syntax_errors[path]
            self.problems.append(f"{path} could not be read ({detail})")
            return None
        source = Source(name, path, tree, package)
        self.sources[name] = source
        _collect_bindings(source, tree.body, conditional=False)
        return source


def _collect_bindings(source: Source, statements: list[ast.stmt], conditional: bool) -> None:
    for statement in live(statements, source):
        for binding in _binds(source, statement, conditional):
            source.bindings.setdefault(binding.name, []).append(binding)
        blocks = live_blocks(statement, source)
        for block in blocks:
            _collect_bindings(source, block, conditional=True)


def _binds(source: Source, node: ast.stmt, conditional: bool) -> list[Binding]:
    line = node.lineno
    if isinstance(node, FUNCTIONS):
        return [Binding(node.name, "def", node, line, conditional)]
    if isinstance(node, ast.ClassDef):
        return [Binding(node.name, "class", node, line, conditional)]
    if isinstance(node, ast.Import):
        return [
            Binding(a.asname or a.name.split(".")[0], "module", node, line, conditional,
                    target=a.name if a.asname else a.name.split(".")[0])  # fmt: skip
            for a in node.names
        ]
    if isinstance(node, ast.ImportFrom):
        module = source.absolute(node)
        found = []
        for alias in node.names:
            if alias.name == "*":
                source.stars.append(module)
            else:
                found.append(Binding(alias.asname or alias.name, "from", node, line, conditional, module, alias.name))
        return found
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        kind = "assign" if isinstance(node, (ast.Assign, ast.AnnAssign)) else "other"
        names = [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
        return [Binding(name, kind, node, line, conditional) for name in names]
    targets: list[ast.AST] = []
    if isinstance(node, (ast.For, ast.AsyncFor)):
        targets = [node.target]
    elif isinstance(node, (ast.With, ast.AsyncWith)):
        targets = [i.optional_vars for i in node.items if i.optional_vars is not None]
    return [Binding(n.id, "other", node, line, conditional) for t in targets for n in ast.walk(t)
            if isinstance(n, ast.Name)]  # fmt: skip
