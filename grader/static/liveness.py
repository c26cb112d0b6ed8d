"""Which statements can run, known without running anything.

An imported module never enters `if __name__ == "__main__":`; nothing runs
after a `return`, `raise`, `break` or `continue` in the same block; a branch
whose condition is a constant (`if False:`, `while 0:`, `if TYPE_CHECKING:`,
`if DEBUG:` with `DEBUG = False` bound once) runs or not as the constant says.
Any other condition may go either way, so both branches count as live.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:
    from grader.static.program import Source

TRIES = (ast.Try, getattr(ast, "TryStar", ast.Try))
COMPOUND = (ast.If, ast.While, *TRIES, ast.Match, ast.For, ast.AsyncFor, ast.With, ast.AsyncWith)


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
