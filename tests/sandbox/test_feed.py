"""Per-probe input delivery: each probe's inputs, released in order, earlier results frozen."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from grader.grading import PLANNERS, Session
from grader.results import PARTS
from grader.sandbox.feed import PartFeed, await_inputs, group_inputs
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
