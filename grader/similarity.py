"""Pairs of submissions whose code is near-identical once names, comments and
formatting are normalised: a prompt for a human to look, never a penalty.

Each submission's Python (its `.py` files, a notebook's code cells, inside a
zip too) is parsed; docstrings go, and every local name (variables,
arguments, functions, classes) becomes `v1`, `v2`, ... in order of first use,
while imported names, builtins and attributes stay (they are what the
assignment prescribes). Each statement is one normalised line; a run of K
consecutive lines is a fragment. Fragments of the released stubs (base code)
never count, nor fragments that many submissions share (the assignment's own
patterns, as MOSS ignores passages common to many programs). A pair is
flagged when most of the smaller submission's counted fragments are shared
with the other and the shared code is long enough to mean something.
"""

from __future__ import annotations

import ast
import builtins
import json
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterable, Iterator, Mapping, Sequence

from grader.submission import IGNORED_DIRS

K = 3  # statements per fragment
MIN_SHARED_LINES = 10  # shorter shared code is what any two correct solutions may share
MIN_SCORE = 0.6  # share of the smaller submission's counted fragments
MAX_CODE_BYTES = 4 << 20  # per submission: students write kilobytes
MAX_RUNS = 6  # shared passages shown per pair
BUILTIN_NAMES = frozenset(dir(builtins)) | {"self", "cls", "__name__", "__file__"}


@dataclass(frozen=True)
class Line:
    """One normalised statement and where it came from."""

    text: str  # normalised
    where: str  # file name
    lineno: int
    original: str


@dataclass(frozen=True)
class Passage:
    """Code two submissions share: the same normalised run of statements in each."""

    first: tuple[Line, ...]
    second: tuple[Line, ...]


@dataclass(frozen=True)
class Flag:
    first: str
    second: str
    score: float  # share of the smaller submission's counted fragments found in the other
    shared_lines: int
    passages: tuple[Passage, ...]


def find_similar(
    submissions: Mapping[str, Path], base_code: Path | None = None, min_score: float = MIN_SCORE,
    min_lines: int = MIN_SHARED_LINES,
) -> list[Flag]:  # fmt: skip
    """Flag the near-identical pairs among `submissions` (name -> entry path), most similar first."""
    lines = {name: normalised_lines(python_sources(path)) for name, path in submissions.items()}
    base = set(_fragments(normalised_lines(python_sources(base_code)))) if base_code is not None else set()
    seen_in: dict[str, set[str]] = defaultdict(set)
    for name, listing in lines.items():
        for fragment in _fragments(listing):
            seen_in[fragment].add(name)
    # A passage most of the class shares is the assignment's, not a copy.
    common = max(4, len(lines) // 4)
    counted = {
        name: {f for f in _fragments(listing) if f not in base and len(seen_in[f]) <= common}
        for name, listing in lines.items()
    }
    flags = []
    names = sorted(lines)
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            a, b = counted[first], counted[second]
            shared = a & b
            if not shared or not a or not b:
                continue
            score = len(shared) / min(len(a), len(b))
            passages = _passages(lines[first], lines[second], shared)
            shared_lines = sum(len(p.first) for p in passages)
            if score >= min_score and shared_lines >= min_lines:
                flags.append(Flag(first, second, round(score, 3), shared_lines, tuple(passages[:MAX_RUNS])))
    return sorted(flags, key=lambda f: (-f.score, -f.shared_lines, f.first, f.second))


def python_sources(path: Path | None) -> list[tuple[str, str]]:
    """(file name, code) of every Python file and notebook code cell in an entry, within a size bound."""
    if path is None or path.is_symlink():
        return []
    found: list[tuple[str, str]] = []
    if path.is_dir():
        for file in sorted(path.rglob("*")):
            relative = file.relative_to(path)
            if any(p in IGNORED_DIRS or p.startswith(".") for p in relative.parts) or file.is_symlink():
                continue
            if file.is_file() and file.suffix.lower() in (".py", ".ipynb") and file.stat().st_size <= MAX_CODE_BYTES:
                found += _from_bytes(str(relative), file.read_bytes())
    elif path.suffix.lower() == ".zip":
        found = list(_from_zip(path))
    elif path.suffix.lower() in (".py", ".ipynb") and path.is_file() and path.stat().st_size <= MAX_CODE_BYTES:
        found = _from_bytes(path.name, path.read_bytes())
    total, kept = 0, []
    for name, code in found:
        total += len(code)
        if total > MAX_CODE_BYTES:
            break
        kept.append((name, code))
    return kept


def _from_zip(path: Path) -> Iterator[tuple[str, str]]:
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.infolist():
                name = PurePosixPath(member.filename.replace("\\", "/"))
                if member.is_dir() or any(p in IGNORED_DIRS or p.startswith(".") for p in name.parts):
                    continue
                if name.suffix.lower() in (".py", ".ipynb") and member.file_size <= MAX_CODE_BYTES:
                    yield from _from_bytes(str(name), archive.read(member)[:MAX_CODE_BYTES])
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
        return


def _from_bytes(name: str, data: bytes) -> list[tuple[str, str]]:
    text = data.decode("utf-8", errors="replace")
    if not name.lower().endswith(".ipynb"):
        return [(name, text)]
    try:
        cells = json.loads(text).get("cells", [])
    except (ValueError, AttributeError, RecursionError):
        return []
    found = []
    for index, cell in enumerate(cells if isinstance(cells, list) else []):
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else str(source)
            # Magics and shell lines are not Python.
            source = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
            found.append((f"{name} cell {index + 1}", source))
    return found


def normalised_lines(sources: Iterable[tuple[str, str]]) -> list[Line]:
    """Every statement of every source, in order, with local names replaced."""
    lines: list[Line] = []
    for where, code in sources:
        try:
            tree = ast.parse(code)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        original = code.splitlines()
        try:
            _Renamer(_imported(tree)).visit(tree)
            for node in _statements(tree.body):
                text = _header(node)
                lineno = getattr(node, "lineno", 0)
                source = original[lineno - 1].strip() if 0 < lineno <= len(original) else ""
                lines.append(Line(text, where, lineno, source))
        except RecursionError:
            continue
    return lines


def _imported(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names.add((alias.asname or alias.name).split(".")[0])
    return names


class _Renamer(ast.NodeTransformer):
    """Local names -> v1, v2, ... by first use; imported names and builtins stay."""

    def __init__(self, keep: set[str]) -> None:
        self.keep, self.names = keep | BUILTIN_NAMES, {}

    def rename(self, name: str) -> str:
        if name in self.keep or (name.startswith("__") and name.endswith("__")):
            return name
        return self.names.setdefault(name, f"v{len(self.names) + 1}")

    def visit_Name(self, node: ast.Name) -> ast.AST:
        node.id = self.rename(node.id)
        return node

    def visit_arg(self, node: ast.arg) -> ast.AST:
        node.arg = self.rename(node.arg)
        node.annotation = None
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node.name = self.rename(node.name) if node.name != "forward" else node.name
        node.returns = None
        node.body = _without_docstring(node.body)
        self.generic_visit(node)
        return node

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        node.name = self.rename(node.name)
        node.body = _without_docstring(node.body)
        self.generic_visit(node)
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        self.generic_visit(node)
        if node.value is None:
            return ast.Pass()
        return ast.Assign(targets=[node.target], value=node.value, lineno=node.lineno)


def _without_docstring(body: list[ast.stmt]) -> list[ast.stmt]:
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):  # fmt: skip
        return body[1:] or [ast.Pass()]
    return body


def _statements(body: Sequence[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements in source order, compound ones before their bodies; docstrings, imports and
    `pass` left out (the assignment dictates the imports)."""
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.Pass)):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            continue
        yield node
        for field in ("body", "orelse", "finalbody", "handlers"):
            inner = getattr(node, field, None)
            if isinstance(inner, list):
                yield from _statements([n for n in inner if isinstance(n, ast.stmt)])
            if field == "handlers" and isinstance(inner, list):
                for handler in inner:
                    yield from _statements(getattr(handler, "body", []))


def _header(node: ast.stmt) -> str:
    """A simple statement in full; a compound one by its first line only."""
    if any(isinstance(getattr(node, f, None), list) and getattr(node, f) for f in ("body", "orelse", "handlers")):
        text = ast.unparse(node).splitlines()
        return text[0] if text else ""
    return ast.unparse(node)


def _fragments(lines: Sequence[Line]) -> Iterator[str]:
    for key in _keys(lines):
        if key is not None:
            yield key


def _keys(lines: Sequence[Line]) -> list[str | None]:
    """The fragment starting at each line; None where it would run past its file's end."""
    keys: list[str | None] = []
    for i in range(len(lines) - K + 1):
        run = lines[i : i + K]
        keys.append("\n".join(line.text for line in run) if run[0].where == run[-1].where else None)
    return keys


def _passages(first: Sequence[Line], second: Sequence[Line], shared: set[str]) -> list[Passage]:
    """The longest runs of shared fragments, as the original lines of each submission."""
    keys_first, keys_second = _keys(first), _keys(second)
    where_second: dict[str, int] = {}
    for j, key in enumerate(keys_second):
        if key is not None:
            where_second.setdefault(key, j)
    runs: list[Passage] = []
    i = 0
    while i < len(keys_first):
        key = keys_first[i]
        if key is None or key not in shared or key not in where_second:
            i += 1
            continue
        j, steps = where_second[key], 1
        while i + steps < len(keys_first) and j + steps < len(keys_second) and \
                keys_first[i + steps] is not None and keys_first[i + steps] == keys_second[j + steps]:  # fmt: skip
            steps += 1
        length = steps + K - 1
        runs.append(Passage(tuple(first[i : i + length]), tuple(second[j : j + length])))
        i += length
    return sorted(runs, key=lambda p: -len(p.first))
