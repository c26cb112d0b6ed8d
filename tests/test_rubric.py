"""Rubric loading and validation: every mistake is a clear RubricError."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from grader.checks import ALL_CHECKS
from grader.rubric import RubricError, default_rubric_text, load_rubric, rubric_from_dict, tomllib
from tests.conftest import FAST_RUBRIC


def default_doc() -> dict[str, Any]:
    return tomllib.loads(default_rubric_text())


def test_default_rubric_names_every_check_with_points() -> None:
    rubric = load_rubric()
    assert list(rubric.checks) == [c.name for c in ALL_CHECKS]
    assert sum(spec.points for spec in rubric.checks.values()) == 30.0
    assert rubric.limits.timeout_s["srnet"] > 0 and rubric.threads == 1


def test_fast_test_rubric_only_shortens_budgets() -> None:
    fast, default = load_rubric(FAST_RUBRIC), load_rubric()
    assert list(fast.checks) == list(default.checks)
    assert all(fast.spec(n).points == default.spec(n).points for n in default.checks)
    assert fast.spec("srnet.psnr").param("steps") < default.spec("srnet.psnr").param("steps")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["checks"]["cnn.accuracy"].update(threshhold=0.9), "unknown key"),
        (lambda d: d["checks"]["cnn.accuracy"].update(points=-1.0), "must not be negative"),
        (lambda d: d["checks"].pop("srnet.psnr"), "missing check"),
        (lambda d: d["checks"].update({"cnn.extra": {"points": 1.0}}), "unknown check"),
        (lambda d: d["checks"]["cnn.accuracy"].update(steps="many"), "steps must be int"),
        (lambda d: d["checks"]["cnn.accuracy"].update(floor=0.95), "floor must be below threshold"),
        (lambda d: d["checks"]["pixel_shuffle.matches_torch"].update(dtypes=["float16"]), "invalid entry"),
        (lambda d: d["checks"]["srnet.output_shape"].update(sizes=[[2, 17]]), "invalid entry"),
        (lambda d: d["checks"]["cnn.output_shape"].update(batch_sizes=[]), "must not be empty"),
        (lambda d: d["checks"]["cnn.accuracy"].update(visibility="secret"), "visibility"),
        (lambda d: d["limits"].update(memory_mb=0), "must be positive"),
        (lambda d: d["limits"]["timeout_s"].pop("cnn"), "missing cnn"),
        (lambda d: d["grading"].update(threads=0), "at least 1"),
        (lambda d: d.pop("limits"), "needs a [limits] table"),
        (lambda d: d.update(extra={}), "unknown key"),
    ],
)
def test_invalid_rubrics_are_refused(edit: Any, message: str) -> None:
    doc = copy.deepcopy(default_doc())
    edit(doc)
    with pytest.raises(RubricError, match=message.replace("[", r"\[")):
        rubric_from_dict(doc)


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(RubricError, match="cannot read rubric"):
        load_rubric(tmp_path / "absent.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[grading\nseed = 1", encoding="utf-8")
    with pytest.raises(RubricError, match="not valid TOML"):
        load_rubric(bad)
