"""The one set of options a grade runs with, built by the command line."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from grader.results import PARTS

DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class GradeOptions:
    """How to grade: `GradeOptions(device="cpu", seed=7)`.

    `seed` and `workers` override the rubric's values when set; data roots
    replace the embedded data sets. `public_only` grades the visible checks
    only (what `cnn-grader check` does) and names the others as hidden.
    """

    device: str = "auto"
    seed: int | None = None
    workers: int | None = None
    fail_under: float | None = None
    mnist_root: Path | None = None
    sr_root: Path | None = None
    parts: tuple[str, ...] = PARTS
    keep_workdir: bool = False
    public_only: bool = False


def resolve_device(requested: str) -> str:
    """`auto` becomes `cuda` when a GPU is usable, else `cpu`.

    >>> resolve_device("cpu")
    'cpu'
    """
    if requested not in DEVICES:
        raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {requested!r}")
    import torch

    if requested == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for, but torch sees no CUDA device")
    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return requested


def resolve_workers(requested: int) -> int:
    """0 means one process per part, as many at once as there are CPUs (at most 3)."""
    if requested > 0:
        return requested
    return max(1, min(len(PARTS), os.cpu_count() or 1))
