"""Per-probe input delivery: a probe's inputs reach the child only when it may start.

Student code runs inside the child, from the import probe on, so anything
the child holds it can read. The parent therefore keeps every probe's
inputs to itself and releases them one probe at a time, in the job's order:
the inputs of probe k are written into the part's `io/in` folder (read-only
inside the sandbox) only once the result of probe k-1 is in, and that
result is frozen at that moment. Code run at import time sees no check's
inputs; code that forges the results of earlier probes to get later inputs
sooner has those forged results graded. The answers (expected outputs,
test labels) never leave the parent at all.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping

from grader.sandbox.protocol import FEED_DIR, ProbeResult, read_probe

if TYPE_CHECKING:  # the parent's sandbox starts before it needs numpy; the child imports it to load
    import numpy as np

POLL_S = 0.005


def group_inputs(inputs: Mapping[str, np.ndarray], readers: Callable[[str], tuple[str, ...]],
                 probes: tuple[str, ...]) -> dict[str, dict[str, np.ndarray]]:  # fmt: skip
    """Each probe's own inputs, as `readers` (the part's planner) assigns them.

    A key no probe reads is a planner bug, so it raises rather than being
    sent to every probe. Probes not in `probes` (those `check` skips) get
    nothing.

    >>> import numpy as np
    >>> group_inputs({"a": np.zeros(1), "b": np.ones(1)}, lambda k: ("x", "y") if k == "b" else ("x",), ("y",))
    {'y': {'b': array([1.])}}
    """
    grouped: dict[str, dict[str, np.ndarray]] = {probe: {} for probe in probes}
    for key, value in inputs.items():
        owners = readers(key)
        if not owners:
            raise KeyError(f"no probe is declared to read the input {key!r}")
        for probe in owners:
            if probe in grouped:
                grouped[probe][key] = value
    return grouped


@dataclass
class PartFeed:
    """One part's pending deliveries and the results frozen on the way."""

    io_dir: Path
    probes: tuple[str, ...]
    payloads: dict[str, bytes]  # every probe -> its inputs as .npz bytes (see protocol.encode_arrays)
    released: int = 0
    frozen: dict[str, ProbeResult] = field(default_factory=dict)
    failure: str = ""  # why the feeder stopped serving this part early, if it did
    closed: bool = False  # the part ended: nothing more is released or frozen
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def step(self) -> None:
        """Release every probe whose predecessor's result is in; never blocks."""
        with self._lock:
            self._step()

    def close(self) -> None:
        """Stop serving the part (its child ended), waiting for a step under way to finish."""
        with self._lock:
            self.closed = True

    def _step(self) -> None:
        while self.released < len(self.probes) and not self.closed:
            if self.released:
                before = self.probes[self.released - 1]
                result = read_probe(self.io_dir, before)
                if result is None:
                    return
                self.frozen[before] = result
            probe = self.probes[self.released]
            release(self.io_dir, probe, self.payloads[probe])
            self.released += 1


def release(io_dir: Path, probe: str, payload: bytes) -> None:
    """Write the file whole, then rename it into place: the child never reads half of it."""
    folder = io_dir / FEED_DIR
    tmp = folder / f".{probe}.npz"
    tmp.write_bytes(payload)
    os.replace(tmp, folder / f"{probe}.npz")


class Feeder:
    """A thread stepping every part's feed while the zygote runs.

    >>> with Feeder(feeds):   # doctest: +SKIP
    ...     zygote.communicate(...)
    """

    def __init__(self, feeds: list[PartFeed]) -> None:
        self.feeds = feeds
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="cnn-grader-feeder", daemon=True)

    def __enter__(self) -> "Feeder":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()

    def _loop(self) -> None:
        """Step every feed until each has released all its probes, or the grade stops.

        It must never die: a dead feeder leaves every later probe waiting for
        its inputs until the part's timeout. `read_probe` never raises; a
        failed write (a full disk, a folder the part replaced) is retried on
        the next turn, and anything else stops only the feed that raised it.
        """
        active = list(self.feeds)
        while active and not self.stop.is_set():
            for feed in list(active):
                try:
                    feed.step()
                except OSError:
                    continue  # try again next turn; the part's clock ends a wait that never ends
                except Exception as exc:  # noqa: BLE001 - a bug here must not stall the other parts
                    feed.failure = f"{type(exc).__name__}: {exc}"
                    active.remove(feed)
                    continue
                if feed.released == len(feed.probes) or feed.closed:
                    active.remove(feed)
            self.stop.wait(POLL_S)


def await_inputs(io_dir: Path, probe: str, poll_s: float = 0.002) -> dict[str, np.ndarray]:
    """Child side: wait until the parent releases `probe`'s inputs, then load them.

    It waits as long as it takes: the part's clock, kept by the zygote, ends
    a child whose inputs never come.
    """
    import numpy as np

    path = io_dir / FEED_DIR / f"{probe}.npz"
    while not path.exists():
        time.sleep(poll_s)
    with np.load(path, allow_pickle=False) as archive:
        return {key: archive[key] for key in archive.files}
