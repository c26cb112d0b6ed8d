"""Prepared plans: computed once, stored as data (JSON + npz, no pickle), rebuilt exactly."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader.grading import PLANNERS, Session, plan_key
from grader.parts.context import PlanContext
from grader.plan_cache import CacheFormatError, PlanCache, dumps, loads
from tests.conftest import FAST_RUBRIC, REFERENCE


def assert_same(a: Any, b: Any, where: str = "plan") -> None:
    """Equal in type and value, arrays bit for bit with their dtype."""
    assert type(a) is type(b), f"{where}: {type(a)} != {type(b)}"
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True), where
    elif is_dataclass(a):
        for f in fields(a):
            assert_same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, dict) or type(a).__name__ == "mappingproxy":
        assert list(a) == list(b), where
        for key in a:
            assert_same(a[key], b[key], f"{where}[{key!r}]")
    else:
        assert a == b or (a != a and b != b), f"{where}: {a!r} != {b!r}"


@pytest.mark.parametrize("part", list(PLANNERS))
def test_every_prepared_plan_round_trips_exactly(fast_session: Session, part: str) -> None:
    ctx = PlanContext(fast_session.rubric, "cpu", fast_session.seed, fast_session.data, fast_session.memo)
    prepared = PLANNERS[part].prepare(ctx)
    doc, npz = dumps(prepared)
    assert b"pickle" not in doc
    assert_same(prepared, loads(doc, npz))


def test_a_damaged_or_foreign_entry_is_recomputed_not_trusted(tmp_path: Path) -> None:
    cache = PlanCache(tmp_path)
    assert cache.get("k", lambda: {"x": np.arange(3)})["x"].tolist() == [0, 1, 2]
    (tmp_path / "k.npz").write_bytes(b"garbage")
    assert PlanCache(tmp_path).get("k", lambda: "recomputed") == "recomputed"
    doc, npz = dumps(None)
    planted = {**json.loads(doc), "value": {"__dataclass__": "subprocess:Popen", "fields": {}}}
    with pytest.raises(CacheFormatError, match="not a grader type"):
        loads(json.dumps(planted).encode(), npz)


def test_the_key_follows_the_seed_and_the_rubric(fast_session: Session) -> None:
    from dataclasses import replace

    key = plan_key(fast_session, "cnn", None)
    assert key == plan_key(fast_session, "cnn", None)
    assert key != plan_key(replace(fast_session, options=replace(fast_session.options, seed=7)), "cnn", None)
    assert key != plan_key(fast_session, "srnet", None)
    assert key != plan_key(fast_session, "cnn", frozenset({"import"}))


def test_a_grade_with_cached_plans_never_imports_torch_in_the_parent(tmp_path: Path) -> None:
    """The parent's memory is what keeps a grade inside a small container (Gradescope's)."""
    script = (
        "import sys, json; from pathlib import Path\n"
        "from grader.grading import grade, open_session\n"
        "from grader.options import GradeOptions\n"
        "from grader.rubric import load_rubric\n"
        f"s = open_session(GradeOptions(device='cpu', parts=('pixel_shuffle',)), load_rubric(Path({str(FAST_RUBRIC)!r})))\n"
        f"r = grade(Path({str(REFERENCE)!r}), session=s)\n"
        "print(json.dumps([r.score, 'torch' in sys.modules, s.plans.hits]))\n"
    )
    env = {"CNN_GRADER_CACHE": str(tmp_path), "PATH": "/usr/bin:/bin"}
    first = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=600)
    second = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=600)
    assert json.loads(first.stdout.splitlines()[-1]) == [10.0, True, 0], first.stderr
    assert json.loads(second.stdout.splitlines()[-1]) == [10.0, False, 1], second.stderr
