"""The pattern and axis lengths of an `einops.rearrange` call, read from the source.

The parent reads them without running the submission: a string literal, a
constant of the module or of one of the submission's modules (`from patterns
import DEPTH_TO_SPACE`), a local variable or a parameter default, an attribute
set in the class (`self.pattern = "..."`), `+`-joined and f-string pieces of
those. Axis lengths come from the keywords, also spelled `**{"h2": r}`: a
number the source fixes, or None for a length the code computes at run time.
A pattern computed any other way cannot be read; `grader.parts.shuffle_einops`
says what that earns.
"""

from __future__ import annotations

import ast
import itertools
from dataclasses import dataclass

from grader.static.names import ModuleRef, Scope, StmtRef, function_locals
from grader.static.program import FUNCTIONS

MAX_DEPTH = 8
MAX_CANDIDATES = 16  # strings an expression may stand for
MAX_PATTERN = 400  # characters: longer ones are not a depth-to-space


@dataclass(frozen=True)
class EinopsCall:
    """One reachable `rearrange(x, pattern, **axes)` or `Rearrange(pattern, **axes)`."""

    where: str  # "pixel_shuffle.py line 7"
    code: str  # the call as written, shortened
    patterns: tuple[str, ...]  # what the pattern can be; () when it could not be read
    axes: tuple[tuple[str, int | None], ...]  # keyword lengths: a number, or None when computed
    open_axes: bool = False  # lengths passed in a way the source does not show (`**kwargs`)


def read_call(call: ast.Call, scope: Scope, layer: bool) -> EinopsCall:
    """Read a call of `rearrange` (`layer` False) or of the `Rearrange` layer (`layer` True)."""
    position = 0 if layer else 1
    pattern = next((k.value for k in call.keywords if k.arg == "pattern"), None)
    if pattern is None and len(call.args) > position and not isinstance(call.args[position], ast.Starred):
        pattern = call.args[position]
    found = strings(pattern, scope) if pattern is not None else None
    patterns = tuple(p for p in found or () if len(p) <= MAX_PATTERN)
    axes: list[tuple[str, int | None]] = []
    open_axes = False
    for keyword in call.keywords:
        if keyword.arg == "pattern":
            continue
        if keyword.arg is not None:
            axes.append((keyword.arg, integer(keyword.value, scope)))
            continue
        mapping = _dict_literal(keyword.value, scope)
        if mapping is None:
            open_axes = True
        else:
            axes += mapping
    code = ast.unparse(call)
    return EinopsCall(scope.source.where(call), code[:120] + ("..." if len(code) > 120 else ""), patterns,
                      tuple(axes), open_axes)  # fmt: skip


def integer(node: ast.expr, scope: Scope) -> int | None:
    """A length the source fixes (`h2=2`, `h2=FACTOR` with `FACTOR = 2`), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.Name) and node.id not in scope.local:
        values = [_value_of(t) for t in scope.resolve(node.id) if isinstance(t, StmtRef)]
        if len(values) == 1 and isinstance(values[0], ast.Constant) and type(values[0].value) is int:
            return int(values[0].value)
    return None


def strings(node: ast.expr, scope: Scope, depth: int = 0) -> list[str] | None:
    """Every string `node` can stand for, or None when the source does not show it."""
    if depth > MAX_DEPTH:
        return None
    if isinstance(node, ast.Constant):
        return [node.value] if isinstance(node.value, str) else None
    if isinstance(node, ast.JoinedStr):
        pieces = []
        for part in node.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                pieces.append([part.value])
            elif isinstance(part, ast.FormattedValue) and part.conversion == -1 and part.format_spec is None:
                number = integer(part.value, scope)
                inner = [str(number)] if number is not None else strings(part.value, scope, depth + 1)
                if inner is None:
                    return None
                pieces.append(inner)
            else:
                return None
        return _product(pieces)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = strings(node.left, scope, depth + 1), strings(node.right, scope, depth + 1)
        return None if left is None or right is None else _product([left, right])
    if isinstance(node, ast.Name):
        if node.id in scope.local:
            return _local_strings(node.id, scope, depth)
        return _from_targets([t for t in scope.resolve(node.id)], scope, depth)
    if isinstance(node, ast.Attribute):
        root = node.value
        if isinstance(root, ast.Name) and scope.cls is not None and _is_self(root.id, scope):
            return _class_strings(node.attr, scope, depth)
        return _from_targets(scope.origins(node), scope, depth)
    return None


def _product(pieces: list[list[str]]) -> list[str] | None:
    combined = ["".join(p) for p in itertools.islice(itertools.product(*pieces), MAX_CANDIDATES + 1)]
    return combined if len(combined) <= MAX_CANDIDATES else None


def _from_targets(targets: list, scope: Scope, depth: int) -> list[str] | None:
    """Module-level constants: the value of each assignment the name may come from."""
    found: list[str] = []
    for target in targets:
        if isinstance(target, ModuleRef):
            continue  # `from m import NAME` also runs m: not a value
        value = _value_of(target) if isinstance(target, StmtRef) else None
        if value is None:
            return None
        inner = strings(value, Scope(target.source, scope.program, line=target.node.lineno), depth + 1)
        if inner is None:
            return None
        found += inner
    return found[:MAX_CANDIDATES] or None


def _value_of(ref: StmtRef) -> ast.expr | None:
    node = ref.node
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.value
    if isinstance(node, ast.AnnAssign) and node.value is not None:
        return node.value
    return None


def _local_strings(name: str, scope: Scope, depth: int) -> list[str] | None:
    """A local variable or parameter of the enclosing function: its assignments or its default."""
    function = scope.function
    if function is None or not isinstance(function, FUNCTIONS):
        return None
    args = function.args
    positional = [*args.posonlyargs, *args.args]
    defaults = dict(zip([a.arg for a in positional[len(positional) - len(args.defaults):]], args.defaults))
    defaults.update({a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None})
    if name in defaults:
        outer = Scope(scope.source, scope.program, line=function.lineno)
        return strings(defaults[name], outer, depth + 1)
    if name in {a.arg for a in [*positional, *args.kwonlyargs]}:
        return None  # the caller decides
    values = [n.value for n in _own_nodes(function) if isinstance(n, ast.Assign) and len(n.targets) == 1
              and isinstance(n.targets[0], ast.Name) and n.targets[0].id == name]  # fmt: skip
    found: list[str] = []
    for value in values:
        inner = strings(value, scope, depth + 1)
        if inner is None:
            return None
        found += inner
    return found[:MAX_CANDIDATES] or None


def _own_nodes(function: ast.AST) -> list[ast.AST]:
    """The nodes of a function's body, not of the functions and classes nested in it."""
    found, stack = [], list(getattr(function, "body", []))
    while stack:
        node = stack.pop()
        found.append(node)
        if not isinstance(node, (*FUNCTIONS, ast.ClassDef, ast.Lambda)):
            stack += list(ast.iter_child_nodes(node))
    return found


def _is_self(name: str, scope: Scope) -> bool:
    """`self` (or whatever a method calls its first parameter), or `cls`."""
    function = scope.function
    if isinstance(function, FUNCTIONS) and function.args.args and function.args.args[0].arg == name:
        return True
    return name in ("self", "cls")


def _class_strings(attr: str, scope: Scope, depth: int) -> list[str] | None:
    """`self.attr`: what the class body or its methods assign to it."""
    cls = scope.cls
    assert cls is not None
    found: list[str] = []
    for item in cls.body:
        if isinstance(item, ast.Assign) and any(isinstance(t, ast.Name) and t.id == attr for t in item.targets):
            inner = strings(item.value, Scope(scope.source, scope.program, line=item.lineno), depth + 1)
            if inner is None:
                return None
            found += inner
        elif isinstance(item, FUNCTIONS):
            local, imports = function_locals(item)
            method = Scope(scope.source, scope.program, local, imports, None, item, cls)
            for node in _own_nodes(item):
                if isinstance(node, ast.Assign) and any(_is_attribute_of_self(t, attr, method) for t in node.targets):
                    inner = strings(node.value, method, depth + 1)
                    if inner is None:
                        return None
                    found += inner
    return found[:MAX_CANDIDATES] or None


def _is_attribute_of_self(target: ast.expr, attr: str, scope: Scope) -> bool:
    return (isinstance(target, ast.Attribute) and target.attr == attr and isinstance(target.value, ast.Name)
            and _is_self(target.value.id, scope))  # fmt: skip


def _dict_literal(node: ast.expr, scope: Scope) -> list[tuple[str, int | None]] | None:
    """`**{"h2": r, "w2": r}`, directly or through a module constant; None for anything else."""
    if isinstance(node, ast.Name) and node.id not in scope.local:
        values = [_value_of(t) for t in scope.resolve(node.id) if isinstance(t, StmtRef)]
        node = values[0] if len(values) == 1 and values[0] is not None else node
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict" and not node.args:
        if all(k.arg is not None for k in node.keywords):
            return [(str(k.arg), integer(k.value, scope)) for k in node.keywords]
    if not isinstance(node, ast.Dict):
        return None
    pairs: list[tuple[str, int | None]] = []
    for key, value in zip(node.keys, node.values):
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
            return None
        pairs.append((key.value, integer(value, scope)))
    return pairs
