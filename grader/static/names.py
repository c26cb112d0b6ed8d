"""What a name or an attribute chain means where it is used.

A name resolves to one of the submission's definitions, modules or top-level
assignments, or to a dotted path outside the submission
(`torch.nn.functional.pixel_shuffle`). Top-level code sees the bindings made
before it runs; a function body sees each name's last binding (several when
conditional bindings compete), and its own locals shadow them.
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass, field
from typing import Union

from grader.static.program import DEFINITIONS, FUNCTIONS, Binding, Program, Source

MAX_DEPTH = 24  # name resolution through aliases and re-exports
BUILTIN_NAMES = frozenset(dir(builtins))


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
    # Each link of an attribute chain is visited by the scans and asks for the chain below it
    # again: remembering each node's answer keeps a long chain linear, not quadratic.
    # The node is kept with its answer: an id is only unique while its node is alive.
    _origins: dict[tuple[int, int], tuple[ast.expr, list[Target]]] = field(
        default_factory=dict, compare=False, repr=False)

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
        key = (id(node), depth)
        known = self._origins.get(key)
        if known is None or known[0] is not node:
            known = self._origins[key] = (node, self._find_origins(node, depth))
        return list(known[1])

    def _find_origins(self, node: ast.expr, depth: int) -> list[Target]:
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
