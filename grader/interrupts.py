"""Stopping cleanly on Ctrl-C (SIGINT) or SIGTERM: no process left, no temporary folder,
an exit status that says what happened (130, 143), never the `--fail-under` status 1.

The command line installs `install_handlers`: a signal sets `CANCELLED` (so
that grades running in worker threads of a batch stop waiting on their
sandbox, see `grader.sandbox.events`) and raises `Interrupted` in the main
thread, which unwinds through the context managers that kill the sandbox
and remove the scratch folders. Those clean-ups run inside `deferred()`, so
a second Ctrl-C cannot cut them short: it is held until they are done.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from types import FrameType
from typing import Any, Iterator

CANCELLED = threading.Event()
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """The signal that stopped the command; the exit status is 128 + its number."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_status(self) -> int:
        return 128 + self.signum


def exit_status(exc: KeyboardInterrupt) -> int:
    return exc.exit_status if isinstance(exc, Interrupted) else 128 + signal.SIGINT


def _handle(signum: int, frame: FrameType | None) -> None:
    CANCELLED.set()
    raise Interrupted(signum)


def install_handlers() -> None:
    """SIGINT and SIGTERM stop the command cleanly (main thread only, as Python requires)."""
    if threading.current_thread() is threading.main_thread():
        for signum in SIGNALS:
            signal.signal(signum, _handle)


def cancelled() -> bool:
    return CANCELLED.is_set()


@contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM while the block runs (a clean-up), then act on the first one.

    Outside the main thread signals cannot be handled here; they reach the main thread.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    previous: dict[int, Any] = {}
    for signum in SIGNALS:
        previous[signum] = signal.signal(signum, lambda number, frame: held.append(number))
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if held:
        handler = previous[held[0]]
        if callable(handler):
            handler(held[0], None)
        elif handler == signal.SIG_DFL and held[0] == signal.SIGINT:
            raise KeyboardInterrupt
        elif handler == signal.SIG_DFL:
            signal.raise_signal(held[0])
