"""How a check's result follows from its probe: errors, timeouts, malformed data, bugs."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import ClassVar

import numpy as np
import pytest

from grader.checks.registry import check, evaluate, linear_credit, scored
from grader.observations import Seen
from grader.results import Status
from grader.rubric import CheckSpec
from grader.sandbox.protocol import MalformedOutput, ProbeResult, ProbeStatus
from grader.sandbox.runner import PartRun

SPEC = CheckSpec("cnn.demo", 4.0, "visible", MappingProxyType({}))


@dataclass(frozen=True)
class Fraction:
    PROBE: ClassVar[str] = "p"
    fraction: float


def run_with(result: ProbeResult) -> Seen:
    return Seen(PartRun("cnn", MappingProxyType({result.name: result}), "finished", False, "", "", 1.0))


@check("cnn.demo", probe="p")
def half(seen, plan, spec):  # type: ignore[no-untyped-def]
    return scored(spec, seen.of(Fraction).fraction, "half")


def test_scored_maps_fractions_to_statuses() -> None:
    assert scored(SPEC, 1.0, "").status is Status.PASSED
    assert scored(SPEC, 0.0, "").status is Status.FAILED
    partial = scored(SPEC, 0.25, "", value=0.5)
    assert (partial.status, partial.score, partial.value) == (Status.PARTIAL, 1.0, 0.5)
    assert scored(SPEC, 7.0, "").score == 4.0 and scored(SPEC, -1.0, "").score == 0.0


def test_linear_credit() -> None:
    assert linear_credit(0.95, 0.5, 0.9) == 1.0
    assert linear_credit(0.4, 0.5, 0.9) == 0.0
    assert linear_credit(float("nan"), 0.5, 0.9) == 0.0
    assert linear_credit(0.6, 0.5, 0.9) == pytest.approx(0.25)


def test_probe_outcomes_become_results() -> None:
    ok = run_with(ProbeResult("p", ProbeStatus.OK, MappingProxyType({"fraction": 0.5})))
    assert evaluate(half, ok, None, SPEC).status is Status.PARTIAL
    timeout = run_with(ProbeResult("p", ProbeStatus.TIMEOUT, message="timed out after 3 s"))
    result = evaluate(half, timeout, None, SPEC)
    assert (result.status, result.score, result.output) == (Status.TIMEOUT, 0.0, "timed out after 3 s")
    for status in (ProbeStatus.ERROR, ProbeStatus.CRASHED, ProbeStatus.NOT_RUN):
        failed = evaluate(half, run_with(ProbeResult("p", status, message="boom")), None, SPEC)
        assert failed.status is Status.ERROR and failed.output == "boom"


def test_malformed_child_data_fails_the_check_without_raising() -> None:
    missing_key = run_with(ProbeResult("p", ProbeStatus.OK, MappingProxyType({})))
    result = evaluate(half, missing_key, None, SPEC)
    assert result.status is Status.FAILED and "unusable output" in result.output and "'fraction'" in result.output
    wrong_type = run_with(ProbeResult("p", ProbeStatus.OK, MappingProxyType({"fraction": "half"})))
    assert "expected float" in evaluate(half, wrong_type, None, SPEC).output

    @check("cnn.demo", probe="p")
    def malformed(seen, plan, spec):  # type: ignore[no-untyped-def]
        raise MalformedOutput("array 'x' has dtype object")

    assert evaluate(malformed, missing_key, None, SPEC).status is Status.FAILED


def test_a_grader_bug_is_an_error_result_not_a_crash() -> None:
    @check("cnn.demo", probe="p")
    def buggy(seen, plan, spec):  # type: ignore[no-untyped-def]
        return np.zeros(2)[5]  # IndexError

    result = evaluate(buggy, run_with(ProbeResult("p", ProbeStatus.OK)), None, SPEC)
    assert result.status is Status.ERROR and "internal grader error" in result.output
