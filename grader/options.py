"""The one set of options a grade runs with, built by the command line."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from grader.precision import deterministic_cublas, full_float32
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
    plan_cache: bool = True  # keep prepared plans in the user's cache folder (grader.plan_cache)
    pictures: bool = True  # report.html's pictures (the t-SNE map among them); a calibration needs none


# What a GPU driver creates: NVIDIA's device files and driver folder, Jetson's, AMD's ROCm (which
# torch also calls cuda), WSL's GPU. Where none exists, torch could not find a CUDA device either.
GPU_DEVICE_FILES = ("/dev/nvidiactl", "/dev/nvidia0", "/proc/driver/nvidia", "/dev/nvhost-ctrl-gpu", "/dev/nvmap",
                    "/dev/kfd", "/dev/dxg")  # fmt: skip


def resolve_device(requested: str, device_files: tuple[str, ...] = GPU_DEVICE_FILES) -> str:
    """`auto` becomes `cuda` when a GPU is usable, else `cpu`.

    On `cuda` this process is also set to compute as the grading children do
    (`grader.precision`): it replays their training runs.

    >>> resolve_device("cpu")
    'cpu'
    >>> resolve_device("auto", device_files=())
    'cpu'
    """
    if requested not in DEVICES:
        raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {requested!r}")
    if requested == "cpu":
        return "cpu"  # without importing torch: a parent whose plans are cached never needs it
    if requested == "auto" and not any(os.path.exists(path) for path in device_files):
        # No GPU driver at all: `cpu` without importing torch (a second or two, and the grade's
        # sandbox waits for this answer before it starts importing torch itself).
        return "cpu"
    import torch

    if requested == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for, but torch sees no CUDA device")
    device = "cuda" if requested == "cuda" or torch.cuda.is_available() else "cpu"
    if device == "cuda":
        deterministic_cublas(os.environ)
        full_float32(torch)
    return device


def resolve_workers(requested: int) -> int:
    """0 means one process per part, as many at once as there are CPUs (at most 3)."""
    if requested > 0:
        return requested
    return max(1, min(len(PARTS), os.cpu_count() or 1))


def cpu_count() -> int:
    """The CPUs this process may run on (a container's or a Slurm job's share, not the host's)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def resolve_concurrency(jobs: int | None, workers: int | None, threads: int, cores: int | None = None) -> tuple[int, int]:
    """(grades at once, parts at once per grade) for a batch.

    The torch threads per child stay the rubric's `threads` whatever is asked
    here: training results depend on them, and reports must not depend on
    `--jobs`. What fills the cores is how many grades, and parts within each
    grade, run at once: by default jobs x workers x threads <= cores.

    >>> resolve_concurrency(None, None, threads=1, cores=16)
    (16, 1)
    >>> resolve_concurrency(1, None, threads=1, cores=2)
    (1, 2)
    >>> resolve_concurrency(2, None, threads=1, cores=2)
    (2, 1)
    """
    cores = cores or cpu_count()
    slots = max(1, cores // max(threads, 1))
    jobs = jobs if jobs and jobs > 0 else slots
    if not workers:
        workers = max(1, min(len(PARTS), slots // jobs))
    return jobs, workers
