"""The peak memory of a process tree: what a container's limit is measured against.

Sampled every few milliseconds over a process and all its descendants:

- `peak_bytes`: every process's private pages (USS) plus the largest
  process's shared pages, once. The grader, the zygote and its forked
  children share torch's libraries and the zygote's heap; counted once, as
  the machine holds them, and whatever other programs run on the machine.
- `peak_pss_bytes`: the sum of the proportional set sizes, the usual
  figure; it splits shared pages among every process on the machine that
  maps them, so it is lower while other programs have torch loaded.
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
    peak_pss_bytes: int = 0
    by_process: dict[str, int] = field(default_factory=dict)  # at the peak: "pid name" -> private bytes
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    @property
    def mb(self) -> float:
        return self.peak_bytes / (1 << 20)

    @property
    def pss_mb(self) -> float:
        return self.peak_pss_bytes / (1 << 20)

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
        """One reading of the tree, in bytes (the peaks are kept)."""
        import psutil

        try:
            root = psutil.Process(self.pid)
            processes = [root, *root.children(recursive=True)]
        except psutil.Error:
            return 0
        private, shared, pss, parts = 0, 0, 0, {}
        for process in processes:
            try:
                info = process.memory_full_info()
                parts[f"{process.pid} {process.name()}"] = info.uss
            except psutil.Error:
                continue  # ended between the listing and the reading
            private += info.uss
            shared = max(shared, info.rss - info.uss)
            pss += info.pss
        total = private + shared
        if total > self.peak_bytes:
            self.peak_bytes, self.by_process = total, parts
        self.peak_pss_bytes = max(self.peak_pss_bytes, pss)
        return total
