"""Static reading of Part 3, done in the parent: what the code the part can reach does.

Three questions, answered from the source without running it, over every
piece of code the graded module can reach (`grader.static`: its own top-level
code, the functions and classes it names, the submission's modules it
imports, transitively; never a `__main__` block, an unimported test file or a
function nothing calls):

- does it name torch's own pixel shuffle (`F.pixel_shuffle`, `nn.PixelShuffle`,
  an import of either, in any module or notebook cell)?
- does it tamper with the runtime or look names up dynamically (`eval`,
  computed `getattr`, `__dict__`/`vars()`/`globals()` lookups, `gc`, `ctypes`,
  frames, `sys.modules`, `torch._C`, `torch.library`, torch's compilers,
  unpickling, monkeypatching torch, the grader's own modules)? An honest
  einops PixelShuffle needs none of it, and it is what could undo the
  child's poisoning of torch's pixel shuffle, so such code earns no run-time
  credit in Part 3 (see `grader.checks.pixel_shuffle`);
- which `einops.rearrange` / `Rearrange` calls do the entry points reach, with
  which patterns (`grader.einops_patterns`)?
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

from grader.einops_patterns import EinopsCall, read_call
from grader.static.names import External, ModuleRef, Scope
from grader.static.program import Program
from grader.static.reach import Reached, reach

ENTRIES = ("pixel_shuffle", "PixelShuffle")
SHUFFLE_NAMES = frozenset({"pixel_shuffle", "PixelShuffle", "pixel_unshuffle", "PixelUnshuffle", "_pixel_shuffle"})
# Roots of modules that reach into the interpreter, the grader or torch's machinery.
TAMPER_ROOTS = frozenset({
    "gc", "ctypes", "_ctypes", "cffi", "inspect", "importlib", "pkgutil", "runpy", "marshal", "pickle",
    "_pickle", "copyreg", "dill", "cloudpickle", "joblib", "shelve", "types", "code", "codeop", "pdb", "bdb",
    "trace", "grader", "tests", "functorch", "_thread", "_weakref", "weakref", "sysconfig", "site",
})  # fmt: skip
TAMPER_PATHS = (
    "torch.library", "torch.ops", "torch.overrides", "torch.fx", "torch.jit", "torch.compile", "torch.compiler",
    "torch.export", "torch.load", "torch.package", "torch.hub", "torch.utils.hooks", "torch.autograd.graph",
    "torch.nn.modules.module.register_module", "torch.nn.modules.module._global",
    "sys.settrace", "sys.setprofile", "sys.gettrace", "sys.getprofile", "sys.modules", "sys.meta_path",
    "sys.path_hooks", "sys.path_importer_cache", "sys.addaudithook", "sys.monitoring", "sys._",
    "threading.settrace", "threading.setprofile", "operator.attrgetter", "operator.methodcaller",
    "builtins.eval", "builtins.exec", "builtins.compile", "builtins.__import__", "builtins.globals",
    "builtins.locals", "builtins.vars", "builtins.breakpoint", "numpy.load",
)  # fmt: skip
# Attributes that reach namespaces, frames and code objects, on anything.
TAMPER_ATTRS = frozenset({
    "__dict__", "__getattribute__", "__getattr__", "__globals__", "__builtins__", "__code__", "__closure__",
    "__subclasses__", "__mro__", "__bases__", "__base__", "__self__", "__func__", "__wrapped__", "__reduce__",
    "__reduce_ex__", "__import__", "__loader__", "__spec__", "__torch_function__", "__torch_dispatch__",
    "f_globals", "f_locals", "f_back", "f_builtins", "f_code", "tb_frame", "gi_frame", "cr_frame", "ag_frame",
    "co_code", "__setattr__", "__delattr__", "__set_name__", "__init_subclass__",
})  # fmt: skip
DISPATCH_METHODS = frozenset({"__torch_function__", "__torch_dispatch__"})
SAFE_DUNDERS = frozenset({"__version__", "__name__", "__doc__", "__init__", "__class__", "__file__"})


@dataclass(frozen=True)
class ShuffleScan:
    """What the reachable code shows; entries read `file line N: code`."""

    syntax_error: str | None
    torch_references: tuple[str, ...]  # names torch's pixel shuffle
    tampering: tuple[str, ...]  # dynamic lookups and runtime tampering: no run-time credit
    einops_calls: tuple[EinopsCall, ...]  # reached from the entry points
    unreached_einops: tuple[str, ...]  # rearrange calls in code that never runs
    unused_einops: tuple[str, ...] = ()  # rearrange calls that run, but not for the entry points
    problems: tuple[str, ...] = ()  # modules that could not be read
    files: tuple[str, ...] = ()  # the modules read


def scan_part(root: Path, module: str, skip: frozenset[str] = frozenset()) -> ShuffleScan:
    """Scan the staged submission in `root` from its module `module` (a file name)."""
    return _scan(lambda: Program(module, root=root), skip)


def scan_pixel_shuffle(source: str, filename: str = "pixel_shuffle.py", skip: frozenset[str] = frozenset(),
                       helpers: Mapping[str, str] | None = None) -> ShuffleScan:  # fmt: skip
    """Scan one module given as text (and helper modules by file name); for tests and tools.

    >>> source = "import torch.nn.functional as F\\ndef pixel_shuffle(x, r):\\n    return F.pixel_shuffle(x, r)"
    >>> scan_pixel_shuffle(source).torch_references
    ('pixel_shuffle.py line 3: F.pixel_shuffle',)
    """
    return _scan(lambda: Program(filename, files={filename: source, **(helpers or {})}), skip)


def _scan(make: Callable[[], Program], skip: frozenset[str]) -> ShuffleScan:
    try:
        return _read(make(), skip)
    except RecursionError:
        # Code that parses and compiles but is nested beyond what the reading follows earns no
        # trust rather than a grader error.
        return ShuffleScan(None, (), ("the code is nested too deeply for the grader to read",), (), (), ())


def _read(program: Program, skip: frozenset[str]) -> ShuffleScan:
    if program.main is None:
        if program.syntax_errors:
            return ShuffleScan(next(iter(program.syntax_errors.values())), (), (), (), (), ())
        unread = tuple(program.problems)
        return ShuffleScan(None, (), unread or ("the module could not be read",), (), (), ())
    reached = reach(program, ENTRIES, skip)
    references: list[str] = []
    tampering: list[str] = []
    for name in ENTRIES:  # an entry point that is torch's own, e.g. `from torch.nn import PixelShuffle`
        for target in Scope(program.main, program).resolve(name):
            if isinstance(target, External) and _is_torch_shuffle(target.path):
                references.append(f"{program.main.label}: {name} is {target.path}")
    printed = _printed_comparisons(reached)
    for unit in reached.units:
        for node, scope in reached.nodes(unit):
            if id(node) not in printed:
                references += _torch_references(node, scope)
            tampering += _tampering(node, scope)
    calls, used_ids = _einops_calls(reached)
    running_ids = {id(node) for unit in reached.units for node, _ in reached.nodes(unit)}
    unreached, unused = [], []
    for source in program.sources.values():
        for node in ast.walk(source.tree) if source is not None else ():
            if _looks_like_rearrange(node) and id(node) not in used_ids:
                (unused if id(node) in running_ids else unreached).append(source.where(node))
    files = tuple(s.label for s in program.sources.values() if s is not None)
    # A module the code imports that the grader cannot read (nested too deeply, too large) hides
    # what it does: no trust, as for tampering. One with a syntax error fails the import anyway.
    tampering += [p for p in program.problems]
    return ShuffleScan(None, _unique(references), _first_per_place(tampering), tuple(calls), _unique(unreached),
                       _unique(unused), tuple(program.problems), files)  # fmt: skip


def _printed_comparisons(reached: Reached) -> set[int]:
    """Torch's pixel shuffle called inside a top-level `print(...)` of a module: a self-test such as
    `print(torch.equal(pixel_shuffle(x, 2), F.pixel_shuffle(x, 2)))`. Only the callee is excused:
    its result is the child's poisoned NaN (the statement runs after the poisoning), and a print
    binds nothing the entry points read; the same name passed on or stored still counts."""
    excused: set[int] = set()
    for unit in reached.units:
        if not isinstance(unit, ModuleRef):
            continue
        scope = Scope(unit.source, reached.program)
        for statement in unit.source.tree.body:
            call = statement.value if isinstance(statement, ast.Expr) else None
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "print"):
                continue
            if any(not isinstance(t, External) or t.path != "builtins.print" for t in scope.resolve("print")):
                continue
            if any(isinstance(n, (ast.NamedExpr, ast.Lambda)) for n in ast.walk(call)):
                continue
            excused.update(id(n.func) for n in ast.walk(call) if isinstance(n, ast.Call))
    return excused


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _first_per_place(items: list[str]) -> tuple[str, ...]:
    """One finding per place: `torch._C._DisableTorchDispatch` is one finding, not one per attribute."""
    kept: dict[str, str] = {}
    for item in items:
        kept.setdefault(item.split(": ", 1)[0], item)
    return tuple(kept.values())


def _is_torch_shuffle(path: str) -> bool:
    return path.startswith("torch") and path.rsplit(".", 1)[-1] in SHUFFLE_NAMES


def _code(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text[:80] + ("..." if len(text) > 80 else "")


def _torch_references(node: ast.AST, scope: Scope) -> list[str]:
    where = scope.source.where
    if isinstance(node, ast.Attribute) and node.attr in SHUFFLE_NAMES:
        if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
            return []
        origins = scope.origins(node)
        if origins and not any(isinstance(o, External) and _is_torch_shuffle(o.path) for o in origins):
            return []  # the submission's own module, class or function
        return [f"{where(node)}: {_code(node)}"]
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
        for target in scope.resolve(node.id):
            if isinstance(target, External) and _is_torch_shuffle(target.path):
                return [f"{where(node)}: {node.id} ({target.path})"]
    if isinstance(node, ast.ImportFrom) and scope.function is not None and (node.module or "").startswith("torch"):
        return [f"{where(node)}: {_code(node)}" for a in node.names if a.name in SHUFFLE_NAMES][:1]
    return []


def _tampering(node: ast.AST, scope: Scope) -> list[str]:
    where = scope.source.where
    found: list[str] = []
    if isinstance(node, (ast.Name, ast.Attribute)) and isinstance(node.ctx, ast.Load):
        if isinstance(node, ast.Attribute) and node.attr in TAMPER_ATTRS:
            found.append(f"{where(node)}: {_code(node)}")
        else:
            for target in scope.origins(node):
                if isinstance(target, External) and _tampering_path(target.path):
                    found.append(f"{where(node)}: {_code(node)} ({target.path})")
                    break
    elif isinstance(node, ast.Call):
        found += _tampering_call(node, scope)
    elif isinstance(node, ast.Subscript) and _names_shuffle(node.slice):
        found.append(f"{where(node)}: {_code(node)}")
    elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
        targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
        for target in targets:
            base = target.value if isinstance(target, (ast.Attribute, ast.Subscript)) else None
            if base is not None and any(isinstance(o, External) for o in scope.origins(base)):
                found.append(f"{where(node)}: {_code(target)} is replaced (monkeypatching)")
    elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in DISPATCH_METHODS:
        found.append(f"{where(node)}: defines {node.name}")
    return found


def _tampering_path(path: str) -> bool:
    parts = path.split(".")
    if parts[0] in TAMPER_ROOTS:
        return True
    if parts[0] == "torch" and any(p.startswith("_") and p not in SAFE_DUNDERS for p in parts[1:]):
        return True
    if path.endswith(".compile") and parts[0] != "re":
        return True
    return any(path == prefix or path.startswith(prefix + ("" if prefix.endswith("_") else ".")) for prefix in
               TAMPER_PATHS)  # fmt: skip


def _tampering_call(node: ast.Call, scope: Scope) -> list[str]:
    where, code = scope.source.where(node), _code(node)
    name = ""
    for target in scope.origins(node.func):
        if isinstance(target, External) and target.path.startswith("builtins."):
            name = target.path.split(".", 1)[1]
    if isinstance(node.func, ast.Attribute) and node.func.attr == "compile":
        origins = scope.origins(node.func)
        if not any(isinstance(o, External) and o.path.split(".")[0] == "re" for o in origins):
            return [f"{where}: {code} (compiling code bypasses torch's kernels)"]
    if name in ("getattr", "setattr", "delattr", "hasattr") and len(node.args) >= 2:
        subject, key = node.args[0], node.args[1]
        own = isinstance(subject, ast.Name) and subject.id in ("self", "cls")
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
            return [] if own and name == "hasattr" else [f"{where}: {code} (a computed name)"]
        if _names_shuffle(key) or key.value in TAMPER_ATTRS:
            return [f"{where}: {code}"]
        if name in ("setattr", "delattr") and not own:
            return [f"{where}: {code} (monkeypatching)"]
        if key.value.startswith("_") and key.value not in SAFE_DUNDERS and not own:
            return [f"{where}: {code} (a private name)"]
    return []


def _names_shuffle(node: ast.AST) -> bool:
    """A string constant naming a pixel shuffle (any spelling), or naming torch's ops namespace."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value.lower().replace("_", "")
        return "pixelshuffle" in text or "pixelunshuffle" in text or text in ("aten", "ops")
    return False


def _looks_like_rearrange(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    return name in ("rearrange", "Rearrange")


def _einops_calls(reached: Reached) -> tuple[list[EinopsCall], set[int]]:
    """The rearrange calls the entry points reach, read; and the ids of every reached call node."""
    calls: list[EinopsCall] = []
    ids: set[int] = set()
    for unit in reached.from_entries:
        for node, scope in reached.nodes(unit):
            if not isinstance(node, ast.Call) or id(node) in ids:
                continue
            kind = _einops_kind(node, scope)
            if kind is not None:
                ids.add(id(node))
                calls.append(read_call(node, scope, layer=kind == "Rearrange"))
    return calls, ids


def _einops_kind(node: ast.Call, scope: Scope) -> str | None:
    for target in scope.origins(node.func):
        if isinstance(target, External) and target.path.split(".")[0] == "einops":
            last = target.path.rsplit(".", 1)[-1]
            if last in ("rearrange", "Rearrange"):
                return last
    return None


__all__ = ["ShuffleScan", "scan_part", "scan_pixel_shuffle"]
