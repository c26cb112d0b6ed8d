"""Per-probe input delivery: each probe's inputs, released in order, earlier results frozen."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

from grader.grading import PLANNERS, Session
from grader.results import PARTS
from grader.sandbox.feed import Feeder, PartFeed, await_inputs, group_inputs
from grader.sandbox.protocol import FEED_DIR, OUT_DIR, ProbeStatus, encode_arrays, write_probe
from tests.conftest import plan_part


def test_group_inputs_gives_each_probe_its_own_keys() -> None:
    inputs = {"x": np.zeros(2), "y": np.ones(3)}
    readers = {"x": ("a", "b"), "y": ("b",)}
    grouped = group_inputs(inputs, lambda key: readers.get(key, ()), ("import", "a", "b"))
    assert grouped["import"] == {}
    assert list(grouped["a"]) == ["x"] and sorted(grouped["b"]) == ["x", "y"]
    with pytest.raises(KeyError, match="'z'"):
        group_inputs({"z": np.zeros(1)}, lambda key: readers.get(key, ()), ("a",))


@pytest.mark.parametrize("part", PARTS)
def test_every_planned_input_has_a_reader_and_import_gets_none(part: str, fast_session: Session) -> None:
    plan = plan_part(fast_session, part, seed=7)
    grouped = group_inputs(plan.inputs, PLANNERS[part].input_readers, plan.job.probes)
    assert grouped["import"] == {}
    delivered = {key for arrays in grouped.values() for key in arrays}
    assert delivered == set(plan.inputs)
    assert all(arrays for probe, arrays in grouped.items() if probe not in ("import", "build"))


def _feed(tmp_path: Path) -> PartFeed:
    for folder in (OUT_DIR, FEED_DIR):
        (tmp_path / folder).mkdir()
    payloads = {"import": encode_arrays({}), "shapes": encode_arrays({"x": np.arange(3.0)}), "train": encode_arrays({"y": np.ones(2)})}
    return PartFeed(tmp_path, ("import", "shapes", "train"), payloads)


def _released(io_dir: Path) -> list[str]:
    return sorted(path.stem for path in (io_dir / FEED_DIR).glob("*.npz"))


def test_a_probe_gets_its_inputs_only_after_the_result_before_it(tmp_path: Path) -> None:
    feed = _feed(tmp_path)
    feed.step()
    assert _released(tmp_path) == ["import"]  # the import probe runs student code: it gets nothing else
    assert await_inputs(tmp_path, "import") == {}
    feed.step()
    assert _released(tmp_path) == ["import"]
    write_probe(tmp_path, "import", "ok", {"names": ["CNN"]}, {}, "")
    feed.step()
    assert _released(tmp_path) == ["import", "shapes"]
    np.testing.assert_array_equal(await_inputs(tmp_path, "shapes")["x"], np.arange(3.0))
    write_probe(tmp_path, "shapes", "ok", {}, {}, "")
    feed.step()
    assert feed.released == 3 and _released(tmp_path) == ["import", "shapes", "train"]


def test_a_result_is_frozen_when_the_next_inputs_are_released(tmp_path: Path) -> None:
    feed = _feed(tmp_path)
    write_probe(tmp_path, "import", "error", {}, {}, "forged to get the next inputs early")
    feed.step()
    assert _released(tmp_path) == ["import", "shapes"]
    write_probe(tmp_path, "import", "ok", {"names": ["CNN"]}, {}, "")  # rewriting it later changes nothing
    frozen = feed.frozen["import"]
    assert frozen.status is ProbeStatus.ERROR and "forged" in frozen.message


def _wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_the_feeder_survives_a_corrupt_result_and_releases_the_next_step(tmp_path: Path) -> None:
    feed = _feed(tmp_path)
    corrupt = bytearray(encode_arrays({"out0": np.arange(1000.0)}))
    corrupt[200] ^= 0xFF  # a bad CRC: zipfile raises BadZipFile, which is no ValueError
    (tmp_path / OUT_DIR / "import.npz").write_bytes(bytes(corrupt))
    write_probe(tmp_path, "import", "ok", {}, {}, "")
    with Feeder([feed]) as feeder:
        _wait_for(lambda: feed.released == 2)
        assert feeder.thread.is_alive()
    frozen = feed.frozen["import"]
    assert frozen.status is ProbeStatus.ERROR and "BadZipFile" in frozen.message
    assert _released(tmp_path) == ["import", "shapes"]


def test_a_failing_feed_stops_alone_and_a_failed_write_is_retried(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    broken, flaky = _feed(tmp_path / "a"), _feed(tmp_path / "b")
    broken.step = lambda: (_ for _ in ()).throw(RuntimeError("a bug"))  # type: ignore[method-assign]
    real_step, calls = flaky.step, []

    def step_failing_once() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("disk full")
        real_step()

    flaky.step = step_failing_once  # type: ignore[method-assign]
    with Feeder([broken, flaky]):
        _wait_for(lambda: flaky.released == 1)
    assert broken.failure == "RuntimeError: a bug"
    assert flaky.released == 1 and len(calls) >= 2 and not flaky.failure
