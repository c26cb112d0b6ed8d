"""The zygote's event channel, read by the parent: bounded memory, defensive parsing, the real
ending kept whatever else arrives."""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc

from hypothesis import given
from hypothesis import strategies as st

from grader.sandbox.events import EventLog, Tail, exchange
from grader.sandbox.runner import event_line_limit

PARTS = frozenset({"cnn", "pixel_shuffle"})


def _event(kind: str, part: object, **more: object) -> bytes:
    return json.dumps({"event": kind, "part": part, **more}).encode() + b"\n"


def test_events_are_parsed_defensively_and_the_last_of_each_kind_wins() -> None:
    log = EventLog(PARTS, 1000)
    for chunk in (
        _event("started", "cnn", pid=12), b"not json at all\n", _event("exit", "cnn", returncode=1),
        _event("exit", 3), _event("exit", "not-a-part"), b'["a list"]\n', b"\xff\xfe\n",
        b'{"event": "exit", "part": "cnn", "stdout": "\\ud83d", "returncode": 0}\n',
    ):  # fmt: skip
        log.feed(chunk)
    assert log.events["started"] == {"cnn": {"event": "started", "part": "cnn", "pid": 12}}
    assert log.events["exit"] == {"cnn": {"event": "exit", "part": "cnn", "stdout": "\ufffd", "returncode": 0}}
    assert log.dropped_lines == 5


def test_a_line_split_across_reads_is_joined_and_an_overlong_one_dropped_whole() -> None:
    log = EventLog(PARTS, 200)
    line = _event("exit", "pixel_shuffle", returncode=0)
    for byte in line:
        log.feed(bytes([byte]))
    log.feed(b'{"event": "exit", "part": "cnn", "pad": "' + b"x" * 500)
    log.feed(b'"}\n' + _event("started", "cnn", pid=5))
    assert set(log.events["exit"]) == {"pixel_shuffle"} and log.events["started"]["cnn"]["pid"] == 5
    assert log.dropped_lines == 1


def test_memory_stays_bounded_whatever_the_stream_holds() -> None:
    log, tail = EventLog(PARTS, 4096), Tail(100)
    tracemalloc.start()
    try:
        for _ in range(64):  # 64 MiB of one endless line, then many empty ones
            log.feed(b"y" * (1 << 20))
            tail.feed(b"z" * (1 << 20))
        log.feed(b"\n" * (1 << 16))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, peak
    assert len(tail.data) == 100 and log.dropped_lines >= 1


def test_exchange_reads_a_flooding_process_and_keeps_its_real_ending() -> None:
    """A stand-in zygote reads its plan, then writes 64 MiB of garbage lines around its events."""
    code = (
        "import json, sys\n"
        "plan = json.loads(sys.stdin.read())\n"
        "out = sys.stdout.buffer\n"
        "garbage = b'x' * (1 << 20)\n"
        "for _ in range(32): out.write(garbage)\n"
        "out.write(b'\\n' + json.dumps({'event': 'exit', 'part': plan['part'], 'returncode': 7}).encode() + b'\\n')\n"
        "for _ in range(32): out.write(garbage + b'\\n')\n"
        "sys.stderr.write('e' * 100000 + 'END')\n"
    )
    process = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)  # fmt: skip
    log, tail = EventLog(PARTS, event_line_limit(64)), Tail(1000)
    tracemalloc.start()
    try:
        finished = exchange(process, json.dumps({"part": "cnn"}).encode(), log, tail, timeout=60)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        process.wait()
    assert finished and log.events["exit"]["cnn"]["returncode"] == 7
    assert bytes(tail.data).endswith(b"END") and len(tail.data) == 1000
    assert peak < 4 * event_line_limit(64), peak


def test_exchange_gives_up_at_its_timeout() -> None:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    try:
        assert not exchange(process, b"{}", EventLog(PARTS, 100), Tail(10), timeout=0.5)
    finally:
        process.kill()
        process.wait()


@given(st.lists(st.one_of(st.binary(max_size=300), st.sampled_from([
    b"\n", _event("exit", "cnn", returncode=0), _event("started", "cnn", pid=3), b'{"event": "exit", "part": "cnn"',
    b'"stdout": "\\ud83d"}\n', b"[" * 2000 + b"\n", b'{"event": "exit", "part": "evil"}\n',
])), max_size=40))  # fmt: skip
def test_any_stream_is_read_without_raising_into_known_parts_only(chunks: list[bytes]) -> None:
    log = EventLog(PARTS, 256)
    for chunk in chunks:
        log.feed(chunk)
        assert len(log._line) <= 256
    for kind in log.events.values():
        assert set(kind) <= PARTS
        json.dumps(kind, ensure_ascii=False).encode("utf-8")
