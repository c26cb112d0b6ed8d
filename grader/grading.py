"""Grade one submission: stage it, plan each part, run the children, score.

Each part is independent: its own child process, its own copy of the
submission, its own clock. Whatever a part's code does, the other parts and
the report are unaffected, and every check gets a result.
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import Any

import grader
from grader.allocator import tune_for_training
from grader.checks import Check, checks_for, evaluate
from grader.checks.registry import error_result
from grader.data.cache import DataCache
from grader.data.errors import DataError
from grader.held import Held
from grader.locations import in_notebook
from grader.observations import Seen
from grader.options import GradeOptions, resolve_device, resolve_workers
from grader.parts import cnn as cnn_part
from grader.parts import pixel_shuffle as shuffle_part
from grader.parts import srnet as srnet_part
from grader.parts.context import PlanContext
from grader.parts.source import PartSource
from grader.plan_cache import PlanCache, cache_key, cache_root, data_stamp
from grader.progress import Progress, Silent
from grader.report.html import drawn
from grader.results import PARTS, CheckResult, Report, Status
from grader.rubric import CheckSpec, Rubric, load_rubric
from grader.sandbox.feed import group_inputs
from grader.sandbox.isolation import Isolation, as_dict, detect_isolation
from grader.sandbox.runner import PartJob, PartRun, SandboxSettings, Zygote
from grader.submission import StagedSubmission, submission_name
from grader.visibility import is_public
from grader.visuals import Visual
from grader.visuals.collect import collect as collect_visuals
from grader.workspace import Workspace, open_workspace

UNREADABLE = "unreadable"  # report.sandbox key: why the submission could not be staged at all
PLANNERS: dict[str, ModuleType] = {"cnn": cnn_part, "srnet": srnet_part, "pixel_shuffle": shuffle_part}
TRAINED_IN_PARENT = frozenset({"cnn", "srnet"})  # parts whose scoring evaluates trained weights (grader.trained)


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
    plans: PlanCache = field(default_factory=lambda: PlanCache(None))  # prepared plans, per part
    progress: Progress = field(default_factory=Silent)  # the live display on stderr (grader.progress)

    @property
    def seed(self) -> int:
        return self.rubric.seed if self.options.seed is None else self.options.seed

    def specs_for(self, part: str) -> tuple[CheckSpec, ...]:
        """The part's checks this session grades: all of them, or the visible ones for `check`."""
        specs = self.rubric.for_part(part)
        return tuple(s for s in specs if is_public(s.visibility)) if self.options.public_only else specs

    def hidden_checks(self) -> tuple[str, ...]:
        """The checks of the graded parts that this session leaves out (`check` only)."""
        graded = {s.name for part in self.options.parts for s in self.specs_for(part)}
        return tuple(n for n, s in self.rubric.checks.items() if s.part in self.options.parts and n not in graded)


def open_session(options: GradeOptions, rubric: Rubric | None = None, isolation: Isolation | None = None) -> Session:
    """The settings every grade of a run shares; `isolation`: what the caller already detected for `options.device`."""
    rubric = rubric or load_rubric()
    tune_for_training()  # the parent evaluates and replays trained weights: the same loop as the children
    device = resolve_device(options.device)
    return Session(
        rubric=rubric,
        options=options,
        device=device,
        workers=resolve_workers(rubric.workers if options.workers is None else options.workers),
        data=DataCache(options.mnist_root, options.sr_root),
        isolation=isolation or detect_isolation(device=device),
        plans=PlanCache(cache_root() / "plans" if options.plan_cache else None),
    )


def prepare_plans(session: Session) -> None:
    """Compute (or load) every graded part's prepared plan now, once, before grades run at once.

    A part whose data cannot be read is left to each grade, which reports it.
    """
    for part in (p for p in PARTS if p in session.options.parts):
        ctx = _plan_context(session, part)
        try:
            session.plans.get(plan_key(session, part, ctx.probes), lambda: PLANNERS[part].prepare(ctx))
        except Exception:  # noqa: BLE001 - each grade meets the same problem and reports it per part
            continue


def grade(submission: Path | str, options: GradeOptions | None = None, session: Session | None = None) -> Report:
    """Grade one submission and return its report (nothing is written).

    >>> grade("reference").score   # doctest: +SKIP
    30.0
    """
    session = session or open_session(options or GradeOptions())
    # Started first: the sandbox imports torch while the parent plans the parts.
    parts = [p for p in PARTS if p in session.options.parts]
    with open_workspace(Path(submission), sandbox_settings(session), parts, session.device, session.rubric.threads,
                        keep=session.options.keep_workdir) as workspace:  # fmt: skip
        return grade_workspace(session, workspace)


def sandbox_settings(session: Session) -> SandboxSettings:
    return SandboxSettings(session.isolation, session.workers, session.rubric.limits)


def grade_workspace(session: Session, workspace: Workspace) -> Report:
    """Grade the submission staged in `workspace`, in its sandbox; never raises for what students do."""
    timings = {"stage": time.monotonic() - workspace.started}
    if workspace.staged is None or workspace.zygote is None:
        tests = _all_errors(session, workspace.problem)
        report = _report(session, workspace.name, tests, [workspace.problem], {}, workspace.started, timings)
        # A batch lists it as not gradable, with this reason.
        return replace(report, sandbox={**report.sandbox, UNREADABLE: workspace.problem})
    parts = [p for p in PARTS if p in session.options.parts]
    outcomes = _grade_parts(session, workspace.staged, parts, workspace.zygote, timings)
    origins = workspace.staged.origins
    tests = [replace(r, output=in_notebook(r.output, origins)) for part in parts for r in outcomes[part].results]
    notes = [*workspace.staged.notes, *(f"{part}: {in_notebook(note, origins)}" for part in parts
                                        for note in outcomes[part].notes)]  # fmt: skip
    report = _report(session, workspace.name, tests, notes, logs_of(outcomes), workspace.started, timings)
    return replace(report, written_answers=tuple(a for a in workspace.staged.answers if a.part in parts),
                   visuals=tuple(v for part in parts for v in outcomes[part].visuals))


@dataclass(frozen=True)
class _PartOutcome:
    results: list[CheckResult]
    log: dict[str, Any]
    notes: tuple[str, ...] = ()  # limits the part ran into
    visuals: tuple[Visual, ...] = ()  # the part's pictures for report.html


def logs_of(outcomes: dict[str, _PartOutcome]) -> dict[str, Any]:
    return {part: outcome.log for part, outcome in outcomes.items() if outcome.log}


def _grade_parts(
    session: Session, staged: StagedSubmission, parts: list[str], zygote: Zygote, timings: dict[str, float]
) -> dict[str, _PartOutcome]:
    """Plan each part in the parent, run them all in one sandbox, score; never raises.

    `timings` receives the seconds spent per phase (plan.PART, sandbox, score).
    """
    outcomes: dict[str, _PartOutcome] = {}
    plans: dict[str, Any] = {}
    show = session.progress
    for part in parts:
        show.phase(staged.name, part, "preparing inputs and answers")
        source = staged.sources.get(part)
        if source is None:
            why = staged.problems.get(part, "this part is missing from the submission")
            outcomes[part] = _PartOutcome(_errors(session, part, why), {})
            continue
        clock = time.monotonic()
        try:
            plans[part] = plan_part(session, part, source)
            timings[f"plan.{part}"] = time.monotonic() - clock
        except DataError as exc:
            outcomes[part] = _PartOutcome(_errors(session, part, f"grader data problem: {exc}"), {})
        except Exception as exc:  # noqa: BLE001 - a planning bug costs this part, not the report
            message = f"internal grader error while preparing this part ({type(exc).__name__}: {exc})"
            outcomes[part] = _PartOutcome(_errors(session, part, message), {})
    if plans:
        if session.options.public_only:  # `check`: skip what only hidden checks read
            plans = {part: _only_needed(part, plan, _graded(session, part)) for part, plan in plans.items()}
        jobs = [
            PartJob(plan.job, group_inputs(plan.inputs, PLANNERS[part].input_readers, plan.job.probes),
                    session.rubric.limits.timeout_s[part])
            for part, plan in plans.items()
        ]  # fmt: skip
        clock = time.monotonic()
        for part in plans:
            show.phase(staged.name, part, "starting the sandbox")
        # A part is scored as soon as its child ends, while the others still run, in as many threads
        # as parts run at once: parts that end together (as in `check`) are scored side by side.
        # Parts one after another (`workers` 1) is the memory-tight setting (Gradescope's 768 MB):
        # there one thread scores after the sandbox ends, never beside a training child.
        overlap = session.workers != 1
        threads = min(session.workers, len(plans)) if overlap else 1
        with ThreadPoolExecutor(threads, thread_name_prefix="cnn-grader-score") as scorer:
            ready: Future[None] | None = None
            if overlap and TRAINED_IN_PARENT & set(plans):
                # The parent evaluates and replays trained weights with torch: its import (a second or
                # two) runs now, beside the sandbox's own, instead of after the first part ends.
                ready = scorer.submit(_import_training)
            early: dict[str, tuple[PartRun, Future[_Scored]]] = {}

            def score(run: PartRun) -> Future[_Scored]:
                return scorer.submit(_score_when_ready, ready, session, staged.name, run, plans[run.part])

            def score_early(run: PartRun) -> None:
                if run.part in plans:
                    early[run.part] = (run, score(run))

            runs = zygote.run(jobs, staged.folder, lambda note: show.step(staged.name, note),
                              on_exit=score_early if overlap else None)  # fmt: skip
            timings["sandbox"] = time.monotonic() - clock
            clock = time.monotonic()
            scoring = {}
            for part in plans:
                ahead = early.get(part)
                scoring[part] = ahead[1] if ahead and ahead[0] is runs[part] else score(runs[part])
            for part in plans:
                scored = scoring[part].result()
                outcomes[part] = scored.outcome
                timings[f"part.{part}"] = runs[part].duration_s
                for key, seconds in scored.timings.items():
                    timings[key] = timings.get(key, 0.0) + seconds
        timings["score"] = time.monotonic() - clock  # what scoring adds after the last part ended
    for part in parts:
        show.phase(staged.name, part, "done")
    return outcomes


def _import_training() -> None:
    import grader.training  # noqa: F401  # and torch with it


def _score_when_ready(ready: Future[None] | None, session: Session, name: str, run: PartRun, plan: Any) -> _Scored:
    if ready is not None:  # torch half imported by another scorer thread would be found in sys.modules
        ready.result()
    return _score_part(session, name, run, plan)


@dataclass(frozen=True)
class _Scored:
    outcome: _PartOutcome
    timings: dict[str, float]  # seconds of scoring and of the report's pictures


def _score_part(session: Session, name: str, run: PartRun, plan: Any) -> _Scored:
    """Evaluate the part's checks on what its child left, then the report's pictures.

    On one core, while the other parts may still train on the others: torch keeps to one thread
    (the replay to the rubric's count, `grader.training.replay_settings`), the t-SNE too."""
    if "torch" not in sys.modules:  # imported beforehand where scoring needs it (`_import_training`)
        return _score(session, name, run, plan)
    from grader.fast_pool import installed as fast_pool

    with _ONE_THREAD(), fast_pool():  # as in the children: the replays and evaluations of the CNN pool faster
        return _score(session, name, run, plan)


def _one_thread() -> int:
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    return before


def _threads_back(before: int) -> None:
    import torch

    torch.set_num_threads(before)


# torch's thread count is process-wide, and threads score at once (a grade's parts, a batch's or a
# calibration's grades): the first sets one thread, the last restores the count (`grader.held`).
_ONE_THREAD = Held(_one_thread, _threads_back)


def _score(session: Session, name: str, run: PartRun, plan: Any) -> _Scored:
    started = time.monotonic()
    part = run.part
    specs = {spec.name: spec for spec in session.rubric.for_part(part)}
    seen = Seen(run)
    results = [evaluate(c, seen, plan, specs[c.name]) for c in _graded(session, part)]
    outcome = _PartOutcome(results, _log(run, seen), run.notes)
    pictures = time.monotonic()
    if not session.options.pictures:  # a calibration keeps the measured values only
        return _Scored(outcome, {f"score.{part}": pictures - started})
    session.progress.phase(name, part, "scoring done; computing the report's pictures")
    visuals = collect_visuals(part, seen, plan, results, session.seed)
    if not session.options.public_only:
        # `grade` and `batch` always write report.html: drawn now, in the scoring thread, while the
        # other parts may still train, so that writing it after the last part only copies them.
        # (`check` writes it only with --out, and then draws them itself.)
        visuals = tuple(drawn(v) for v in visuals)
    outcome = replace(outcome, visuals=visuals)
    # score.PART: with the trained model's evaluation
    return _Scored(outcome, {f"score.{part}": pictures - started, "visuals": time.monotonic() - pictures})


def plan_part(session: Session, part: str, source: PartSource) -> Any:
    """The part's plan for one submission: the prepared plan (computed once per course and
    cached, whatever fields it has), specialised to the submission by the part's cheap step."""
    ctx = _plan_context(session, part)
    key = plan_key(session, part, ctx.probes)
    prepared = session.plans.get(key, lambda: PLANNERS[part].prepare(ctx))
    return PLANNERS[part].specialise(prepared, source)


def plan_key(session: Session, part: str, probes: frozenset[str] | None) -> str:
    """What a prepared plan depends on: the grader, the rubric, the seed, the device and the data."""
    return cache_key({
        "part": part,
        "rubric": repr(replace(session.rubric, source="")),
        "seed": session.seed,
        "device": session.device,
        "probes": sorted(probes) if probes is not None else None,
        "data": data_stamp(session.options.mnist_root, session.options.sr_root),
    })  # fmt: skip


def _graded(session: Session, part: str) -> tuple[Check, ...]:
    names = {spec.name for spec in session.specs_for(part)}
    return tuple(c for c in checks_for(part) if c.name in names)


def _needed_probes(probes: tuple[str, ...], checks: tuple[Check, ...]) -> tuple[str, ...]:
    """`probes` cut after the last one a graded check reads.

    A prefix, not a subset: later probes may rely on earlier ones (the import
    first), and a check may also look at probes before its own.
    """
    needed = [probes.index(c.probe) for c in checks if c.probe in probes]
    return probes[: max(needed, default=0) + 1]


def _only_needed(part: str, plan: Any, checks: tuple[Check, ...]) -> Any:
    """`plan` without the probes no graded check reads, and without evaluating the trained weights
    when the check that scores them is hidden: `check` then neither spends the time nor shows a value."""
    keep = _needed_probes(plan.job.probes, checks)
    if keep != plan.job.probes:
        plan = replace(plan, job=replace(plan.job, probes=keep))
    scorer = getattr(PLANNERS[part], "SCORES_TRAINED_WEIGHTS", None)
    if scorer is not None and scorer not in {c.name for c in checks}:
        plan = replace(plan, evaluate_final=False)
    return plan


def _errors(session: Session, part: str, message: str) -> list[CheckResult]:
    return [error_result(spec, Status.ERROR, message) for spec in session.specs_for(part)]


def _plan_context(session: Session, part: str) -> PlanContext:
    probes = None
    if session.options.public_only:
        probes = frozenset(_needed_probes(PLANNERS[part].PROBES, _graded(session, part)))
    return PlanContext(session.rubric, session.device, session.seed, session.data, session.memo, probes)


def _log(run: PartRun, seen: Seen) -> dict[str, Any]:
    log = {
        "ending": run.ending,
        "duration_s": round(run.duration_s, 2),
        "stdout": run.stdout,
        "stderr": run.stderr,
    }
    trained = seen.cached("trained")  # what the parent measured of the trained model, if a check asked
    if trained is not None:
        log["training"] = trained.summary()
    return log


def internal_error_report(session: Session, submission: Path | str, exc: BaseException) -> Report:
    """The report of a grade that a bug of the grader stopped: every check an error saying so,
    so that a batch, a Gradescope run or a CI job still has a result."""
    reason = f"internal error of the grader ({type(exc).__name__}: {exc}); please report it"
    tests = _all_errors(session, reason)
    return _report(session, submission_name(Path(submission)), tests, [reason], {}, time.monotonic(), {})


def _all_errors(session: Session, message: str) -> list[CheckResult]:
    return [
        error_result(spec, Status.ERROR, message)
        for part in PARTS
        if part in session.options.parts
        for spec in session.specs_for(part)
    ]


def _report(
    session: Session,
    name: str,
    tests: list[CheckResult],
    notes: list[str],
    logs: dict[str, Any],
    started: float,
    timings: dict[str, float],
) -> Report:
    if not session.isolation.network_off:
        notes = [*notes, "network isolation is not available on this machine: student code could reach the network"]
    if not session.isolation.filesystem_hidden:
        notes = [*notes, "the filesystem is not hidden from student code (no bubblewrap): it could read "
                 "the grader's files and hidden data (see SECURITY.md)"]
    # Each result carries its check's visibility, for the reports that hide or release it.
    tests = [replace(t, visibility=session.rubric.spec(t.name).visibility) for t in tests]
    return Report(
        submission=name,
        grader_version=grader.__version__,
        device=session.device,
        tests=tuple(tests),
        hidden_checks=session.hidden_checks(),
        notes=tuple(notes),
        duration_s=time.monotonic() - started,
        timings={name: round(seconds, 3) for name, seconds in timings.items()},
        sandbox={**as_dict(session.isolation), "seed_source": "option" if session.options.seed is not None
                 else "rubric", "rubric": session.rubric.source, "parts": logs},  # fmt: skip
    )
