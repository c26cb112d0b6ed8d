"""The `@check` decorator and the one place where check functions are called.

A check is a pure function `(seen, plan, spec) -> CheckResult`: what the
child observed (typed observations, `grader.observations.Seen`), what the
parent expects, and the rubric's settings go in; a result comes out.
`evaluate` turns a probe that failed, timed out or produced malformed data
into the right result, so the check functions only handle the case where
there is something to compare.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Callable, Mapping

from grader.observations import ProbeFailed, Seen
from grader.results import CheckResult, Diagnosis, Status
from grader.check_spec import CheckSpec
from grader.sandbox.protocol import MalformedOutput, ProbeStatus

CheckFunction = Callable[[Seen, Any, CheckSpec], CheckResult]


@dataclass(frozen=True)
class Check:
    """A registered check: its report name, the probe it reads, its rubric parameters."""

    name: str
    probe: str | None
    params: Mapping[str, type]
    function: CheckFunction

    @property
    def part(self) -> str:
        return self.name.split(".", 1)[0]


def check(name: str, probe: str | None = None, **params: type) -> Callable[[CheckFunction], Check]:
    """Declare a check, e.g. `@check("cnn.accuracy", probe="train", threshold=float)`."""

    def register(function: CheckFunction) -> Check:
        return Check(name, probe, MappingProxyType(dict(params)), function)

    return register


def scored(spec: CheckSpec, fraction: float, output: str, value: float | None = None,
           diagnosis: Diagnosis | None = None) -> CheckResult:  # fmt: skip
    """A result earning `fraction` of the check's points (clipped to [0, 1]);
    `value` is what was measured, kept for calibration and statistics; `diagnosis`,
    the likely mistake, is kept (and said in the text) only when points were lost."""
    fraction = min(max(float(fraction), 0.0), 1.0)
    if fraction >= 1.0:
        status = Status.PASSED
    elif fraction <= 0.0:
        status = Status.FAILED
    else:
        status = Status.PARTIAL
    if status is Status.PASSED:
        diagnosis = None
    if diagnosis is not None:
        output = f"{output}\nlikely mistake: {diagnosis.detail}"
    return CheckResult(spec.name, round(spec.points * fraction, 4), spec.points, status, output, value,
                       diagnosis=diagnosis)  # fmt: skip


def linear_credit(value: float, floor: float, threshold: float) -> float:
    """1 at or above the threshold, 0 at or below the floor, linear between.

    >>> linear_credit(0.7, floor=0.5, threshold=0.9)
    0.5
    """
    if value != value:  # NaN earns nothing
        return 0.0
    return min(max((value - floor) / (threshold - floor), 0.0), 1.0)


def error_result(spec: CheckSpec, status: Status, output: str) -> CheckResult:
    return CheckResult(spec.name, 0.0, spec.points, status, output)


def evaluate(check_: Check, seen: Seen, plan: Any, spec: CheckSpec) -> CheckResult:
    """Run one check; whatever happens, return a result (never raise)."""
    if check_.probe is not None:
        probe = seen.run.probe(check_.probe)
        if probe.status is ProbeStatus.TIMEOUT:
            return error_result(spec, Status.TIMEOUT, probe.message)
        if probe.status is not ProbeStatus.OK:
            return error_result(spec, Status.ERROR, probe.message or "the step failed")
    try:
        return check_.function(seen, plan, spec)
    except ProbeFailed as exc:  # a step the check also reads did not finish
        status = Status.TIMEOUT if exc.result.status is ProbeStatus.TIMEOUT else Status.ERROR
        return error_result(spec, status, str(exc))
    except (MalformedOutput, KeyError, TypeError, ValueError) as exc:
        return error_result(spec, Status.FAILED, f"unusable output from the submission: {exc}")
    except Exception as exc:  # noqa: BLE001 - a grader bug must not cost other checks
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return error_result(
            spec,
            Status.ERROR,
            f"internal grader error ({type(exc).__name__}: {exc} at "
            f"{where.filename.rsplit('/', 1)[-1]}:{where.lineno}); please report it",
        )
