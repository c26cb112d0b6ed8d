"""`Seen`: one part's probe results, decoded once into their declared observations."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from grader.observations import ProbeFailed, Seen
from grader.observations.cnn import CnnBuild, CnnShapes
from grader.sandbox.protocol import MalformedOutput, ProbeResult, ProbeStatus
from grader.sandbox.runner import PartRun


def seen_with(*results: ProbeResult) -> Seen:
    probes = MappingProxyType({r.name: r for r in results})
    return Seen(PartRun("cnn", probes, "the part finished", False, "", "", 1.0))


def test_a_probe_result_is_decoded_into_its_declared_observation() -> None:
    build = ProbeResult("build", ProbeStatus.OK, MappingProxyType(
        {"is_module": True, "state_dict": {"out.bias": [10]}, "n_params": 10}))  # fmt: skip
    seen = seen_with(build)
    observed = seen.of(CnnBuild)
    assert observed == CnnBuild(True, {"out.bias": (10,)}, 10)
    assert seen.of(CnnBuild) is observed  # decoded once


def test_a_step_that_did_not_finish_is_named_and_a_malformed_one_is_refused_every_time() -> None:
    seen = seen_with(
        ProbeResult("build", ProbeStatus.TIMEOUT, message="the part timed out"),
        ProbeResult("shapes", ProbeStatus.OK, MappingProxyType({"outputs": "three tensors"})),
    )
    with pytest.raises(ProbeFailed, match="timed out"):
        seen.of(CnnBuild)
    assert seen.get(CnnBuild) is None
    for _ in range(2):
        with pytest.raises(MalformedOutput, match="outputs"):
            seen.get(CnnShapes)


def test_a_step_the_grade_left_out_is_not_finished_rather_than_an_error() -> None:
    seen = seen_with()  # `cnn-grader check` does not run every step
    with pytest.raises(ProbeFailed, match="not run"):
        seen.of(CnnBuild)
    assert seen.get(CnnBuild) is None
