"""Grade every entry of a folder into a gradebook: several at once on this machine, or
on Dask; resumable.

Each entry gets a row: graded, reused (its files and the settings are
unchanged since a stored report), not gradable (with the reason), or error
(the grader or a worker failed; the next run tries again). Rows are written
as grades finish, atomically, so a batch killed at any moment resumes with
every finished row. At the end come `summary.html` and the similarity flags.

`--jobs` chooses how many grades run at once and how many parts each runs at
once; it never changes the torch threads of a child (the rubric's `threads`),
so the reports are the same, timings aside, whatever it is.
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterator, Sequence

import grader
from grader.entries import Entry, list_entries
from grader.fingerprint import fingerprint
from grader.grading import UNREADABLE, Session, grade, prepare_plans
from grader.options import resolve_concurrency
from grader.plan_cache import code_digest
from grader.report.gradebook import Row
from grader.report.gradebook import write as write_gradebook
from grader.report.writers import write_all
from grader.results import PARTS, Report, report_from_dict

Progress = Callable[[Row], None]
SUMMARY = "summary.html"


@dataclass(frozen=True)
class Task:
    """One entry to grade: its place in the gradebook and what it was graded from."""

    index: int
    entry: Entry
    content_hash: str
    stamp: str  # content and settings: a stored report with the same stamp is reused


@dataclass(frozen=True)
class Failure:
    """A grade that produced no report: the grader or the worker running it failed."""

    reason: str


Outcome = Report | Failure
# Runs the tasks and yields each one's outcome as it finishes (this machine's threads, or Dask).
Runner = Callable[[Session, Sequence[Task], int], Iterator[tuple[Task, Outcome]]]


def grade_batch(
    folder: Path,
    out_dir: Path,
    session: Session,
    progress: Progress | None = None,
    show_hidden: bool = False,
    jobs: int | None = None,
    scheduler: str | None = None,
    base_code: Path | None = None,
    runner: Runner | None = None,
) -> Path:
    """Grade each entry of `folder` into `out_dir/NAME/`, write the gradebook and the summary.

    `jobs`: grades at once (default: the cores over the rubric's threads);
    `scheduler`: None for this machine, `local` or `tcp://HOST:PORT` for Dask;
    `base_code`: the released stubs, whose code never counts as shared;
    `show_hidden` keeps hidden checks' details in each `report.md` and `junit.xml`;
    `runner` replaces the one `scheduler` names (tests).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    entries = list_entries(folder, exclude=out_dir)
    jobs, workers = resolve_concurrency(jobs, session.options.workers, session.rubric.threads)
    session = replace(session, workers=workers)
    checks = [name for name, spec in session.rubric.checks.items() if spec.part in session.options.parts]
    book = Book(out_dir, checks, [Row(e.student, e.name, e.folder, "pending") for e in entries])
    settings = batch_settings(session)
    tasks = []
    for index, entry in enumerate(entries):
        if entry.problem:
            book.set(index, replace(book.rows[index], state="not gradable", reason=entry.problem), progress)
            continue
        content = fingerprint(entry.path, "")
        stamp = hashlib.sha256(f"{settings}\n{content}".encode("utf-8")).hexdigest()
        stored = _stored(out_dir / entry.folder, stamp)
        if stored is not None:
            book.set(index, _row(book.rows[index], stored, "reused", content), progress)
        else:
            tasks.append(Task(index, entry, content, stamp))
    book.write()
    if runner is None and scheduler is not None:
        from grader.cluster import runner_for

        runner = runner_for(scheduler)
    for task, outcome in (runner or run_here)(session, tasks, jobs):
        row = book.rows[task.index]
        if isinstance(outcome, Failure):
            book.set(task.index, replace(row, state="error", reason=outcome.reason, content_hash=task.content_hash),
                     progress)  # fmt: skip
            continue
        report = replace(outcome, sandbox={**outcome.sandbox, "fingerprint": task.stamp})
        write_all(report, out_dir / task.entry.folder, show_hidden)
        book.set(task.index, _row(row, report, "graded", task.content_hash), progress)
    _finish(folder, out_dir, book, entries, base_code)
    return book.path


def run_here(session: Session, tasks: Sequence[Task], jobs: int) -> Iterator[tuple[Task, Outcome]]:
    """`jobs` grades at once in threads of this process: each grade's work is in its own sandbox."""
    if not tasks:
        return
    prepare_plans(session)  # once, before the threads: every grade then only reads the plans
    pool = ThreadPoolExecutor(max_workers=max(1, min(jobs, len(tasks))), thread_name_prefix="grade")
    try:
        futures: dict[Future[Outcome], Task] = {pool.submit(grade_entry, session, t.entry.path): t for t in tasks}
        for future in as_completed(futures):
            yield futures[future], future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def grade_entry(session: Session, path: Path) -> Outcome:
    """One grade; a grader bug becomes this entry's failure, never the batch's."""
    try:
        return grade(path, session=session)
    except Exception as exc:  # noqa: BLE001 - one bad submission must not stop the batch
        return Failure(f"internal error of the grader ({type(exc).__name__}: {exc})")


def _row(row: Row, report: Report, state: str, content: str) -> Row:
    problem = report.sandbox.get(UNREADABLE)
    if isinstance(problem, str) and problem:
        return replace(row, state="not gradable", reason=problem, report=report, content_hash=content)
    return replace(row, state=state, reason="", report=report, content_hash=content)


class Book:
    """The gradebook's rows in folder order, rewritten whole after every change."""

    def __init__(self, out_dir: Path, checks: Sequence[str], rows: list[Row]) -> None:
        self.out_dir, self.checks, self.rows = out_dir, list(checks), rows
        self.path = out_dir / "gradebook.csv"

    def set(self, index: int, row: Row, progress: Progress | None) -> None:
        self.rows[index] = row
        if row.state != "reused":  # reused rows are written together, once
            self.write()
        if progress is not None:
            progress(row)

    def write(self) -> None:
        self.path = write_gradebook(self.rows, self.out_dir, self.checks)


def _finish(folder: Path, out_dir: Path, book: Book, entries: Sequence[Entry], base_code: Path | None) -> None:
    """The class summary, with the similarity flags over every entry that holds code."""
    from grader.report.summary import write as write_summary
    from grader.similarity import find_similar

    code = [e for e, row in zip(entries, book.rows) if not e.problem and row.state != "not gradable"]
    flags = find_similar({e.name: e.path for e in code}, base_code)
    write_summary(book.rows, flags, out_dir / SUMMARY, title=f"cnn-grader {grader.__version__}: {folder.name}")


def batch_settings(session: Session) -> str:
    """Everything a report depends on besides the submission: reports are reused only when equal."""
    return json.dumps(
        {
            "grader": grader.__version__,
            "code": code_digest(),
            "rubric": repr(replace(session.rubric, source="")),
            "seed": session.seed,
            "device": session.device,
            "parts": [p for p in PARTS if p in session.options.parts],
            "mnist": str(session.options.mnist_root),
            "sr": str(session.options.sr_root),
        },
        sort_keys=True,
    )


def _stored(target: Path, stamp: str) -> Report | None:
    path = target / "report.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc.get("sandbox", {}).get("fingerprint") == stamp:
            return report_from_dict(doc)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return None
