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

`reach` walks from the roots (`grader.static.program` reads the modules,
`grader.static.names` says what each name means) and gives every unit of
code it reached, with the nodes of each that can run and their scopes.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Iterator, Union

from grader.static.liveness import COMPOUND, live, live_blocks, own_expressions
from grader.static.names import DefRef, ModuleRef, Scope, StmtRef, function_locals, resolve_global
from grader.static.program import DEFINITIONS, FUNCTIONS, Program


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
    # In source order, from an explicit stack: nested generators would pass each node up
    # through every level above it, quadratic in the depth of a long attribute chain.
    stack: list[tuple[ast.AST, Scope]] = [(node, scope)]
    while stack:
        node, scope = stack.pop()
        yield node, scope
        later: list[tuple[ast.AST, Scope]] = []
        if isinstance(node, ast.Lambda):
            local, _ = function_locals(node)
            inner = Scope(scope.source, scope.program, scope.local | local, scope.local_imports, None,
                          scope.function, scope.cls)  # fmt: skip
            later += [(d, scope) for d in [*node.args.defaults, *[d for d in node.args.kw_defaults if d]]]
            later.append((node.body, inner))
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            bound = {n.id for g in node.generators for n in ast.walk(g.target) if isinstance(n, ast.Name)}
            inner = Scope(scope.source, scope.program, scope.local | bound, scope.local_imports, scope.line,
                          scope.function, scope.cls)  # fmt: skip
            later += [(child, inner) for child in ast.iter_child_nodes(node)]
        else:
            later += [(child, scope) for child in ast.iter_child_nodes(node)]
        stack += reversed(later)
