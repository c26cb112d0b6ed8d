"""Batches on Dask distributed: one task per submission, each graded in its own sandbox
on a worker, the reports sent back to the client, which writes the gradebook.

`--scheduler local` starts a `LocalCluster` (one single-threaded worker
process per job); `--scheduler tcp://HOST:PORT` uses a running cluster, for
example Slurm nodes started with dask-jobqueue (docs/instructors.md). Workers
need not share a filesystem with the client: each task carries the
submission's files (bounded like staging) and its settings as plain data.

A worker that dies mid-grade (killed, out of memory, a lost node) loses
nothing but that grade: its submission is sent once more, and if that worker
dies too, the row records why. The client counts the attempts itself, so
this holds with any scheduler; set the scheduler's
`distributed.scheduler.allowed-failures` to 0 so that it hands a death back
at once (the LocalCluster started here does).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from grader.batch import Failure, Outcome, Runner, Task, grade_entry
from grader.grading import Session, open_session
from grader.options import GradeOptions, cpu_count
from grader.plan_cache import decode, encode
from grader.report.html import drawn
from grader.results import PARTS, report_from_dict
from grader.submission import IGNORED_DIRS, MAX_BYTES, MAX_FILES
from grader.visuals import Drawn

ATTEMPTS = 2  # the first grade, and one retry when the worker running it dies
Packed = dict[str, Any]
GradeTask = Callable[[str, Packed], dict[str, Any]]


def runner_for(scheduler: str, task: GradeTask | None = None) -> Runner:
    """The batch runner for `--scheduler` (`local` or an address)."""
    return functools.partial(run_on_dask, scheduler, task=task)


def run_on_dask(scheduler: str, session: Session, tasks: Sequence[Task], jobs: int,
                task: GradeTask | None = None) -> Iterator[tuple[Task, Outcome]]:  # fmt: skip
    """Submit one Dask task per submission and yield each outcome as it arrives."""
    if not tasks:
        return
    import dask
    from distributed import Client, LocalCluster, as_completed

    grade_task = task or grade_packed
    cluster = None
    # A death is handed back at once (the client retries once itself), and a worker holds only the
    # grade it runs: none waits behind a submission that kills its worker.
    local = {"distributed.scheduler.allowed-failures": 0, "distributed.scheduler.worker-saturation": 1.0}
    with dask.config.set(local):
        if scheduler == "local":
            cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster if cluster is not None else scheduler)
    try:
        # On a LocalCluster the parts per grade were chosen for this machine; a remote worker chooses for its node.
        settings = session_settings(session, workers=session.workers if cluster is not None else None)
        pending: dict[Any, tuple[Task, int]] = {}

        def submit(item: Task, attempt: int) -> Any:
            future = client.submit(grade_task, settings, pack(item.entry.path), pure=False,
                                   key=f"grade-{item.index}-{item.entry.folder}-{attempt}")  # fmt: skip
            pending[future] = (item, attempt)
            return future

        futures = as_completed([submit(item, 1) for item in tasks])
        for future in futures:
            item, attempt = pending.pop(future)
            try:
                doc = future.result()
            except Exception as exc:  # noqa: BLE001 - KilledWorker, a lost connection, a failed unpack
                if _worker_died(exc) and attempt < ATTEMPTS:
                    futures.add(submit(item, attempt + 1))
                    continue
                yield item, Failure(_failure(exc, attempt))
                continue
            yield item, outcome_of(doc)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _worker_died(exc: BaseException) -> bool:
    from distributed import KilledWorker

    return isinstance(exc, KilledWorker)


def _failure(exc: BaseException, attempt: int) -> str:
    if _worker_died(exc):
        return (f"the Dask worker grading it died {attempt} times (killed, out of memory or a lost node); "
                "the next run of the batch tries again")  # fmt: skip
    return f"the Dask task failed ({type(exc).__name__}: {exc})"


def outcome_of(doc: dict[str, Any]) -> Outcome:
    if "error" in doc:
        return Failure(str(doc["error"]))
    report = report_from_dict(doc["report"])
    pictures = doc.get("pictures")
    if not isinstance(pictures, list):
        return report
    shown = [p for p in pictures if isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p)]
    return replace(report, visuals=tuple(Drawn(check, html) for check, html in shown))


def session_settings(session: Session, workers: int | None) -> str:
    """Everything a worker needs to open the same session, as JSON."""
    options = session.options
    return json.dumps({
        "rubric": encode(session.rubric, {}),
        "device": session.device,
        "seed": options.seed,
        "workers": workers if workers is not None else options.workers,
        "mnist_root": str(options.mnist_root) if options.mnist_root else None,
        "sr_root": str(options.sr_root) if options.sr_root else None,
        "parts": list(options.parts),
        "plan_cache": options.plan_cache,
    }, sort_keys=True)  # fmt: skip


@functools.lru_cache(maxsize=4)
def worker_session(settings: str) -> Session:
    """One session per worker process and settings: data, plans and the sandbox probe once."""
    doc = json.loads(settings)
    options = GradeOptions(
        device=doc["device"],
        seed=doc["seed"],
        workers=doc["workers"],
        mnist_root=Path(doc["mnist_root"]) if doc["mnist_root"] else None,
        sr_root=Path(doc["sr_root"]) if doc["sr_root"] else None,
        parts=tuple(p for p in PARTS if p in doc["parts"]),
        plan_cache=bool(doc["plan_cache"]),
    )
    session = open_session(options, decode(doc["rubric"], {}))
    if doc["workers"] is None:
        share = cpu_count() // (_grades_at_once() * session.rubric.threads)
        session = replace(session, workers=max(1, min(len(PARTS), share)))
    return session


def _grades_at_once() -> int:
    try:
        from distributed import get_worker

        return max(1, int(get_worker().state.nthreads))
    except (ImportError, ValueError, AttributeError):
        return 1


def grade_packed(settings: str, packed: Packed) -> dict[str, Any]:
    """The Dask task: unpack the submission in a temporary folder, grade it, return plain data."""
    session = worker_session(settings)
    folder = Path(tempfile.mkdtemp(prefix="cnn-grader-task-"))
    try:
        outcome = grade_entry(session, unpack(packed, folder))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if isinstance(outcome, Failure):
        return {"error": outcome.reason}
    # The pictures travel drawn (report.json leaves them out): the client's report.html shows them too.
    return {"report": outcome.to_dict(), "pictures": [[v.check, drawn(v).html] for v in outcome.visuals]}


def pack(path: Path) -> Packed:
    """The entry's regular files as bytes, within staging's limits (larger ones are refused
    by staging anyway); symbolic links and tool folders stay behind, as staging leaves them."""
    if not path.is_dir():
        data = path.read_bytes() if path.stat().st_size <= MAX_BYTES else b""
        return {"name": path.name, "dir": False, "files": {"": data}}
    files: dict[str, bytes] = {}
    total = 0
    for root, dirs, names in os.walk(path, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in IGNORED_DIRS and not os.path.islink(os.path.join(root, d)))
        for name in sorted(names):
            item = Path(root) / name
            if item.is_symlink() or not item.is_file():
                continue
            total += item.stat().st_size
            if len(files) >= MAX_FILES or total > MAX_BYTES:
                break
            files[item.relative_to(path).as_posix()] = item.read_bytes()
    return {"name": path.name, "dir": True, "files": files}


def unpack(packed: Packed, folder: Path) -> Path:
    """Write a packed entry under `folder` with its own name, so its report names it the same."""
    name = Path(str(packed["name"])).name or "submission"
    target = folder / name
    if not packed["dir"]:
        target.write_bytes(packed["files"][""])
        return target
    target.mkdir()
    for relative, data in packed["files"].items():
        destination = (target / relative).resolve()
        if not destination.is_relative_to(target.resolve()):
            continue  # the client packed relative paths; never write outside
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(data)
    return target
