"""The import graph follows the architecture, and what does not grade never waits for torch.

- the rubric (settings) and the checks (scoring) do not import each other;
- the zygote and its children (the sandbox's side) import none of the parent's modules;
- `--help`, loading and validating a rubric, `init-ci` and `release` import no torch and
  each take under a second in a fresh process (issue 12).

The graph is read statically from the source (every import, at module level or inside a
function, except under `if TYPE_CHECKING:`), so a lazy import inside a function counts too.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest

from tests.conftest import REFERENCE, REPO

PACKAGE = REPO / "grader"
# What runs in the zygote and the children it forks: the zygote's entry, the child, the probes.
SANDBOX_ENTRIES = ("grader.sandbox.zygote", "grader.sandbox.child", "grader.probes")
# The parent's modules: grading, scoring, settings, reports, staging and the sandbox's parent side.
PARENT_ONLY = (
    "grader.grading", "grader.cli", "grader.batch", "grader.rubric", "grader.checks", "grader.parts",
    "grader.report", "grader.selfcheck", "grader.workspace", "grader.submission", "grader.notebook",
    "grader.sandbox.runner", "grader.sandbox.isolation", "grader.sandbox.cgroup", "grader.diagnosis",
    "grader.visuals.collect", "grader.figures", "grader.plan_cache", "grader.calibration", "grader.progress",
)  # fmt: skip


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@lru_cache(maxsize=1)
def graph() -> dict[str, frozenset[str]]:
    """grader module -> the grader modules it imports anywhere (not for type checking only)."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    edges = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges[name] = frozenset(_imports(ast.parse(path.read_text(encoding="utf-8")), package, modules))
    return edges


def _imports(tree: ast.AST, package: str, modules: dict[str, Path]) -> set[str]:
    found: set[str] = set()
    for node in _runtime_nodes(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        for target in targets:
            # Importing a.b.c runs a, a.b and a.b.c.
            pieces = target.split(".")
            found.update(".".join(pieces[:i]) for i in range(1, len(pieces) + 1) if ".".join(pieces[:i]) in modules)
    return found


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node except those under `if TYPE_CHECKING:`."""
    nodes, stack = [], [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        nodes.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return nodes


def reachable(start: str) -> set[str]:
    """The modules `start` (and its submodules) may load. The root package's own edges are
    not followed: its `__getattr__` imports `grade` and friends only when asked for them."""
    edges, seen, todo = graph(), set(), [m for m in graph() if m == start or m.startswith(start + ".")]
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(edges.get(module, ()) if module != "grader" else ())
    return seen


def within(modules: set[str], prefixes: tuple[str, ...]) -> set[str]:
    return {m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes)}


def test_the_graph_is_read() -> None:
    # A reader that finds nothing would pass every test below.
    assert "grader.check_spec" in graph()["grader.checks.registry"]
    assert "grader.sandbox.protocol" in graph()["grader.sandbox.child"]  # imported inside a function
    assert "grader.sandbox.runner" not in graph()["grader.observations"]  # a TYPE_CHECKING import


def test_rubric_and_checks_do_not_import_each_other() -> None:
    assert not within(reachable("grader.rubric"), ("grader.checks",))
    assert not within(reachable("grader.checks"), ("grader.rubric",))


def test_the_sandbox_side_imports_nothing_of_the_parent() -> None:
    child_side = set().union(*(reachable(entry) for entry in SANDBOX_ENTRIES))
    assert "grader.training" in child_side  # the probes train
    assert not within(child_side, PARENT_ONLY)


def test_loading_a_rubric_loads_no_check_and_no_third_party_library() -> None:
    code = ("import sys; from grader.rubric import load_rubric; load_rubric(); "
            "print(sorted(m for m in sys.modules if m.startswith(('grader', 'numpy', 'torch'))))")  # fmt: skip
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                       cwd=REPO).stdout.replace("'", '"'))  # fmt: skip
    assert "grader.rubric" in loaded and not [m for m in loaded if m.startswith(("grader.checks", "numpy", "torch"))]


# Each runs in a fresh interpreter, timed from before the first import to the command's end.
RUNNER = """
import sys, time
started = time.perf_counter()
from grader.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
print({"seconds": time.perf_counter() - started, "torch": "torch" in sys.modules})
"""


@pytest.mark.parametrize(
    "command",
    [
        ["--help"],
        ["grade", "--help"],
        ["batch", "--help"],
        ["check", "--help"],
        ["init-ci", "{tmp}/repo", "--requirement", "cnn-grader==0.1.0"],
        ["release", "--reference", str(REFERENCE), "--out", "{tmp}/release", "--requirement", "cnn-grader==0.1.0"],
    ],
    ids=lambda c: " ".join(c[:2]).replace("{tmp}/", ""),
)
def test_commands_that_do_not_grade_skip_torch_and_take_under_a_second(command: list[str], tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    argv = [part.replace("{tmp}", str(tmp_path)) for part in command]
    done = subprocess.run([sys.executable, "-c", RUNNER, *argv], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    result = ast.literal_eval(done.stdout.strip().splitlines()[-1])
    assert result["torch"] is False
    assert result["seconds"] < 1.0, result


def test_validating_a_bad_rubric_skips_torch_and_takes_under_a_second(tmp_path: Path) -> None:
    bad = tmp_path / "rubric.toml"
    bad.write_text("[grading]\nseed = 1\nthreads = 1\nworkers = 0\n", encoding="utf-8")
    code = RUNNER.replace("main(sys.argv[1:], standalone_mode=False)", "main(sys.argv[1:])")
    done = subprocess.run([sys.executable, "-c", code, "grade", str(REFERENCE), "--out", str(tmp_path / "out"),
                           "--rubric", str(bad)], capture_output=True, text=True, cwd=REPO)  # fmt: skip
    assert "needs a [limits] table" in done.stderr
    result = ast.literal_eval(done.stdout.strip().splitlines()[-1])
    assert result["torch"] is False and result["seconds"] < 1.0, result


# `check` starts the sandbox (whose zygote imports torch) and stops here at that moment.
AT_SANDBOX_START = """
import os, sys
from grader.sandbox.runner import Zygote

def start(*args, **kwargs):
    print(sorted({m.split(".")[0] for m in sys.modules} & {"numpy", "torch", "einops", "matplotlib", "sklearn"}))
    sys.stdout.flush()
    os._exit(0)

Zygote.start = staticmethod(start)
from grader.cli import main
main(sys.argv[1:])
"""


def test_check_starts_its_sandbox_before_importing_numpy_or_torch(tmp_path: Path) -> None:
    """The zygote's import of torch is most of `check`'s time: what the parent imports before
    starting it delays the whole self-check, so numpy and torch load only afterwards."""
    env = {**os.environ, "CNN_GRADER_CACHE": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-c", AT_SANDBOX_START, "check", str(REFERENCE), "-q"],
                          capture_output=True, text=True, cwd=REPO, env=env, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert ast.literal_eval(done.stdout.strip().splitlines()[-1]) == []
