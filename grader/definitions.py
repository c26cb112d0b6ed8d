"""Which statements of a notebook the grader runs: its definitions, not its actions.

From every code cell, in order, we keep imports, class and function
definitions and simple constants (`FACTOR = 3`, `FEATURES = 32 * 7 * 7`,
`device = torch.device("cuda" if torch.cuda.is_available() else "cpu")`).
Training loops, plots and other top-level calls are dropped, each drop noted.

A kept statement must also run: a definition whose decorators, defaults or
base classes need a name that only dropped code sets, and an import of a
module that is not installed where the grader runs (`google.colab`), are
dropped as well, with the reason. Of a function or class defined twice only
the last definition is kept, as the notebook would end up with; so an
abandoned first attempt is neither run nor read by the static checks.

Each part then gets its own module (`module_source`): the kept statements
its names need, directly or through each other. One part's broken class
cannot stop another part's import, and nothing a part does not use (plotting
imports, a helper naming `net.pixel_shuffle`) is run or read for it.

All of it runs in the grader's process on untrusted code, so it is linear
in the size of the code (each cell is split into lines once; replaced
definitions and the names a part needs are found through indexes, not by
rescanning), code nested too deeply to parse counts as a syntax error, and
a `Budget` bounds the time (see `grader.bounds`).
"""

from __future__ import annotations

import ast
import bisect
import builtins
from dataclasses import dataclass
from typing import Callable, Iterable

from grader.bounds import Budget, parse_python
from grader.importable import module_available
from grader.notebook import Cell, code_lines

DEFINITIONS = (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
# Calls a constant may make: the device line every notebook has.
SAFE_CALLS = frozenset({"torch.device", "torch.cuda.is_available", "torch.backends.mps.is_available"})
MODULE_NAMES = frozenset({"__name__", "__file__", "__doc__", "__builtins__", "__spec__", "__loader__"})


@dataclass(frozen=True)
class Statement:
    """A kept top-level statement: where it was, its text, the names it binds and uses."""

    where: str
    text: str
    binds: frozenset[str]  # "*" for a star import
    needs: frozenset[str]  # names read when the statement itself runs
    uses: frozenset[str]  # every name it mentions, function bodies included
    definition: bool  # a def or class, which a later one replaces


@dataclass(frozen=True)
class Extracted:
    """The kept statements, in order, and what the student should know."""

    statements: tuple[Statement, ...]
    future: tuple[str, ...]  # `from __future__` imports, which must come first
    notes: tuple[str, ...]  # cells that do not parse, then each statement dropped or replaced
    syntax_errors: tuple[str, ...]  # one message per cell that does not parse

    @property
    def defined(self) -> frozenset[str]:
        return frozenset(name for s in self.statements for name in s.binds)


def extract_definitions(cells: list[Cell], local_modules: frozenset[str] = frozenset(),
                        available: Callable[[str], bool] | None = None,
                        budget: Budget | None = None) -> Extracted:  # fmt: skip
    """Keep the cells' definitions; `local_modules` can be imported besides installed ones.
    `budget` bounds the time (BoundExceeded past it).

    >>> extract_definitions([Cell("cell 1", "import math\\nx = f()\\nK = 3")]).notes
    ('cell 1, line 2: dropped `x = f()`',)
    """
    budget = budget or Budget()
    lazy = any(_is_future_annotations(line) for c in cells for line in code_lines(c.source))
    bound = set(dir(builtins)) | MODULE_NAMES
    kept: list[Statement] = []
    future: list[str] = []
    notes: list[str] = []
    errors: list[str] = []
    for cell in cells:
        budget.check(f"reading {cell.label}")
        try:
            tree = parse_python(cell.source)
        except SyntaxError as exc:
            errors.append(_syntax_message(cell, exc))
            continue
        text = _CellText(cell)  # its lines, split once: statements slice them
        for node in tree.body:
            budget.check(f"reading {cell.label}")
            outcome = _judge(node, text, bound, lazy, local_modules, available or module_available)
            if isinstance(outcome, Statement):
                kept.append(outcome)
                bound |= outcome.binds
            elif outcome.startswith("from __future__"):
                future.append(outcome)
            elif outcome:
                notes.append(outcome)
    kept, replaced = _last_definitions(kept)
    return Extracted(tuple(kept), tuple(future), (*errors, *notes, *replaced), tuple(errors))


class _CellText:
    """A cell's lines, split once, and the UTF-8 bytes of the lines statements start and end
    on, each encoded once: a statement is cut out by its own columns, so `K = 3; train()`
    keeps `K = 3` alone, and the work stays linear even when one line holds thousands of
    statements (slicing and quoting whole lines per statement made that quadratic)."""

    def __init__(self, cell: Cell) -> None:
        self.cell = cell
        self.lines = code_lines(cell.source)
        self.quoted = cell.quoted_lines()
        self._encoded: dict[tuple[bool, int], bytes] = {}

    def _bytes(self, quoted: bool, line: int) -> bytes:
        key = (quoted, line)
        if key not in self._encoded:
            lines = self.quoted if quoted else self.lines
            self._encoded[key] = lines[line - 1].encode("utf-8") if 0 < line <= len(lines) else b""
        return self._encoded[key]

    def segment(self, start: int, col: int, end: int, end_col: int | None) -> str:
        """Lines start..end, the first from byte column `col`, the last up to `end_col`
        (ast's columns count UTF-8 bytes): the statement alone, not what shares its lines."""
        if start == end:
            return self._bytes(False, start)[col:end_col].decode("utf-8", errors="replace")
        first = self._bytes(False, start)[col:].decode("utf-8", errors="replace")
        last = self._bytes(False, end)[:end_col].decode("utf-8", errors="replace")
        return "\n".join([first, *self.lines[start : end - 1], last])

    def quote(self, line: int, col: int, end_col: int | None) -> str:
        """The start of the statement as the student wrote it: a line magic (which became
        `pass`) is quoted whole, other statements without what shares their line."""
        written = self._bytes(True, line)
        if written != self._bytes(False, line):
            end_col = None
        stop = col + 240 if end_col is None else min(end_col, col + 240)
        return _first_line(written[col:stop].decode("utf-8", errors="ignore"))


def module_source(extracted: Extracted, names: Iterable[str]) -> str:
    """The module for the given names: the statements they need, in notebook order.

    >>> ex = extract_definitions([Cell("cell 1", "import os\\nimport math\\ndef f():\\n    return math.pi")])
    >>> "import os" in module_source(ex, ["f"]), "import math" in module_source(ex, ["f"])
    (False, True)
    """
    return module_with_origins(extracted, names)[0]


def module_with_origins(extracted: Extracted, names: Iterable[str]) -> tuple[str, tuple[str, ...]]:
    """`module_source`, and for each of its lines where it came from in the notebook
    (`cell 4, line 7`; "" for the lines the grader wrote), so that a traceback in the
    built module can name the student's own cell and line.

    >>> ex = extract_definitions([Cell("cell 3", "import math\\ndef f():\\n    return math.pi")])
    >>> text, origins = module_with_origins(ex, ["f"])
    >>> origins[text.splitlines().index("    return math.pi")]
    'cell 3, line 3'
    """
    statements = extracted.statements
    if not any("*" in s.binds for s in statements):
        chosen = _needed(statements, names)
        statements = tuple(s for i, s in enumerate(statements) if i in chosen)
    header = "# Built by cnn-grader from the definitions in the submission.\n"
    blocks = [f"# {s.where}\n{s.text}" for s in statements]
    text = "\n".join([*extracted.future, header, *blocks]) + "\n"
    origins: list[str] = [""] * sum(len(code_lines(f)) for f in extracted.future) + ["", ""]
    for s in statements:
        label, _, first = s.where.rpartition(", line ")
        origins.append("")  # the `# cell 4, line 2` comment above the block
        start = int(first) if first.isdigit() else 0
        origins += [f"{label}, line {start + i}" if start else "" for i in range(len(code_lines(s.text)))]
    return text, tuple(origins)


def _needed(statements: tuple[Statement, ...], names: Iterable[str]) -> set[int]:
    """The positions of the statements `names` need, directly or through each other: a walk
    over an index of who binds what, each name looked up once (linear, not a fixed point
    rescanning every statement)."""
    binders: dict[str, list[int]] = {}
    for index, statement in enumerate(statements):
        for name in statement.binds:
            binders.setdefault(name, []).append(index)
    chosen: set[int] = set()
    seen: set[str] = set()
    wanted = list(names)
    while wanted:
        name = wanted.pop()
        if name in seen:
            continue
        seen.add(name)
        for index in binders.get(name, ()):
            if index not in chosen:
                chosen.add(index)
                wanted.extend(statements[index].uses)
    return chosen


def _judge(node: ast.stmt, text: _CellText, bound: set[str], lazy: bool, local: frozenset[str],
           available: Callable[[str], bool]) -> Statement | str:  # fmt: skip
    """A kept Statement; or a `from __future__` line; or the note saying why it was dropped
    ("" for a docstring, which has nothing to run)."""
    decorators = getattr(node, "decorator_list", [])
    start = min([node.lineno] + [d.lineno for d in decorators])
    col = 0 if decorators else node.col_offset  # a decorated definition starts at its line's `@`
    end, end_col = node.end_lineno or node.lineno, node.end_col_offset
    where = text.cell.where(start)
    source = text.segment(start, col, end, end_col)
    if isinstance(node, ast.ImportFrom) and node.module == "__future__":
        return source
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        return ""  # a docstring, or a markdown cell turned string (Colab export)
    quoted = text.quote(start, col, end_col if end == start else None)
    try:
        reason = _drop_reason(node, bound, lazy, local, available)
        if reason is not None:
            return f"{where}: dropped `{quoted}`{reason}"
        uses = frozenset(n.id for n in ast.walk(node) if isinstance(n, ast.Name))
        return Statement(where, source, _binds(node), _needs(node, lazy), uses, isinstance(node, DEFINITIONS))
    except RecursionError:  # parsed, but too deep for the recursive helpers (ast.unparse)
        return f"{where}: dropped `{quoted}`: it is nested too deeply for the grader to read"


def _drop_reason(node: ast.stmt, bound: set[str], lazy: bool, local: frozenset[str],
                 available: Callable[[str], bool]) -> str | None:  # fmt: skip
    """None keeps the statement; a string drops it and ends its note ("" adds nothing)."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        missing = [m for m in _imported_modules(node) if m.split(".")[0] not in local and not available(m)]
        return f": {missing[0]} is not installed where the grader runs" if missing else None
    if not _definition_kind(node):
        return ""
    unknown = [] if "*" in bound else sorted(_needs(node, lazy) - bound)
    if unknown:
        names = ", ".join(f"`{n}`" for n in unknown)
        return f": it needs {names} when it runs, which only dropped code sets"
    return None


def _definition_kind(node: ast.stmt) -> bool:
    """Definitions, constants and import guards; everything else is an action."""
    if isinstance(node, DEFINITIONS):
        return True
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return node.value is not None and all(_plain_target(t) for t in targets) and _constant(node.value)
    if isinstance(node, ast.Try):
        # `try: import x / except ImportError: ...` guards are kept when they only import.
        return all(isinstance(n, (ast.Import, ast.ImportFrom)) for n in node.body)
    return False


def _plain_target(target: ast.expr) -> bool:
    if isinstance(target, ast.Name):
        return True
    return isinstance(target, (ast.Tuple, ast.List)) and all(_plain_target(t) for t in target.elts)


def _constant(value: ast.expr) -> bool:
    """Literals, names, arithmetic and conditions on them, and the SAFE_CALLS: no actions."""
    for node in ast.walk(value):
        if isinstance(node, ast.Call):
            if _dotted(node.func) not in SAFE_CALLS:
                return False
        elif isinstance(node, (ast.Lambda, ast.NamedExpr, ast.Await, ast.Yield, ast.YieldFrom)):
            return False
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            return False
    return True


def _dotted(node: ast.expr) -> str:
    """`torch.cuda.is_available` for a chain of names, else "" (walked, not unparsed: unparsing
    each call of `f()()()...` made reading quadratic in the chain's length).

    >>> _dotted(ast.parse("torch.cuda.is_available").body[0].value), _dotted(ast.parse("f()()").body[0].value)
    ('torch.cuda.is_available', '')
    """
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return ".".join([node.id, *reversed(parts)]) if isinstance(node, ast.Name) else ""


def _imported_modules(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:  # `from . import x`: there is no package around the built module
        return ["." * node.level + (node.module or "")]
    return [node.module or ""]


def _binds(node: ast.stmt) -> frozenset[str]:
    """The top-level names a kept statement binds ("*" for a star import)."""
    names: set[str] = set()
    for child in ast.walk(node) if isinstance(node, ast.Try) else [node]:
        if isinstance(child, ast.Import):
            names |= {a.asname or a.name.split(".")[0] for a in child.names}
        elif isinstance(child, ast.ImportFrom):
            names |= {a.asname or a.name for a in child.names}
        elif isinstance(child, DEFINITIONS):
            names.add(child.name)
        elif isinstance(child, (ast.Assign, ast.AnnAssign)):
            targets = child.targets if isinstance(child, ast.Assign) else [child.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return frozenset(names)


def _needs(node: ast.stmt, lazy: bool) -> frozenset[str]:
    """Names read when the statement itself runs (not when its functions are called later)."""
    names = _loaded(_evaluated_now(node, lazy))
    if isinstance(node, ast.ClassDef):  # a class body may read what it bound itself
        names -= {name for statement in node.body for name in _binds(statement)}
    return frozenset(names)


def _evaluated_now(node: ast.stmt, lazy: bool) -> list[ast.AST]:
    """The parts of a statement Python evaluates when it runs it."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        args = node.args
        parts: list[ast.AST] = [*node.decorator_list, *args.defaults, *[d for d in args.kw_defaults if d]]
        if not lazy:
            every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
            parts += [a.annotation for a in every if a is not None and a.annotation is not None]
            parts += [node.returns] if node.returns is not None else []
        return parts
    if isinstance(node, ast.ClassDef):
        parts = [*node.decorator_list, *node.bases, *[k.value for k in node.keywords]]
        for statement in node.body:
            parts += _evaluated_now(statement, lazy)
        return parts
    if isinstance(node, ast.Try):
        return []  # imports only
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        return [node.value] if node.value is not None else []
    return [node]


def _loaded(parts: list[ast.AST]) -> set[str]:
    """Names read in `parts`, less those bound inside them (comprehensions, lambdas)."""
    loaded, local = set(), set()
    for part in parts:
        for node in ast.walk(part):
            if isinstance(node, ast.Name):
                (loaded if isinstance(node.ctx, ast.Load) else local).add(node.id)
            elif isinstance(node, ast.arg):
                local.add(node.arg)
    return loaded - local


def _last_definitions(kept: list[Statement]) -> tuple[list[Statement], list[str]]:
    """Drop a def or class that a later one of the same name replaces, unless something
    in between used it while running (a base class, a decorator).

    Linear: the next definition of each name comes from one backward pass, and whether a
    statement in between needs the name from the sorted positions of the statements that do.
    """
    following: dict[int, int] = {}  # a definition's position -> the next definition of its name
    last_seen: dict[str, int] = {}
    for index in range(len(kept) - 1, -1, -1):
        item = kept[index]
        if item.definition:
            later = [last_seen[name] for name in item.binds if name in last_seen]
            if later:
                following[index] = min(later)
            for name in item.binds:
                last_seen[name] = index
    needed_at: dict[str, list[int]] = {}
    for index, item in enumerate(kept):
        for name in item.needs:
            needed_at.setdefault(name, []).append(index)
    result, notes = [], []
    for index, item in enumerate(kept):
        later = following.get(index)
        if later is not None and not any(_needed_between(needed_at.get(n, []), index, later) for n in item.binds):
            notes.append(f"{item.where}: `{_first_line(item.text)}` is replaced by the definition at "
                         f"{kept[later].where}")  # fmt: skip
            continue
        result.append(item)
    return result, notes


def _needed_between(positions: list[int], after: int, before: int) -> bool:
    """Whether a sorted list of positions holds one strictly between `after` and `before`."""
    at = bisect.bisect_right(positions, after)
    return at < len(positions) and positions[at] < before


def _syntax_message(cell: Cell, exc: SyntaxError) -> str:
    line = exc.lineno or 1
    lines = cell.quoted_lines()
    text = lines[line - 1] if 0 < line <= len(lines) else (exc.text or "")
    shown = f" `{_first_line(text)}`" if text.strip() else ""
    return f"{cell.where(line)} has a syntax error ({exc.msg}){shown}: the grader skipped the whole cell"


def _is_future_annotations(line: str) -> bool:
    return line.strip().startswith("from __future__ import") and "annotations" in line


def _first_line(text: str) -> str:
    text = text.lstrip()[:240]  # a line may be megabytes long: quote its start only
    first = code_lines(text)[0].strip() if text.strip() else ""
    return first[:60] + ("..." if len(first) > 60 else "")
