"""A process-wide setting that several threads may need at once.

A batch's or a calibration's grades score in threads of one process, while some of
what scoring needs is process-wide (a kernel registered with torch's dispatcher,
torch's deterministic mode). The first thread to enter applies it, the last to leave
undoes it: a thread that finishes early never takes it from one still working.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Callable, Generic, Iterator, TypeVar

T = TypeVar("T")


class Held(Generic[T]):
    """`apply()` on the first entry, `undo(what apply returned)` on the last exit.

    >>> log = []
    >>> shared = Held(lambda: log.append("on"), lambda _: log.append("off"))
    >>> with shared():
    ...     with shared():
    ...         pass
    >>> log
    ['on', 'off']
    """

    def __init__(self, apply: Callable[[], T], undo: Callable[[T], None]) -> None:
        self._apply, self._undo = apply, undo
        self._lock = threading.Lock()
        self._users = 0
        self._state: T | None = None

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._users == 0:
                self._state = self._apply()
            self._users += 1
        try:
            yield
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0:
                    state, self._state = self._state, None
                    self._undo(state)  # type: ignore[arg-type]
