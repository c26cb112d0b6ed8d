"""Realistic wrong submissions (tests/mutants) get their mistake named, in the text and as a diagnosis.

The probes run in this process on the grade's own plan (as tests/mutants/test_axis_orders.py
does), so that many mutants take seconds; the sandbox path is the same code.
"""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

import pytest

from grader.checks import checks_for
from grader.checks.registry import evaluate
from grader.grading import PLANNERS, Session
from grader.observations import Seen
from grader.probes import probes_for
from grader.probes.common import ProbeContext
from grader.results import CheckResult
from grader.sandbox.feed import group_inputs
from grader.sandbox.protocol import ProbeResult, ProbeStatus
from grader.sandbox.runner import PartRun
from grader.schema import encode
from tests.conftest import MUTANTS, build_submission, plan_part

PROBES = ("import", "build", "shapes", "public", "reference")


def graded(mutant: str | None, part: str, session: Session, tmp_path: Path) -> dict[str, CheckResult]:
    """The checks of `part` that read no training, for the reference with the mutant's files (None: none)."""
    files = {p.name: p.read_text(encoding="utf-8") for p in (MUTANTS / mutant).glob("*.py")} if mutant else {}
    folder = build_submission(tmp_path / "s", files)
    module = PLANNERS[part].MODULE
    plan = plan_part(session, part, path=folder / module)
    inputs = group_inputs(plan.inputs, PLANNERS[part].input_readers, plan.job.probes)
    ctx = ProbeContext(job=plan.job, inputs={}, scratch=folder)
    probes, results = probes_for(part), {}
    for name in plan.job.probes:
        if name not in PROBES:
            results[name] = ProbeResult(name, ProbeStatus.NOT_RUN, message="not run in this test")
            continue
        ctx.inputs = inputs[name]
        try:
            values, arrays = encode(probes[name](ctx))
            results[name] = ProbeResult(name, ProbeStatus.OK, MappingProxyType(values), MappingProxyType(arrays))
        except Exception as exc:  # noqa: BLE001
            results[name] = ProbeResult(name, ProbeStatus.ERROR, message=str(exc))
    run = PartRun(part, MappingProxyType(results), "in process", False, "", "", 0.0)
    seen = Seen(run)
    specs = {s.name: s for s in session.rubric.for_part(part)}
    return {c.name: evaluate(c, seen, plan, specs[c.name]) for c in checks_for(part) if c.probe in (*PROBES, None)}


NAMED = [
    ("cnn-flatten-order", "cnn", "cnn.matches_reference", "cnn.flatten_order"),
    ("cnn-view-args-swapped", "cnn", "cnn.matches_reference", None),
    ("cnn-softmax-output", "cnn", "cnn.matches_public", "cnn.softmax_on_logits"),
    ("cnn-missing-relu", "cnn", "cnn.matches_reference", "cnn.missing_relu"),
    ("cnn-avgpool", "cnn", "cnn.matches_reference", "cnn.pooling"),
    ("cnn-sigmoid-activation", "cnn", "cnn.matches_reference", "cnn.activation"),
    ("cnn-relu-on-logits", "cnn", "cnn.matches_reference", "cnn.relu_on_logits"),
    ("cnn-no-grad-backbone", "cnn", "cnn.matches_reference", "cnn.detached_graph"),
    ("cnn-dropout-active", "cnn", "cnn.matches_reference", None),  # dropout on even in eval: random outputs
    ("srnet-missing-relu", "srnet", "srnet.matches_reference", "srnet.missing_relu"),
    ("srnet-relu-after-last-conv", "srnet", "srnet.matches_reference", "srnet.relu_after_last_conv"),
    ("srnet-sigmoid-output", "srnet", "srnet.matches_public", "srnet.output_activation"),
    ("srnet-hardcoded-factor", "srnet", "srnet.output_shape", "srnet.upscale_factor"),
    ("srnet-factor-times-two", "srnet", "srnet.architecture", "srnet.upscale_factor"),
    ("srnet-hardcoded-factor", "srnet", "srnet.architecture", "srnet.upscale_factor"),
    ("srnet-detached-output", "srnet", "srnet.matches_reference", "srnet.detached_graph"),
]


@pytest.mark.parametrize(("mutant", "part", "check", "kind"), NAMED, ids=[f"{m}-{c}" for m, _, c, _ in NAMED])
def test_the_mistake_is_named(mutant: str, part: str, check: str, kind: str | None, fast_session: Session,
                              tmp_path: Path) -> None:  # fmt: skip
    result = graded(mutant, part, fast_session, tmp_path)[check]
    assert result.score < result.max_score, result.output
    if kind is None:  # no candidate computes this mistake: better no name than a wrong one
        assert result.diagnosis is None, result.diagnosis
        return
    assert result.diagnosis is not None and result.diagnosis.kind == kind, (result.diagnosis, result.output)
    assert f"likely mistake: {result.diagnosis.detail}" in result.output


def test_the_reference_gets_no_diagnosis(fast_session: Session, tmp_path: Path) -> None:
    for part in ("cnn", "srnet"):
        for result in graded(None, part, fast_session, tmp_path / part).values():
            assert result.diagnosis is None and "likely mistake" not in result.output, result
