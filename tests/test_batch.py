"""Batches: N at once with the same reports, a row for every entry, atomic and resumable."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from grader.batch import grade_batch
from grader.grading import Session
from grader.report.gradebook import Row
from tests.conftest import ASSIGNMENT, CORRECT, FAST_RUBRIC, REFERENCE, overlay_fixture

TIMING_KEYS = ("timings", "duration_s")


def without_timings(report_json: Path) -> dict:
    doc = json.loads(report_json.read_text(encoding="utf-8"))
    for key in TIMING_KEYS:
        doc.pop(key)
    for part in doc["sandbox"]["parts"].values():
        part.pop("duration_s")
    doc["sandbox"].pop("fingerprint")
    return doc


def rows_of(out: Path) -> list[dict[str, str]]:
    with open(out / "gradebook.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture()
def course(tmp_path: Path) -> Path:
    folder = tmp_path / "course"
    shutil.copytree(REFERENCE, folder / "alice")
    overlay_fixture(CORRECT / "functional-style", folder / "bob")
    shutil.copytree(ASSIGNMENT, folder / "carol", ignore=shutil.ignore_patterns("*.ipynb"))
    return folder


def test_jobs_change_nothing_but_the_time(fast_session: Session, course: Path, tmp_path: Path) -> None:
    """Two grades at once, one part at a time each, give the same reports as one grade at a time
    running its parts side by side: the torch threads per child never change (training depends on them)."""
    session = replace(fast_session, options=replace(fast_session.options, parts=("cnn", "pixel_shuffle")))
    one, two = tmp_path / "one", tmp_path / "two"
    grade_batch(course, one, session, jobs=1)
    grade_batch(course, two, session, jobs=2)
    for name in ("alice", "bob", "carol"):
        assert without_timings(one / name / "report.json") == without_timings(two / name / "report.json")
        assert (one / name / "report.md").read_bytes() == (two / name / "report.md").read_bytes()
    assert [r["score"] for r in rows_of(one)] == [r["score"] for r in rows_of(two)] == ["20", "20", "0"]


def test_every_entry_gets_a_row_and_the_summary_escapes_names(fast_session: Session, tmp_path: Path) -> None:
    course = tmp_path / "course"
    shutil.copytree(REFERENCE, course / "<img src=x onerror=alert(1)>alice")
    (course / "bob.tar.gz").write_bytes(b"\x1f\x8b")
    (course / "=carol").mkdir()
    session = replace(fast_session, options=replace(fast_session.options, parts=("pixel_shuffle",)))
    seen: list[Row] = []
    grade_batch(course, tmp_path / "out", session, progress=seen.append, jobs=2)
    rows = rows_of(tmp_path / "out")
    assert [(r["student"], r["state"]) for r in rows] == [
        ("<img src=x onerror=alert(1)>alice", "graded"), ("'=carol", "not gradable"), ("bob", "not gradable"),
    ]  # fmt: skip
    assert rows[0]["pixel_shuffle.matches_torch"] == "2" and len(rows[0]["content_hash"]) == 64
    assert float(rows[0]["duration_s"]) > 0 and rows[0]["report"] == "img_src_x_onerror_alert_1_alice/report.json"
    assert {r.state for r in seen} == {"graded", "not gradable"}
    summary = (tmp_path / "out" / "summary.html").read_text(encoding="utf-8")
    assert "<img" not in summary and "&lt;img src=x onerror=alert(1)&gt;alice" in summary
    assert "an empty folder" in summary and "unsupported file type" in summary
    assert "<svg" in summary and "pixel_shuffle.matches_torch" in summary and "<script" not in summary


def test_a_batch_killed_with_sigkill_resumes_with_every_finished_row(course: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = [sys.executable, "-m", "grader", "batch", str(course), "--out", str(out), "--rubric", str(FAST_RUBRIC),
            "--part", "pixel_shuffle", "--jobs", "1", "--device", "cpu"]  # fmt: skip
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    finished: list[str] = []
    while time.monotonic() < deadline and process.poll() is None:
        if (out / "gradebook.csv").is_file():
            finished = [r["submission"] for r in rows_of(out) if r["state"] == "graded"]  # always a whole file
            if finished:
                break
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert finished, "no row was finished before the kill"
    rerun = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    rows = {r["submission"]: r for r in rows_of(out)}
    assert set(rows) == {"alice", "bob", "carol"}
    assert all(rows[name]["state"] == "reused" for name in finished)
    assert {r["state"] for r in rows.values()} <= {"reused", "graded"}
    assert not list(out.glob(".*.tmp"))
