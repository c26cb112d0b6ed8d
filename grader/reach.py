"""Which code of a submission a graded part can reach, read in the parent without running it.

The part's module is the root. Importing it runs its top-level statements,
less the branches that cannot run (`if False:`, `if __name__ == "__main__":`,
which an imported module never enters, code after a `return`). The names that
code uses lead to functions, classes, constants and the submission's own
modules, whose top-level code runs when they are imported, and so on. The
grader then calls the part's entry points (`pixel_shuffle`, `PixelShuffle`),
whose bodies lead further the same way.

Code that nothing reachable names is not read: a self-test under
`if __name__ == "__main__":`, a test file the module never imports, a helper
function nothing calls. The reading errs on the side of reading more: every
branch whose condition is not a constant, every method of a reachable class,
every function nested in a reachable one.

`Program` holds the submission's modules, `reach` walks from the roots, and
`Scope.resolve` says what a name means where it is used: one of the
submission's definitions or modules, or a dotted path outside the submission
(`torch.nn.functional.pixel_shuffle`).
"""

from __future__ import annotations

import ast
import builtins
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Mapping, Union

MAX_MODULES = 200  # a submission's own modules read at most
MAX_BYTES = 1 << 20  # per module
MAX_DEPTH = 24  # name resolution through aliases and re-exports
# Already imported in the child before the submission's folder joins sys.path: a local file of
# that name is never what `import` finds.
PRELOADED = frozenset({"torch", "einops", "numpy", "grader", *sys.builtin_module_names})
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
TRIES = (ast.Try, getattr(ast, "TryStar", ast.Try))
COMPOUND = (ast.If, ast.While, *TRIES, ast.Match, ast.For, ast.AsyncFor, ast.With, ast.AsyncWith)
BUILTIN_NAMES = frozenset(dir(builtins))


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


# What a name or expression resolves to: a unit of the submission, or a dotted path outside it.
@dataclass(frozen=True)
class External:
    path: str  # "torch.nn.functional.pixel_shuffle", "einops.rearrange", "builtins.getattr"


@dataclass(frozen=True)
class ModuleRef:
    source: Source


@dataclass(frozen=True)
class DefRef:
    source: Source
    node: ast.AST  # FunctionDef, AsyncFunctionDef or ClassDef


@dataclass(frozen=True)
class StmtRef:
    source: Source
    node: ast.stmt  # a top-level assignment whose value some reachable code reads


Target = Union[External, ModuleRef, DefRef, StmtRef]


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
            tree = ast.parse(self._read(path), filename=path)
        except (OSError, KeyError, ValueError, SyntaxError, RecursionError, MemoryError) as exc:
            if isinstance(exc, SyntaxError):  # the child's import fails the same way
                self.syntax_errors[path] = f"line {exc.lineno}: {exc.msg}"
            # Anything else (nesting too deep, too large) may still import: it is not read, and says so.
            detail = self.syntax_errors.get(path) or type(exc).__name__
            self.problems.append(f"{path} could not be read ({detail})")
            return None
        source = Source(name, path, tree, package)
        self.sources[name] = source
        _collect_bindings(source, tree.body, conditional=False)
        return source


# ------------------------------------------------------------------ liveness


def truth(test: ast.expr, source: Source | None = None) -> bool | None:
    """The value of a condition when it is known without running anything, else None.

    >>> truth(ast.parse('__name__ == "__main__"', mode="eval").body)
    False
    """
    if isinstance(test, ast.Constant):
        return bool(test.value)
    if isinstance(test, ast.Name):
        if test.id == "TYPE_CHECKING":
            return False
        if test.id == "__debug__":
            return True
        return _constant_flag(test.id, source)
    if isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING":
        return False
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        value = truth(test.operand, source)
        return None if value is None else not value
    if isinstance(test, ast.BoolOp):
        values = [truth(v, source) for v in test.values]
        if isinstance(test.op, ast.And):
            return False if False in values else (True if all(v is True for v in values) else None)
        return True if True in values else (False if all(v is False for v in values) else None)
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        sides = {_main_name(test.left), _main_name(test.comparators[0])}
        if sides == {"__name__", "__main__"}:  # an imported module's __name__ is never "__main__"
            if isinstance(test.ops[0], (ast.Eq, ast.Is)):
                return False
            if isinstance(test.ops[0], (ast.NotEq, ast.IsNot)):
                return True
    return None


def _main_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name) and node.id == "__name__":
        return "__name__"
    if isinstance(node, ast.Constant) and node.value == "__main__":
        return "__main__"
    return ""


def _constant_flag(name: str, source: Source | None) -> bool | None:
    """`DEBUG = False` bound once at the top level, unconditionally, to a constant."""
    if source is None:
        return None
    bindings = source.bindings.get(name, [])
    if len(bindings) == 1 and bindings[0].kind == "assign" and not bindings[0].conditional:
        value = getattr(bindings[0].node, "value", None)
        if isinstance(value, ast.Constant):
            return bool(value.value)
    return None


def live(statements: list[ast.stmt], source: Source | None) -> Iterator[ast.stmt]:
    """The statements of a block that can run: none after a return, raise, break or continue.
    (A compound statement's own blocks are cut by `live_blocks`.)"""
    for statement in statements:
        yield statement
        if isinstance(statement, (ast.Return, ast.Raise, ast.Break, ast.Continue)):
            return


def live_blocks(statement: ast.stmt, source: Source | None) -> list[list[ast.stmt]]:
    """The blocks of a compound statement that can run."""
    if isinstance(statement, ast.If):
        value = truth(statement.test, source)
        return [b for b, keep in ((statement.body, value is not False), (statement.orelse, value is not True)) if keep]
    if isinstance(statement, ast.While):
        value = truth(statement.test, source)
        return [] if value is False else [statement.body, statement.orelse]
    if isinstance(statement, TRIES):
        return [statement.body, *[h.body for h in statement.handlers], statement.orelse, statement.finalbody]
    if isinstance(statement, ast.Match):
        return [case.body for case in statement.cases]
    if isinstance(statement, (ast.For, ast.AsyncFor)):
        return [statement.body, statement.orelse]
    if isinstance(statement, (ast.With, ast.AsyncWith)):
        return [statement.body]
    return []


def own_expressions(statement: ast.stmt) -> list[ast.AST]:
    """What a compound statement evaluates itself (its test, iterable, context managers)."""
    if isinstance(statement, (ast.If, ast.While)):
        return [statement.test]
    if isinstance(statement, (ast.For, ast.AsyncFor)):
        return [statement.target, statement.iter]
    if isinstance(statement, (ast.With, ast.AsyncWith)):
        return [item for item in statement.items]
    if isinstance(statement, ast.Match):
        cases = statement.cases
        return [statement.subject, *[c.pattern for c in cases], *[c.guard for c in cases if c.guard]]
    if isinstance(statement, TRIES):
        return [h.type for h in statement.handlers if h.type is not None]
    return []


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


# ------------------------------------------------------------------ scopes and names


@dataclass(frozen=True)
class Scope:
    """Where a node sits: its module, the names local to its function(s), and for top-level
    code the line it runs at (a name then means what it was bound to before that line)."""

    source: Source
    program: Program
    local: frozenset[str] = frozenset()
    local_imports: tuple[ast.stmt, ...] = ()  # imports inside the function(s)
    line: int | None = None  # top-level code only
    function: ast.AST | None = None
    cls: ast.ClassDef | None = None  # the class whose method this is

    def resolve(self, name: str) -> list[Target]:
        """What `name` can mean here (several targets when conditional bindings compete)."""
        if name in self.local:
            for statement in self.local_imports:
                targets = _import_targets(self.source, self.program, statement, name)
                if targets:
                    return targets
            return []  # a parameter or local variable
        return resolve_global(self.program, self.source, name, self.line)

    def origins(self, node: ast.expr, depth: int = 0) -> list[Target]:
        """What an expression names: a Name or an attribute chain on one; [] for anything else.

        Attributes of the submission's modules lead into them; attributes of anything
        outside extend its dotted path (`F.pixel_shuffle` -> torch.nn.functional.pixel_shuffle).
        A module-level alias (`ops = torch.nn.functional`) counts as what it names, too.
        """
        if isinstance(node, ast.Name):
            found = self.resolve(node.id)
        elif isinstance(node, ast.Attribute):
            found = []
            for base in self.origins(node.value, depth):
                if isinstance(base, External):
                    found.append(External(f"{base.path}.{node.attr}"))
                elif isinstance(base, ModuleRef):
                    found += attribute_of(self.program, base.source, node.attr)
        else:
            return []
        return found + [t for ref in found if isinstance(ref, StmtRef) for t in _alias(self.program, ref, depth)]


def _alias(program: Program, ref: StmtRef, depth: int) -> list[Target]:
    """What `name = other.name` names, read where the assignment runs."""
    node = ref.node
    if depth >= MAX_DEPTH or not (isinstance(node, ast.Assign) and len(node.targets) == 1):
        return []
    if not isinstance(node.value, (ast.Name, ast.Attribute)):
        return []
    return Scope(ref.source, program, line=node.lineno).origins(node.value, depth + 1)


def resolve_global(program: Program, source: Source, name: str, line: int | None = None,
                   depth: int = 0) -> list[Target]:  # fmt: skip
    """What module-level `name` of `source` means: at `line` for top-level code, else after import."""
    if depth > MAX_DEPTH:
        return []
    bindings = source.bindings.get(name, [])
    if line is not None:  # top-level code sees the bindings made before it runs
        bindings = [b for b in bindings if b.line < line]
    chosen: list[Binding] = []
    for binding in reversed(bindings):  # the last unconditional binding and any conditional after it
        chosen.append(binding)
        if not binding.conditional:
            break
    if not chosen:
        # Every star import that may bind the name (a later one wins, but which module
        # exports what is not always known without importing it).
        found: list[Target] = []
        for module in reversed(source.stars):
            star = program.module(module)
            if star is not None:
                found += resolve_global(program, star, name, None, depth + 1)
            elif _exports(module, name):
                found.append(External(f"{module}.{name}"))
        if not found and name in BUILTIN_NAMES:
            found.append(External(f"builtins.{name}"))
        return found
    targets: list[Target] = []
    for binding in reversed(chosen):
        targets += _binding_targets(program, source, binding, depth)
    return targets


# What `from M import *` binds, for the modules whose names matter to the rules: the same answer
# whether or not the parent has imported them (a parent with cached plans never imports torch).
STAR_EXPORTS = {
    "einops": frozenset({"rearrange", "reduce", "repeat", "einsum", "pack", "unpack", "parse_shape",
                         "asnumpy", "EinopsError"}),  # fmt: skip
    "einops.layers.torch": frozenset({"Rearrange", "Reduce", "EinMix"}),
}


def _exports(module: str, name: str) -> bool:
    """Whether `from module import *` may bind `name` (public names of modules not listed above)."""
    if module in ("", "__future__") or name.startswith("_"):
        return False
    return name in STAR_EXPORTS[module] if module in STAR_EXPORTS else True


def _binding_targets(program: Program, source: Source, binding: Binding, depth: int) -> list[Target]:
    if binding.kind in ("def", "class"):
        return [DefRef(source, binding.node)]
    if binding.kind == "module":
        local = program.module(binding.target)
        return [ModuleRef(local)] if local is not None else [External(binding.target)]
    if binding.kind == "from":
        return _from_targets(program, binding.target, binding.attr, depth)
    if binding.kind == "assign":
        return [StmtRef(source, binding.node)]  # type: ignore[arg-type]
    return []


def _from_targets(program: Program, module: str, attr: str, depth: int) -> list[Target]:
    local = program.module(module)
    if local is None:
        return [External(f"{module}.{attr}" if module else attr)]
    sub = program.module(f"{module}.{attr}")
    found: list[Target] = [ModuleRef(local)]  # `from m import a` runs m's top-level code
    if sub is not None:
        return [*found, ModuleRef(sub)]
    return found + resolve_global(program, local, attr, None, depth + 1)


def attribute_of(program: Program, source: Source, attr: str) -> list[Target]:
    """`module.attr` for one of the submission's modules: a submodule or a module-level name."""
    sub = program.module(f"{source.name}.{attr}")
    if sub is not None:
        return [ModuleRef(sub)]
    return resolve_global(program, source, attr)


def _import_targets(source: Source, program: Program, statement: ast.stmt, name: str) -> list[Target]:
    if isinstance(statement, ast.Import):
        for alias in statement.names:
            if (alias.asname or alias.name.split(".")[0]) == name:
                module = alias.name if alias.asname else alias.name.split(".")[0]
                local = program.module(module)
                return [ModuleRef(local)] if local is not None else [External(module)]
    elif isinstance(statement, ast.ImportFrom):
        module = source.absolute(statement)
        for alias in statement.names:
            if (alias.asname or alias.name) == name:
                return _from_targets(program, module, alias.name, 0)
    return []


def function_locals(node: ast.AST) -> tuple[frozenset[str], tuple[ast.stmt, ...]]:
    """Names a function binds itself (parameters, assignments, imports), and its imports;
    `global` names are the module's. Nested functions and classes keep theirs."""
    names: set[str] = set()
    imports: list[ast.stmt] = []
    globals_: set[str] = set()
    args = getattr(node, "args", None)
    if args is not None:
        every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
        names |= {a.arg for a in every if a is not None}
    body = node.body if isinstance(node, (*FUNCTIONS, ast.Lambda)) else []
    stack: list[ast.AST] = list(body) if isinstance(body, list) else [body]
    while stack:
        item = stack.pop()
        if isinstance(item, ast.Global):
            globals_ |= set(item.names)
        elif isinstance(item, (ast.Import, ast.ImportFrom)):
            imports.append(item)
            names |= {a.asname or a.name.split(".")[0] for a in item.names if a.name != "*"}
        elif isinstance(item, ast.Name) and isinstance(item.ctx, (ast.Store, ast.Del)):
            names.add(item.id)
        elif isinstance(item, DEFINITIONS):
            names.add(item.name)
            stack += [*item.decorator_list]
            continue  # their own bodies are their own scopes
        elif isinstance(item, ast.arg):
            continue
        stack += list(ast.iter_child_nodes(item))
    return frozenset(names - globals_), tuple(imports)


# ------------------------------------------------------------------ walking the reachable code


Unit = Union[ModuleRef, DefRef, StmtRef]


@dataclass
class Reached:
    """The reachable code: every unit, and the subset reached from the entry points."""

    program: Program
    units: list[Unit]
    from_entries: list[Unit]
    skip: frozenset[str]

    def nodes(self, unit: Unit) -> Iterator[tuple[ast.AST, Scope]]:
        """Every node of a unit that can run, with its scope."""
        return walk_unit(self.program, unit, self.skip)


def reach(program: Program, entries: tuple[str, ...], skip: frozenset[str] = frozenset()) -> Reached:
    """Walk from the main module's top-level code and from its `entries` (the names the grader
    calls). `skip`: top-level classes and functions of the main module that its import-time
    code does not read (another part's classes in a notebook's module), unless something names them."""
    main = program.main
    if main is None:
        return Reached(program, [], [], skip)
    roots: list[Unit] = [t for name in entries for t in resolve_global(program, main, name)
                         if isinstance(t, (DefRef, StmtRef, ModuleRef))]  # fmt: skip
    from_entries = _closure(program, roots, skip)
    everything = _closure(program, [ModuleRef(main), *from_entries], skip)
    return Reached(program, everything, from_entries, skip)


def _key(unit: Unit) -> tuple[str, int]:
    return (unit.source.name, id(unit.node) if not isinstance(unit, ModuleRef) else 0)


def _closure(program: Program, roots: list[Unit], skip: frozenset[str]) -> list[Unit]:
    seen: dict[tuple[str, int], Unit] = {}
    queue = list(roots)
    while queue:
        unit = queue.pop(0)
        if _key(unit) in seen:
            continue
        seen[_key(unit)] = unit
        for node, scope in walk_unit(program, unit, skip):
            queue += [t for t in _referenced(node, scope) if _key(t) not in seen]
    return list(seen.values())


def _referenced(node: ast.AST, scope: Scope) -> list[Unit]:
    """The units a node makes reachable."""
    found: list[Target] = []
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
        found = scope.resolve(node.id)
    elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
        found = scope.origins(node)
    elif isinstance(node, ast.Import):
        for alias in node.names:
            parts = alias.name.split(".")
            found += [ModuleRef(m) for i in range(len(parts))
                      if (m := scope.program.module(".".join(parts[: i + 1]))) is not None]  # fmt: skip
    elif isinstance(node, ast.ImportFrom):
        module = scope.source.absolute(node)
        local = scope.program.module(module)
        if local is not None:
            found.append(ModuleRef(local))
            for alias in node.names:
                sub = scope.program.module(f"{module}.{alias.name}")
                if sub is not None:
                    found.append(ModuleRef(sub))
                elif scope.function is not None and alias.name != "*":  # a local import: used where it is
                    found += resolve_global(scope.program, local, alias.name)
    return [t for t in found if isinstance(t, (ModuleRef, DefRef, StmtRef))]


def walk_unit(program: Program, unit: Unit, skip: frozenset[str] = frozenset()) -> Iterator[tuple[ast.AST, Scope]]:
    source = unit.source
    if isinstance(unit, ModuleRef):
        skipped = skip if source is program.main else frozenset()
        yield from _walk_top(source.tree.body, Scope(source, program), skipped)
    elif isinstance(unit, StmtRef):
        yield from _walk_top([unit.node], Scope(source, program), frozenset())
    elif isinstance(unit.node, ast.ClassDef):
        yield from _walk_class(unit.node, Scope(source, program))
    else:
        yield from _walk_function(unit.node, Scope(source, program))


def _walk_top(statements: list[ast.stmt], scope: Scope, skip: frozenset[str]) -> Iterator[tuple[ast.AST, Scope]]:
    """Top-level code as an import runs it: definitions' headers, class bodies, other statements."""
    for statement in live(statements, scope.source):
        here = Scope(scope.source, scope.program, line=statement.lineno)
        if isinstance(statement, DEFINITIONS) and statement.name in skip:
            continue
        if isinstance(statement, FUNCTIONS):
            yield statement, here
            yield from _expressions(_header(statement), here)
        elif isinstance(statement, ast.ClassDef):
            yield statement, here
            yield from _expressions([*statement.decorator_list, *statement.bases,
                                     *[k.value for k in statement.keywords]], here)  # fmt: skip
            for inner in live(statement.body, scope.source):  # the class body runs at import
                if isinstance(inner, FUNCTIONS):
                    yield inner, here
                    yield from _expressions(_header(inner), here)
                else:
                    yield from _walk_statement(inner, here)
        else:
            yield statement, here
            yield from _expressions(own_expressions(statement) + _simple_parts(statement), here)
            for block in live_blocks(statement, scope.source):
                yield from _walk_top(block, scope, skip)


def _walk_class(node: ast.ClassDef, scope: Scope) -> Iterator[tuple[ast.AST, Scope]]:
    """A reachable class: its header and body, and every method, which may be called by name,
    by a protocol (`__call__`, `__getattr__`) or by torch (`forward`, hooks)."""
    yield node, scope
    yield from _expressions([*node.decorator_list, *node.bases, *[k.value for k in node.keywords]], scope)
    for inner in live(node.body, scope.source):
        if isinstance(inner, FUNCTIONS):
            yield from _walk_function(inner, Scope(scope.source, scope.program, cls=node))
        elif isinstance(inner, ast.ClassDef):
            yield from _walk_class(inner, scope)
        else:
            yield from _walk_statement(inner, Scope(scope.source, scope.program, cls=node))


def _walk_function(node: ast.AST, scope: Scope) -> Iterator[tuple[ast.AST, Scope]]:
    local, imports = function_locals(node)
    inner = Scope(scope.source, scope.program, scope.local | local, scope.local_imports + imports,
                  None, node, scope.cls)  # fmt: skip
    yield node, scope
    yield from _expressions(_header(node), scope)
    yield from _walk_body(node.body, inner)  # type: ignore[attr-defined]


def _walk_body(statements: list[ast.stmt], scope: Scope) -> Iterator[tuple[ast.AST, Scope]]:
    for statement in live(statements, scope.source):
        yield from _walk_statement(statement, scope)


def _walk_statement(statement: ast.stmt, scope: Scope) -> Iterator[tuple[ast.AST, Scope]]:
    """One statement inside a function or class body; nested definitions are read whole."""
    if isinstance(statement, FUNCTIONS):
        yield from _walk_function(statement, scope)
        return
    if isinstance(statement, ast.ClassDef):
        yield statement, scope
        yield from _expressions([*statement.decorator_list, *statement.bases,
                                 *[k.value for k in statement.keywords]], scope)  # fmt: skip
        for inner in live(statement.body, scope.source):
            yield from _walk_statement(inner, Scope(scope.source, scope.program, scope.local, scope.local_imports,
                                                    scope.line, scope.function, statement))  # fmt: skip
        return
    yield statement, scope
    yield from _expressions(own_expressions(statement) + _simple_parts(statement), scope)
    for block in live_blocks(statement, scope.source):
        yield from _walk_body(block, scope)


def _header(node: ast.AST) -> list[ast.AST]:
    """What runs when a def statement runs: decorators, defaults, annotations."""
    args = node.args  # type: ignore[attr-defined]
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    decorators = node.decorator_list  # type: ignore[attr-defined]
    parts: list[ast.AST] = [*decorators, *args.defaults, *[d for d in args.kw_defaults if d]]
    parts += [a.annotation for a in every if a is not None and a.annotation is not None]
    returns = getattr(node, "returns", None)
    return parts + ([returns] if returns is not None else [])


def _simple_parts(statement: ast.stmt) -> list[ast.AST]:
    """The expressions of a simple (non-compound) statement."""
    if isinstance(statement, COMPOUND):
        return []
    return [child for child in ast.iter_child_nodes(statement) if not isinstance(child, ast.stmt)]


def _expressions(parts: list[ast.AST], scope: Scope) -> Iterator[tuple[ast.AST, Scope]]:
    """Every node of some expressions; a lambda's or comprehension's own names stay local."""
    for part in parts:
        yield from _expression(part, scope)


def _expression(node: ast.AST, scope: Scope) -> Iterator[tuple[ast.AST, Scope]]:
    if isinstance(node, ast.Lambda):
        local, _ = function_locals(node)
        inner = Scope(scope.source, scope.program, scope.local | local, scope.local_imports, None,
                      scope.function, scope.cls)  # fmt: skip
        yield node, scope
        yield from _expressions(list(node.args.defaults) + [d for d in node.args.kw_defaults if d], scope)
        yield from _expression(node.body, inner)
        return
    if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        bound = {n.id for g in node.generators for n in ast.walk(g.target) if isinstance(n, ast.Name)}
        inner = Scope(scope.source, scope.program, scope.local | bound, scope.local_imports, scope.line,
                      scope.function, scope.cls)  # fmt: skip
        yield node, scope
        for child in ast.iter_child_nodes(node):
            yield from _expression(child, inner)
        return
    yield node, scope
    for child in ast.iter_child_nodes(node):
        yield from _expression(child, scope)
