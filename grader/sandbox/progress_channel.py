"""The child's progress notes: which training step it is at, and the loss, for display only.

The child overwrites one small file, `out/progress.json`, at most a few
times a second (`StepReporter`); the parent polls it while the part runs
(`Watcher`) and hands what it reads to the live display. Student code
runs in the same process and can write that file too, so the parent reads
at most MAX_BYTES, keeps only bounded numbers, and never scores them: a
forged note can only make the progress bar lie.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from grader.sandbox.protocol import OUT_DIR, MalformedOutput, read_out_file, started_probes

FILENAME = "progress.json"
MAX_BYTES = 256
MAX_STEPS = 10_000_000
EVERY_S = 0.25  # the child writes at most this often
POLL_S = 0.2


@dataclass(frozen=True)
class StepNote:
    """What the display shows of one part: its current probe and, while training, the step and loss."""

    part: str
    probe: str
    step: int = 0
    total: int = 0
    loss: float | None = None


class StepReporter:
    """Child side: called after every training step, writes the file now and then (and at the end)."""

    def __init__(self, io_dir: Path, probe: str) -> None:
        self.path = io_dir / OUT_DIR / FILENAME
        self.probe, self.last = probe, 0.0

    def __call__(self, step: int, total: int, loss: float) -> None:
        now = time.monotonic()
        if now - self.last < EVERY_S and step < total:
            return
        self.last = now
        doc = {"probe": self.probe, "step": step, "of": total, "loss": loss if math.isfinite(loss) else None}
        try:
            tmp = self.path.with_name(f".{FILENAME}")
            tmp.write_text(json.dumps(doc), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            pass  # display only: a full disk or a removed folder must not cost the training


def read_note(io_dir: Path, part: str) -> StepNote | None:
    """The part's current probe and training step, bounded and validated; None if nothing is known."""
    try:
        started = started_probes(io_dir)
        raw = read_out_file(io_dir, FILENAME, MAX_BYTES, truncate=True)
    except (MalformedOutput, OSError):
        return None
    probe = started[-1][:40] if started else ""
    if not probe:
        return None
    try:
        doc = json.loads((raw or b"{}").decode("utf-8"))
    except ValueError:
        doc = {}
    if not isinstance(doc, dict) or doc.get("probe") != probe:
        return StepNote(part, probe)
    step, total, loss = doc.get("step"), doc.get("of"), doc.get("loss")
    if not (isinstance(step, int) and isinstance(total, int) and 0 <= step <= total <= MAX_STEPS):
        return StepNote(part, probe)
    shown = float(loss) if isinstance(loss, (int, float)) and not isinstance(loss, bool) and math.isfinite(loss) \
        and abs(loss) < 1e12 else None  # fmt: skip
    return StepNote(part, probe, step, total, shown)


class Watcher:
    """Parent side: a thread that polls each part's notes and passes changes to `show`."""

    def __init__(self, parts: Sequence[tuple[str, Path]], show: Callable[[StepNote], None]) -> None:
        self.parts, self.show = list(parts), show
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="cnn-grader-progress", daemon=True)

    def __enter__(self) -> "Watcher":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()

    def _loop(self) -> None:
        last: dict[str, StepNote | None] = {}
        while not self.stop.wait(POLL_S):
            for part, io_dir in self.parts:
                note = read_note(io_dir, part)
                if note is not None and note != last.get(part):
                    last[part] = note
                    try:
                        self.show(note)
                    except Exception:  # noqa: BLE001 - a display problem must not stop the grade
                        return
