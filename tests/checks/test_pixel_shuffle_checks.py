"""Part 3's scores agree with each other and rest on values the parent checks, not on claims.

The observations here are built in the test, as a child could report them, and scored on
the parent's real plan."""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType
from typing import Any

import numpy as np
import pytest

from grader.checks import checks_for, evaluate
from grader.grading import Session
from grader.observations import Seen
from grader.observations.common import Described, Imported
from grader.observations.pixel_shuffle import (
    CaseOutcome,
    ModuleCase,
    Retrained,
    ShuffleForward,
    ShuffleGradients,
    ShuffleModule,
)
from grader.parts.pixel_shuffle import ShufflePlan
from grader.sandbox.protocol import ProbeResult, ProbeStatus
from grader.sandbox.runner import PartRun
from grader.schema import encode
from grader.shuffle_marker import BITS32, BITS64
from tests.conftest import plan_part


@pytest.fixture(scope="module")
def plan(fast_session: Session) -> ShufflePlan:
    return plan_part(fast_session, "pixel_shuffle")


def honest(plan: ShufflePlan) -> dict[str, Any]:
    def cases(arrays: tuple[np.ndarray, ...]) -> tuple[CaseOutcome, ...]:
        return tuple(CaseOutcome(True, Described("tensor"), value=a) for a in arrays)

    return {
        "import": Imported({"pixel_shuffle": True, "PixelShuffle": True}),
        "forward": ShuffleForward(cases(plan.expected_outputs)),
        "gradients": ShuffleGradients(cases(plan.expected_grads)),
        "module": ShuffleModule(tuple(ModuleCase(f, True, 0, a, a) for f, a in plan.expected_module.items())),
        "retrain": Retrained((1.0, 0.5), dict(plan.expected_weights)),
    }


def scores(plan: ShufflePlan, observed: dict[str, Any], session: Session) -> dict[str, tuple[float, str]]:
    results = {}
    for name, observation in observed.items():
        values, arrays = encode(observation)
        results[name] = ProbeResult(name, ProbeStatus.OK, MappingProxyType(values), MappingProxyType(arrays))
    seen = Seen(PartRun("pixel_shuffle", MappingProxyType(results), "in the test", False, "", "", 0.0))
    graded = {}
    for check in checks_for("pixel_shuffle"):
        result = evaluate(check, seen, plan, session.rubric.spec(check.name))
        graded[check.name.split(".")[1]] = (result.score / result.max_score if result.max_score else 1.0, result.output)
    return graded


def with_outputs(observed: dict[str, Any], plan: ShufflePlan, wrong: set[int]) -> dict[str, Any]:
    """The honest observations with the outputs and gradients of the inputs in `wrong` spoiled."""
    def spoil(arrays: tuple[np.ndarray, ...]) -> tuple[CaseOutcome, ...]:
        return tuple(CaseOutcome(True, Described("tensor"), value=a[::-1].copy() * 2 if i in wrong else a)
                     for i, a in enumerate(arrays))  # fmt: skip

    return {**observed, "forward": ShuffleForward(spoil(plan.expected_outputs)),
            "gradients": ShuffleGradients(spoil(plan.expected_grads))}  # fmt: skip


def test_honest_observations_earn_every_point(plan: ShufflePlan, fast_session: Session) -> None:
    graded = scores(plan, honest(plan), fast_session)
    assert {name: score for name, (score, _) in graded.items()} == {name: 1.0 for name in graded}


def test_inputs_that_tell_nothing_earn_nothing(plan: ShufflePlan, fast_session: Session) -> None:
    idle = {i for i, counts in enumerate(plan.counts) if not counts}
    assert idle and all(plan.cases[i].factor == 1 for i in idle)
    only_idle_right = with_outputs(honest(plan), plan, set(range(len(plan.cases))) - idle)
    graded = scores(plan, only_idle_right, fast_session)
    assert graded["matches_torch"][0] == 0.0 and "were run and not counted" in graded["matches_torch"][1]
    assert graded["no_torch_pixel_shuffle"][0] == 0.0 and "nothing to credit" in graded["no_torch_pixel_shuffle"][1]
    only_idle_wrong = with_outputs(honest(plan), plan, idle)
    assert scores(plan, only_idle_wrong, fast_session)["matches_torch"][0] == 1.0


def test_a_retrain_cannot_be_identical_for_a_module_wrong_at_its_factor(plan: ShufflePlan,
                                                                        fast_session: Session) -> None:  # fmt: skip
    at_r = {i for i, case in enumerate(plan.cases) if case.factor == plan.retrain_factor}
    forged = with_outputs(honest(plan), plan, set(range(len(plan.cases))) - {min(at_r)})
    score, text = scores(plan, forged, fast_session)["retrain_identical"]
    assert score == 0.0 and f"differs from torch's pixel shuffle at r={plan.retrain_factor}" in text
    elsewhere = with_outputs(honest(plan), plan, {i for i, c in enumerate(plan.cases) if c.factor != plan.retrain_factor})
    assert scores(plan, elsewhere, fast_session)["retrain_identical"][0] == 1.0
    bad_module = {**honest(plan), "module": ShuffleModule(tuple(
        ModuleCase(f, True, 0, a * 0 if f == plan.retrain_factor else a, a) for f, a in plan.expected_module.items()))}
    assert scores(plan, bad_module, fast_session)["retrain_identical"][0] == 0.0


def test_tampering_earns_no_run_time_credit(plan: ShufflePlan, fast_session: Session) -> None:
    tampered = replace(plan, scan=replace(plan.scan, tampering=("pixel_shuffle.py line 3: gc.get_objects",)))
    graded = scores(tampered, honest(plan), fast_session)
    for name in ("matches_torch", "gradients", "module", "retrain_identical", "no_torch_pixel_shuffle"):
        assert graded[name][0] == 0.0 and "gc.get_objects" in graded[name][1], name
    assert graded["uses_einops"][0] == 1.0


def test_naming_torchs_shuffle_costs_only_its_own_check(plan: ShufflePlan, fast_session: Session) -> None:
    named = replace(plan, scan=replace(plan.scan, torch_references=("pixel_shuffle.py line 9: nn.PixelShuffle",)))
    graded = scores(named, honest(plan), fast_session)
    assert graded["no_torch_pixel_shuffle"][0] == 0.0
    assert all(graded[n][0] == 1.0 for n in ("matches_torch", "gradients", "module", "retrain_identical"))


def test_the_marker_of_torchs_shuffle_is_recognised_in_any_array(plan: ShufflePlan, fast_session: Session) -> None:
    def mark(a: np.ndarray) -> np.ndarray:
        bits = {np.float32: np.uint32(BITS32), np.float64: np.uint64(BITS64)}[a.dtype.type]
        return np.full(a.shape, bits).view(a.dtype)

    observed = honest(plan)
    observed["retrain"] = Retrained((1.0,), {k: mark(v) for k, v in plan.expected_weights.items()})
    graded = scores(plan, observed, fast_session)
    assert graded["retrain_identical"][0] == 0.0 and "grader's marker" in graded["retrain_identical"][1]
    assert graded["no_torch_pixel_shuffle"][0] == 0.0 and "reached at run time" in graded["no_torch_pixel_shuffle"][1]
    observed = honest(plan)
    observed["forward"] = ShuffleForward(tuple(CaseOutcome(True, Described("tensor"), value=mark(a))
                                               for a in plan.expected_outputs))  # fmt: skip
    text = scores(plan, observed, fast_session)["matches_torch"][1]
    assert "on every input, output carries the grader's marker" in text
