"""`cnn-grader check`: the students' self-check, in seconds.

It grades the visible checks only (imports, shapes, PixelShuffle exactness,
a few training steps that must lower the loss), on inputs drawn from the
rubric's public `[selfcheck]` seed, with the training runs cut short by
`[selfcheck.overrides]`, on the CPU. Every other check is named in the
report as hidden and is not run, so nothing about it shows: no inputs, no
outputs, no score.

Most of its time is two imports of torch, one in the parent and one in the
sandbox. The sandbox starts before the parent imports torch or numpy (this module
imports nothing that does until then), so the two overlap.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from grader.options import GradeOptions, resolve_workers
from grader.results import PARTS, Report
from grader.rubric import LIMIT_DEFAULTS, Limits, Rubric, read_rubric_doc
from grader.sandbox.isolation import detect_isolation
from grader.sandbox.runner import SandboxSettings
from grader.workspace import open_workspace

DEVICE = "cpu"  # a few steps need no GPU, and the CPU gives the same numbers everywhere


def self_check(submission: Path, rubric_path: Path | None = None, progress: Any = None) -> Report:
    """Run the public checks on `submission`; raises RubricError for a bad rubric.

    >>> self_check(Path("reference")).score   # doctest: +SKIP
    15.0
    """
    doc, source = read_rubric_doc(rubric_path)
    grading, limits = _table(doc, "grading"), _table(doc, "limits")
    # Read before validation (which imports torch): a bad value fails validation just below.
    threads = _whole_number(grading.get("threads"), 1)
    raw_limits = Limits(
        timeout_s={},  # `check` has its own per-part limit, applied when the parts run
        **{key: _whole_number(limits.get(key), default) for key, default in LIMIT_DEFAULTS.items()},
    )
    sandbox = SandboxSettings(detect_isolation(), resolve_workers(_whole_number(grading.get("workers"), 0)), raw_limits)
    with open_workspace(submission, sandbox, PARTS, DEVICE, threads) as workspace:
        # Imported now, while the sandbox imports torch in its own process.
        from grader.grading import grade_workspace, open_session
        from grader.rubric import rubric_from_dict

        rubric = public_rubric(rubric_from_dict(doc, source))
        session = open_session(GradeOptions(device=DEVICE, public_only=True), rubric, sandbox.isolation)
        if progress is not None:
            session = replace(session, progress=progress)
        report = grade_workspace(session, workspace)
    intro = (
        f"self-check: {len(report.tests)} public checks on public inputs, with training cut to a few steps; "
        f"the {len(report.hidden_checks)} hidden checks run only when the submission is graded"
    )
    return replace(report, notes=(intro, *report.notes))


def public_rubric(rubric: Rubric) -> Rubric:
    """The rubric `check` runs: the `[selfcheck]` seed and time limit, its overrides applied.

    >>> from grader.rubric import load_rubric
    >>> public_rubric(load_rubric()).spec("cnn.accuracy").param("steps")
    20
    """
    profile = rubric.selfcheck
    checks = {
        name: replace(spec, params=MappingProxyType({**spec.params, **profile.overrides.get(name, {})}))
        for name, spec in rubric.checks.items()
    }
    limits = replace(rubric.limits, timeout_s=MappingProxyType({p: profile.timeout_s for p in rubric.limits.timeout_s}))
    return replace(rubric, seed=profile.seed, limits=limits, checks=MappingProxyType(checks),
                   source=f"{rubric.source} [selfcheck]")  # fmt: skip


def _table(doc: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = doc.get(key)
    return value if isinstance(value, Mapping) else {}


def _whole_number(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else default
