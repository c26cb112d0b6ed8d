"""The command's end: its hooks run and its streams flush, then the process leaves at once.

With torch imported, the interpreter's own shutdown (finalising some three thousand modules
and the objects they hold) takes about half a second after everything is written: a tenth of
a `check`, paid again by every grade. The `cnn-grader` command skips it when nothing is left
to wait for: atexit hooks (temporary folders among them) still run, and the output is flushed.
Profilers that write their file at the interpreter's exit (`python -m cProfile -m grader`) miss
it: profile `grader.cli.main`, which returns normally, instead.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import NoReturn


def exit_code(code: object) -> int:
    """A `SystemExit` code as an exit status, as Python itself reads it (a message means 1).

    >>> exit_code(None), exit_code(3), exit_code("usage: ...")
    (0, 3, 1)
    """
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def leave(status: int) -> NoReturn:
    """End the process with `status`, skipping the interpreter's teardown where that is safe."""
    if any(t.is_alive() and not t.daemon and t is not threading.main_thread() for t in threading.enumerate()):
        sys.exit(status)  # a thread still working: the ordinary shutdown waits for it
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing more can reach it
            pass
    os._exit(status)
