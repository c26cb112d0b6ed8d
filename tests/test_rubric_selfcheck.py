"""The rubric's `[selfcheck]` table and visibility settings, validated like the rest."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from grader.rubric import RubricError, default_rubric_text, load_rubric, rubric_from_dict, tomllib
from grader.selfcheck import public_rubric
from tests.conftest import FAST_RUBRIC


def default_doc() -> dict[str, Any]:
    return tomllib.loads(default_rubric_text())


def test_the_shipped_rubric_hides_the_slow_and_reference_checks() -> None:
    rubric = load_rubric()
    hidden = {n: s.visibility for n, s in rubric.checks.items() if s.visibility != "visible"}
    assert hidden == {
        "cnn.matches_reference": "hidden", "cnn.accuracy": "after_due_date",
        "srnet.matches_reference": "hidden", "srnet.psnr": "after_due_date",
        "pixel_shuffle.retrain_identical": "after_due_date",
    }  # fmt: skip
    assert rubric.selfcheck.seed != rubric.seed


def test_public_rubric_applies_seed_timeouts_and_overrides_only() -> None:
    rubric = load_rubric()
    public = public_rubric(rubric)
    assert public.seed == rubric.selfcheck.seed
    assert set(public.limits.timeout_s.values()) == {rubric.selfcheck.timeout_s}
    assert public.spec("cnn.accuracy").param("steps") == 20 < rubric.spec("cnn.accuracy").param("steps")
    assert public.spec("cnn.accuracy").param("threshold") == rubric.spec("cnn.accuracy").param("threshold")
    assert public.spec("srnet.psnr").param("max_side") == 48
    assert [s.points for s in public.checks.values()] == [s.points for s in rubric.checks.values()]


def test_a_rubric_without_selfcheck_gets_the_shipped_one() -> None:
    fast = load_rubric(FAST_RUBRIC)
    assert "selfcheck" not in FAST_RUBRIC.read_text(encoding="utf-8")
    assert fast.selfcheck == load_rubric().selfcheck


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["selfcheck"].update(sed=1), r"unknown key\(s\) in \[selfcheck\]: sed"),
        (lambda d: d["selfcheck"].update(timeout_s=0), r"\[selfcheck\] timeout_s must be positive"),
        (lambda d: d["selfcheck"].pop("seed"), r"\[selfcheck\] is missing seed"),
        (lambda d: d["selfcheck"]["overrides"].update({"cnn.acuracy": {"steps": 5}}), "unknown check"),
        (lambda d: d["selfcheck"]["overrides"]["cnn.accuracy"].update(points=0.0), r"unknown key\(s\)"),
        (lambda d: d["selfcheck"]["overrides"]["cnn.accuracy"].update(steps="few"),
         r'\[selfcheck.overrides."cnn.accuracy"\]: .*steps must be int'),
        (lambda d: d["selfcheck"]["overrides"]["cnn.accuracy"].update(floor=0.99),
         "floor must be below threshold"),
        (lambda d: d["checks"]["cnn.loss_decreases"].update(visibility="public"), "visibility must be one of"),
        (lambda d: d["checks"]["srnet.loss_decreases"].pop("min_drop"), "is missing min_drop"),
    ],
)
def test_bad_selfcheck_and_visibility_settings_are_refused(edit: Any, message: str) -> None:
    doc = copy.deepcopy(default_doc())
    edit(doc)
    with pytest.raises(RubricError, match=message):
        rubric_from_dict(doc)
