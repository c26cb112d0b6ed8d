"""The runner's digest of a part's out files: what lets a part be scored before the sandbox ends."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from grader.sandbox.protocol import OUT_DIR, write_probe
from grader.sandbox.runner import out_digest

PROBES = ("import", "train")


def _io(tmp_path: Path) -> Path:
    io_dir = tmp_path / "io"
    (io_dir / OUT_DIR).mkdir(parents=True)
    write_probe(io_dir, "import", "ok", {}, {}, "")
    write_probe(io_dir, "train", "ok", {"loss": 0.5}, {"weights": np.arange(6, dtype=np.float32)}, "")
    return io_dir


def test_the_digest_stays_while_nothing_changes_and_moves_when_a_result_does(tmp_path: Path) -> None:
    io_dir = _io(tmp_path)
    before = out_digest(io_dir, PROBES)
    assert out_digest(io_dir, PROBES) == before
    (io_dir / OUT_DIR / "unrelated.txt").write_text("not a result")  # not read by the grader: no matter
    assert out_digest(io_dir, PROBES) == before
    write_probe(io_dir, "train", "ok", {"loss": 0.5}, {"weights": np.arange(6, dtype=np.float32) + 1}, "")
    assert out_digest(io_dir, PROBES) != before


def test_a_removed_result_moves_the_digest(tmp_path: Path) -> None:
    io_dir = _io(tmp_path)
    before = out_digest(io_dir, PROBES)
    (io_dir / OUT_DIR / "train.npz").unlink()
    assert out_digest(io_dir, PROBES) != before


def test_a_fifo_or_a_symlink_in_place_of_a_result_is_not_followed(tmp_path: Path) -> None:
    io_dir = _io(tmp_path)
    before = out_digest(io_dir, PROBES)
    target = io_dir / OUT_DIR / "train.npz"
    target.unlink()
    os.mkfifo(target)  # reading it would block forever
    fifo = out_digest(io_dir, PROBES)
    target.unlink()
    target.symlink_to(tmp_path / "elsewhere.npz")
    (tmp_path / "elsewhere.npz").write_bytes(b"x")
    assert len({before, fifo, out_digest(io_dir, PROBES)}) == 3
