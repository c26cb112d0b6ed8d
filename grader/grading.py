"""Grade one submission: stage it, plan each part, run the children, score.

Each part is independent: its own child process, its own copy of the
submission, its own clock. Whatever a part's code does, the other parts and
the report are unaffected, and every check gets a result.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import grader
from grader.checks import checks_for, evaluate
from grader.checks.registry import error_result
from grader.data.cache import DataCache
from grader.data.errors import DataError
from grader.options import GradeOptions, resolve_device, resolve_workers
from grader.parts import cnn as cnn_part
from grader.parts import pixel_shuffle as shuffle_part
from grader.parts import srnet as srnet_part
from grader.parts.context import PartSource, PlanContext
from grader.results import PARTS, CheckResult, Report, Status
from grader.rubric import Rubric, load_rubric
from grader.sandbox.isolation import Isolation, as_dict, detect_isolation
from grader.sandbox.runner import PartJob, PartRun, SandboxSettings, Zygote
from grader.submission import StagedSubmission, SubmissionError, stage

PLANNERS: dict[str, ModuleType] = {"cnn": cnn_part, "srnet": srnet_part, "pixel_shuffle": shuffle_part}


@dataclass
class Session:
    """What stays the same across the submissions of one command: settings, data, sandbox.

    Open one with `open_session` and grade many submissions with it.
    """

    rubric: Rubric
    options: GradeOptions
    device: str
    workers: int
    data: DataCache
    isolation: Isolation
    memo: dict[Any, Any] = field(default_factory=dict)

    @property
    def seed(self) -> int:
        return self.rubric.seed if self.options.seed is None else self.options.seed


def open_session(options: GradeOptions, rubric: Rubric | None = None) -> Session:
    rubric = rubric or load_rubric()
    device = resolve_device(options.device)
    return Session(
        rubric=rubric,
        options=options,
        device=device,
        workers=resolve_workers(rubric.workers if options.workers is None else options.workers),
        data=DataCache(options.mnist_root, options.sr_root),
        isolation=detect_isolation(device=device),
    )


def grade(submission: Path | str, options: GradeOptions | None = None, session: Session | None = None) -> Report:
    """Grade one submission and return its report (nothing is written).

    >>> grade("reference").score   # doctest: +SKIP
    30.0
    """
    session = session or open_session(options or GradeOptions())
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="cnn-grader-"))
    try:
        try:
            staged = stage(Path(submission), work / "submission")
        except SubmissionError as exc:
            return _report(session, Path(submission).name, _all_errors(session, str(exc)), [str(exc)], {}, started)
        parts = [p for p in PARTS if p in session.options.parts]
        settings = SandboxSettings(session.isolation, session.workers, session.rubric.limits)
        # Started first: it imports torch while the parent plans the parts.
        with Zygote.start(settings, work / "parts", parts, session.device, session.rubric.threads) as zygote:
            outcomes = _grade_parts(session, staged, parts, zygote)
        tests = [result for part in parts for result in outcomes[part].results]
        notes = [*staged.notes, *(f"{part}: {note}" for part in parts for note in outcomes[part].notes)]
        return _report(session, staged.name, tests, notes, logs_of(outcomes), started)
    finally:
        if not session.options.keep_workdir:
            shutil.rmtree(work, ignore_errors=True)


@dataclass(frozen=True)
class _PartOutcome:
    results: list[CheckResult]
    log: dict[str, Any]
    notes: tuple[str, ...] = ()  # limits the part ran into


def logs_of(outcomes: dict[str, _PartOutcome]) -> dict[str, Any]:
    return {part: outcome.log for part, outcome in outcomes.items() if outcome.log}


def _grade_parts(
    session: Session, staged: StagedSubmission, parts: list[str], zygote: Zygote
) -> dict[str, _PartOutcome]:
    """Plan each part in the parent, run them all in one sandbox, score; never raises."""
    outcomes: dict[str, _PartOutcome] = {}
    plans: dict[str, Any] = {}
    for part in parts:
        source = staged.sources.get(part)
        if source is None:
            why = staged.problems.get(part, "this part is missing from the submission")
            outcomes[part] = _PartOutcome(_errors(session, part, why), {})
            continue
        try:
            plans[part] = PLANNERS[part].plan(_plan_context(session), source)
        except DataError as exc:
            outcomes[part] = _PartOutcome(_errors(session, part, f"grader data problem: {exc}"), {})
        except Exception as exc:  # noqa: BLE001 - a planning bug costs this part, not the report
            message = f"internal grader error while preparing this part ({type(exc).__name__}: {exc})"
            outcomes[part] = _PartOutcome(_errors(session, part, message), {})
    if plans:
        jobs = [PartJob(plan.job, plan.inputs, session.rubric.limits.timeout_s[part]) for part, plan in plans.items()]
        runs = zygote.run(jobs, staged.folder)
        for part, plan in plans.items():
            specs = {spec.name: spec for spec in session.rubric.for_part(part)}
            results = [evaluate(c, runs[part], plan, specs[c.name]) for c in checks_for(part)]
            outcomes[part] = _PartOutcome(results, _log(runs[part]), runs[part].notes)
    return outcomes


def _errors(session: Session, part: str, message: str) -> list[CheckResult]:
    return [error_result(spec, Status.ERROR, message) for spec in session.rubric.for_part(part)]


def _plan_context(session: Session) -> PlanContext:
    return PlanContext(session.rubric, session.device, session.seed, session.data, session.memo)


def _log(run: PartRun) -> dict[str, Any]:
    return {
        "ending": run.ending,
        "duration_s": round(run.duration_s, 2),
        "stdout": run.stdout,
        "stderr": run.stderr,
    }


def _all_errors(session: Session, message: str) -> list[CheckResult]:
    return [
        error_result(spec, Status.ERROR, message)
        for part in PARTS
        if part in session.options.parts
        for spec in session.rubric.for_part(part)
    ]


def _report(
    session: Session,
    name: str,
    tests: list[CheckResult],
    notes: list[str],
    logs: dict[str, Any],
    started: float,
) -> Report:
    if not session.isolation.network_off:
        notes = [*notes, "network isolation is not available on this machine: student code could reach the network"]
    if not session.isolation.filesystem_hidden:
        notes = [*notes, "the filesystem is not hidden from student code (no bubblewrap): it could read "
                 "the grader's files and hidden data (see SECURITY.md)"]
    return Report(
        submission=name,
        grader_version=grader.__version__,
        device=session.device,
        tests=tuple(tests),
        notes=tuple(notes),
        duration_s=time.monotonic() - started,
        sandbox={**as_dict(session.isolation), "seed_source": "option" if session.options.seed is not None
                 else "rubric", "rubric": session.rubric.source, "parts": logs},  # fmt: skip
    )
