"""Batches on Dask: a LocalCluster grades like this machine does, and a worker that dies
mid-grade costs a retry, then a row with the reason, never a lost batch."""

from __future__ import annotations

import csv
import functools
import os
import shutil
import signal
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import dask
import pytest
from distributed import Client, LocalCluster

from grader.batch import grade_batch
from grader.cluster import grade_packed, run_on_dask
from grader.grading import Session
from tests.conftest import ASSIGNMENT, REFERENCE
from tests.test_batch import without_timings

pytestmark = pytest.mark.timeout(600)


def rows_of(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "gradebook.csv", encoding="utf-8", newline="") as handle:
        return {row["submission"]: row for row in csv.DictReader(handle)}


@pytest.fixture()
def session(fast_session: Session) -> Session:
    return replace(fast_session, options=replace(fast_session.options, parts=("pixel_shuffle",)))


@pytest.fixture()
def course(tmp_path: Path) -> Path:
    folder = tmp_path / "course"
    shutil.copytree(REFERENCE, folder / "alice")
    shutil.copytree(ASSIGNMENT, folder / "bob", ignore=shutil.ignore_patterns("*.ipynb"))
    shutil.make_archive(str(folder / "carol"), "zip", REFERENCE)
    (folder / "dave.tar.gz").write_bytes(b"\x1f\x8b")
    return folder


def dying_task(settings: str, packed: dict[str, Any]) -> dict[str, Any]:
    """A task whose worker dies whenever it grades an entry named `doomed...`; the others grade."""
    if str(packed["name"]).startswith("doomed"):
        os.kill(os.getpid(), signal.SIGKILL)
    return grade_packed(settings, packed)


def test_a_local_cluster_grades_like_this_machine(session: Session, course: Path, tmp_path: Path) -> None:
    grade_batch(course, tmp_path / "here", session, jobs=1)
    grade_batch(course, tmp_path / "dask", session, jobs=2, scheduler="local")
    here, there = rows_of(tmp_path / "here"), rows_of(tmp_path / "dask")
    assert [(r["submission"], r["state"], r["score"]) for r in there.values()] == [
        ("alice", "graded", "10"), ("bob", "graded", "0"), ("carol.zip", "graded", "10"),
        ("dave.tar.gz", "not gradable", ""),
    ]  # fmt: skip
    for name in ("alice", "bob", "carol"):
        assert without_timings(tmp_path / "here" / name / "report.json") == \
            without_timings(tmp_path / "dask" / name / "report.json")  # fmt: skip
    assert [r["content_hash"] for r in here.values()] == [r["content_hash"] for r in there.values()]


def test_a_submission_whose_worker_always_dies_is_retried_once_then_recorded(
    session: Session, course: Path, tmp_path: Path
) -> None:
    shutil.copytree(REFERENCE, course / "doomed")
    runner = functools.partial(run_on_dask, "local", task=dying_task)
    grade_batch(course, tmp_path / "out", session, jobs=2, runner=runner)
    rows = rows_of(tmp_path / "out")
    assert rows["doomed"]["state"] == "error"
    assert "died 2 times" in rows["doomed"]["reason"]
    assert rows["alice"]["state"] == rows["carol.zip"]["state"] == "graded"


def test_killing_a_worker_during_a_batch_loses_nothing(session: Session, course: Path, tmp_path: Path) -> None:
    with dask.config.set({"distributed.scheduler.allowed-failures": 0, "distributed.scheduler.worker-saturation": 1.0}):
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    killed: list[str] = []
    try:
        batch = threading.Thread(target=grade_batch, args=(course, tmp_path / "out", session),
                                 kwargs={"jobs": 2, "scheduler": cluster.scheduler_address})  # fmt: skip
        batch.start()
        deadline = time.monotonic() + 300
        while not killed and time.monotonic() < deadline and batch.is_alive():
            for worker, keys in client.processing().items():
                if keys:
                    pid = client.run(os.getpid, workers=[worker])[worker]
                    time.sleep(1.0)  # mid-grade: its sandbox is running
                    os.kill(pid, signal.SIGKILL)
                    killed.append(str(keys[0]))
                    break
            time.sleep(0.1)
        batch.join(timeout=500)
    finally:
        client.close()
        cluster.close()
    assert killed, "no task was seen running"
    rows = rows_of(tmp_path / "out")
    assert [(r["submission"], r["state"]) for r in rows.values()] == [
        ("alice", "graded"), ("bob", "graded"), ("carol.zip", "graded"), ("dave.tar.gz", "not gradable"),
    ]  # fmt: skip
    assert rows["alice"]["score"] == rows["carol.zip"]["score"] == "10"


def test_a_worker_s_report_keeps_its_pictures(session: Session, tmp_path: Path) -> None:
    """report.json leaves the pictures out; a Dask task sends them drawn, so the client's
    report.html shows what a local grade's does (here Part 3's grid of wrong pixels)."""
    from grader.cluster import outcome_of, pack, session_settings
    from grader.report.html import render
    from grader.visuals import Drawn
    from tests.conftest import MUTANTS, overlay_fixture

    submission = overlay_fixture(MUTANTS / "pixel-shuffle-output-order", tmp_path / "erin")
    doc = grade_packed(session_settings(session, None), pack(submission))
    report = outcome_of(doc)
    assert doc["pictures"] and [type(v) for v in report.visuals] == [Drawn] * len(doc["pictures"])
    assert all(v.check.startswith("pixel_shuffle.") and "<img" in v.html for v in report.visuals)
    assert report.visuals[0].html in render(report)
