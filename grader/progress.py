"""What the grader is doing right now, on stderr: a live rich display on a terminal, plain
lines in a CI log, nothing with -q.

`grade` shows each part's phase (planning, import, which check's step runs,
training step k of N with the loss); `batch` shows how many submissions are
done, which are being graded, and an estimate of the time left. The steps
and losses come from the child (`grader.sandbox.progress_channel`): shown,
never scored.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import IO, Protocol

from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from grader.report.escape import terminal
from grader.sandbox.progress_channel import StepNote

PROBE_PHASES = {
    "import": "importing the submission",
    "build": "checks: building the model",
    "shapes": "checks: output shapes",
    "public": "checks: public equivalence",
    "reference": "checks: equivalence to the reference",
    "forward": "checks: outputs against torch",
    "gradients": "checks: gradients against torch",
    "module": "checks: the module",
    "retrain": "checks: retraining with your PixelShuffle",
    "train": "training",
}
PLAIN_EVERY_S = 5.0  # CI logs: at most one training line per part this often


class Progress(Protocol):
    def phase(self, submission: str, part: str, text: str) -> None: ...
    def step(self, submission: str, note: StepNote) -> None: ...
    def batch(self, done: int, total: int, current: list[str]) -> None: ...
    def close(self) -> None: ...


def describe(note: StepNote) -> str:
    """`training step 120 of 200, loss 0.412`, or the probe's phase."""
    text = PROBE_PHASES.get(note.probe, f"step {note.probe}")
    if note.total:
        text = f"{text} step {note.step} of {note.total}"
        if note.loss is not None:
            text += f", loss {note.loss:.4g}"
    return text


class Silent:
    """-q: nothing at all."""

    def phase(self, submission: str, part: str, text: str) -> None:
        pass

    def step(self, submission: str, note: StepNote) -> None:
        pass

    def batch(self, done: int, total: int, current: list[str]) -> None:
        pass

    def close(self) -> None:
        pass


class PlainLines:
    """Not a terminal (CI): one line per phase, and a training line now and then."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream, self.lock = stream, threading.Lock()
        self.last: dict[tuple[str, str], tuple[str, float]] = {}

    def _line(self, text: str) -> None:
        with self.lock:
            self.stream.write(terminal(text) + "\n")
            self.stream.flush()

    def phase(self, submission: str, part: str, text: str) -> None:
        self._line(f"[{submission}] {part}: {text}")

    def step(self, submission: str, note: StepNote) -> None:
        key, now = (submission, note.part), time.monotonic()
        kind = note.probe if not note.total else f"{note.probe}#"
        previous = self.last.get(key)
        if previous and previous[0] == kind and now - previous[1] < PLAIN_EVERY_S and note.step != note.total:
            return
        self.last[key] = (kind, now)
        self._line(f"[{submission}] {note.part}: {describe(note)}")

    def batch(self, done: int, total: int, current: list[str]) -> None:
        self._line(f"batch: {done} of {total} done" + (f", grading {', '.join(current)}" if current else ""))

    def close(self) -> None:
        pass


class LiveDisplay:
    """A terminal: one table redrawn in place, a row per part (and the batch's count and ETA)."""

    def __init__(self, console: Console) -> None:
        self.rows: dict[tuple[str, str], str] = {}
        self.batch_line = ""
        self.started = time.monotonic()
        self.lock = threading.Lock()
        self.live = Live(self._table(), console=console, refresh_per_second=8, transient=True)
        self.live.start()

    def _table(self) -> Table:
        table = Table.grid(padding=(0, 2))
        if self.batch_line:
            table.add_row(Text(self.batch_line, style="bold"), Text(""))
        for (submission, part), text in list(self.rows.items())[-12:]:
            table.add_row(Text(terminal(f"{submission} {part}"), style="cyan"), Text(terminal(text)))
        table.add_row(Text(f"{time.monotonic() - self.started:.0f} s", style="dim"), Text(""))
        return table

    def _update(self) -> None:
        self.live.update(self._table())

    def phase(self, submission: str, part: str, text: str) -> None:
        with self.lock:
            if text == "done":
                self.rows.pop((submission, part), None)
            else:
                self.rows[(submission, part)] = text
            self._update()

    def step(self, submission: str, note: StepNote) -> None:
        self.phase(submission, note.part, describe(note))

    def batch(self, done: int, total: int, current: list[str]) -> None:
        with self.lock:
            elapsed = time.monotonic() - self.started
            eta = f", about {_duration(elapsed / done * (total - done))} left" if done and total > done else ""
            self.batch_line = f"{done} of {total} submissions done{eta}"
            self._update()  # a submission's rows leave when its parts say "done"

    def close(self) -> None:
        self.live.stop()


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def make_progress(quiet: bool, stream: IO[str] | None = None) -> Progress:
    """Silent with -q, live on a terminal, plain lines otherwise (a CI log)."""
    stream = stream or sys.stderr
    if quiet:
        return Silent()
    if stream.isatty():
        return LiveDisplay(Console(file=stream))
    return PlainLines(stream)
