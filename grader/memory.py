"""The peak memory of a process tree: what a container's limit is measured against.

The figure is the proportional set size (PSS) summed over a process and all
its descendants, sampled every few milliseconds: pages shared between the
grader, the zygote and its forked children (torch's libraries, mostly) count
once in total, as they do for the machine.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from types import TracebackType


@dataclass
class PeakMemory:
    """Samples the tree rooted at `pid` in a thread while in use:

    >>> with PeakMemory(os.getpid()) as peak:   # doctest: +SKIP
    ...     run_the_grade()
    >>> peak.mb
    """

    pid: int
    interval_s: float = 0.02
    peak_bytes: int = 0
    by_process: dict[str, int] = field(default_factory=dict)  # at the peak: "pid name" -> bytes
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    @property
    def mb(self) -> float:
        return self.peak_bytes / (1 << 20)

    def __enter__(self) -> "PeakMemory":
        self._thread = threading.Thread(target=self._run, name="peak-memory", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval_s)

    def sample(self) -> int:
        """One reading of the tree's PSS, in bytes (the peak is kept)."""
        import psutil

        try:
            root = psutil.Process(self.pid)
            processes = [root, *root.children(recursive=True)]
        except psutil.Error:
            return 0
        total, parts = 0, {}
        for process in processes:
            try:
                pss = process.memory_full_info().pss
                parts[f"{process.pid} {process.name()}"] = pss
                total += pss
            except psutil.Error:
                continue  # ended between the listing and the reading
        if total > self.peak_bytes:
            self.peak_bytes, self.by_process = total, parts
        return total
