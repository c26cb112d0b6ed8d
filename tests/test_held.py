"""`grader.held.Held`: applied by the first thread in, undone by the last one out, even on an error."""

from __future__ import annotations

import threading

import pytest

from grader.held import Held


def test_overlapping_threads_apply_once_and_undo_once_after_the_last_leaves() -> None:
    log: list[str] = []
    shared = Held(lambda: log.append("apply") or len(log), lambda state: log.append(f"undo {state}"))
    inside, first_left = threading.Barrier(2, timeout=30), threading.Event()

    def short() -> None:
        with shared():
            inside.wait()
        first_left.set()

    def long() -> None:
        with shared():
            inside.wait()
            first_left.wait(timeout=30)
            log.append("still inside")

    threads = [threading.Thread(target=short), threading.Thread(target=long)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert log == ["apply", "still inside", "undo 1"]


def test_an_error_inside_still_undoes_and_the_next_entry_applies_again() -> None:
    log: list[str] = []
    shared = Held(lambda: log.append("apply"), lambda _: log.append("undo"))
    with pytest.raises(ValueError), shared():
        raise ValueError("scoring failed")
    with shared():
        pass
    assert log == ["apply", "undo", "apply", "undo"]
