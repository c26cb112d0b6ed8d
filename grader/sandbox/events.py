"""The parent's end of the zygote's event channel, read with bounded memory.

The zygote reports each part's start and ending as JSON lines on its stdout
(see `grader.sandbox.zygote`). Student code cannot write there (the zygote
is not dumpable and the children hold no capabilities, so `/proc/ZYGOTE/fd/1`
is closed to them), but the parent does not rely on that alone: it reads
the pipe as it comes, keeps at most one line of `line_limit` bytes in
hand, drops longer lines whole, keeps only the events of the parts it
planned (the last one of each kind wins), and keeps the last
`STDERR_TAIL` bytes of the zygote's stderr. However much arrives, the
parent's memory does not grow with it.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import time
from dataclasses import dataclass, field
from typing import Any

from grader.interrupts import cancelled
from grader.text import clean, decode

READ_BYTES = 1 << 16
STDERR_TAIL = 4000
KINDS = ("started", "exit")


@dataclass
class EventLog:
    """Events by kind then part, built line by line from the zygote's stdout."""

    parts: frozenset[str]
    line_limit: int
    events: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: {kind: {} for kind in KINDS})
    dropped_lines: int = 0
    _line: bytearray = field(default_factory=bytearray)
    _skipping: bool = False  # inside a line already longer than the limit

    def feed(self, data: bytes) -> None:
        """Take the next bytes of the stream (linear in their length)."""
        start = 0
        while start < len(data):
            end = data.find(b"\n", start)
            stop = len(data) if end < 0 else end
            if not self._skipping:
                if len(self._line) + stop - start > self.line_limit:
                    self._line.clear()
                    self._skipping = True
                    self.dropped_lines += 1
                else:
                    self._line += data[start:stop]
            if end < 0:
                return
            if not self._skipping and self._line.strip():
                self._take(bytes(self._line))
            self._line.clear()
            self._skipping = False
            start = end + 1

    def _take(self, line: bytes) -> None:
        try:
            event = json.loads(decode(line))
        except (ValueError, RecursionError):
            self.dropped_lines += 1
            return
        if not isinstance(event, dict) or event.get("event") not in KINDS or event.get("part") not in self.parts:
            self.dropped_lines += 1
            return
        self.events[event["event"]][event["part"]] = {clean(str(k)): _cleaned(v) for k, v in event.items()}


def _cleaned(value: Any) -> Any:
    return clean(value) if isinstance(value, str) else value


@dataclass
class Tail:
    """The last `size` bytes of a stream."""

    size: int
    data: bytearray = field(default_factory=bytearray)

    def feed(self, chunk: bytes) -> None:
        self.data += chunk
        del self.data[: max(len(self.data) - self.size, 0)]


def exchange(process: subprocess.Popen[bytes], message: bytes, log: EventLog, tail: Tail, timeout: float) -> bool:
    """Send `message` on the process's stdin (unless it is closed already), then read its
    stdout into `log` and its stderr into `tail` until both close or `timeout` seconds
    pass. False when the time ran out or the command was interrupted (`grader.interrupts`).
    """
    assert process.stdin is not None and process.stdout is not None and process.stderr is not None
    selector = selectors.DefaultSelector()
    pending: memoryview | None = None
    if not process.stdin.closed:
        pending = memoryview(message)
        os.set_blocking(process.stdin.fileno(), False)
        selector.register(process.stdin.fileno(), selectors.EVENT_WRITE)
    readers = set()
    for stream, sink in ((process.stdout, log), (process.stderr, tail)):
        if not stream.closed:
            os.set_blocking(stream.fileno(), False)
            selector.register(stream.fileno(), selectors.EVENT_READ, sink)
            readers.add(stream.fileno())
    deadline = time.monotonic() + timeout
    try:
        while readers & set(selector.get_map()):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or cancelled():  # out of time, or the command was interrupted
                return False
            for key, _ in selector.select(min(remaining, 1.0)):
                if key.data is None:
                    pending = _write_some(selector, process, pending)
                elif not _read_some(key):
                    selector.unregister(key.fd)
        return True
    finally:
        selector.close()
        if pending is not None:
            _close_quietly(process.stdin)


def _write_some(selector: selectors.BaseSelector, process: subprocess.Popen[bytes],
                pending: memoryview | None) -> memoryview | None:  # fmt: skip
    assert process.stdin is not None
    try:
        written = os.write(process.stdin.fileno(), pending) if pending is not None else 0
    except BlockingIOError:
        return pending
    except OSError:  # the zygote died before reading its plan: its stdout will say nothing
        written = len(pending) if pending is not None else 0
    rest = pending[written:] if pending is not None else None
    if rest is None or not len(rest):
        selector.unregister(process.stdin.fileno())
        _close_quietly(process.stdin)
        return None
    return rest


def _read_some(key: selectors.SelectorKey) -> bool:
    """Read what is there into the key's sink; False at the end of the stream."""
    try:
        data = os.read(key.fd, READ_BYTES)
    except BlockingIOError:
        return True
    except OSError:
        return False
    key.data.feed(data)
    return bool(data)


def _close_quietly(stream: Any) -> None:
    try:
        stream.close()
    except OSError:
        pass
