"""The CUDA path: a whole grade on a GPU, deterministic training, the data copied to the device once.

Skipped only where torch sees no CUDA device; `benchmarks/gpu_session.sh` runs these on a lent GPU.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from grader.data.cache import DataCache
from grader.training import epoch_order, seed_everything, train_classifier, train_superres

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="torch sees no CUDA device")]

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "reference"


def _reference(name: str) -> dict:
    """The reference file's names, run from its source (no bytecode left in reference/)."""
    namespace: dict = {"__name__": f"cuda_test_{name}"}
    path = REFERENCE / f"{name}.py"
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)
    return namespace


@pytest.mark.slow
def test_a_default_grade_on_the_gpu_gives_full_marks_and_replays_the_child_bit_for_bit(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "grader", "grade", str(REFERENCE), "--out", str(tmp_path / "r"),
               "--device", "cuda", "-q"]  # fmt: skip
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((tmp_path / "r" / "report.json").read_text(encoding="utf-8"))
    assert report["device"] == "cuda"
    assert report["score"] == report["max_score"], [(t["name"], t["output"]) for t in report["tests"] if t["score"] < t["max_score"]]
    trainings = {part: report["sandbox"]["parts"][part]["training"] for part in ("cnn", "srnet")}
    # The parent replays on the GPU with the child's cuBLAS workspace and deterministic kernels: same bits.
    assert {part: t["replay_deviation"] for part, t in trainings.items()} == {"cnn": 0.0, "srnet": 0.0}


def _cnn_run(steps: int) -> tuple[np.ndarray, ...]:
    digits = DataCache().digits
    order = epoch_order(len(digits.train_images), steps, 64, seed=3)
    seed_everything(0)
    model = _reference("cnn")["CNN"]().to("cuda")
    train_classifier(model, digits.train_images, digits.train_labels, order, 1e-3, "cuda")
    return tuple(p.detach().cpu().numpy() for p in model.parameters())


def test_cuda_training_is_deterministic() -> None:
    first, second = _cnn_run(30), _cnn_run(30)
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    assert not np.array_equal(first[0], _cnn_run(1)[0]), "the run trained"


def test_the_training_data_goes_to_the_gpu_once_not_once_a_step() -> None:
    from torch.profiler import ProfilerActivity, profile

    digits = DataCache().digits
    steps = 40
    order = epoch_order(len(digits.train_images), steps, 64, seed=0)
    seed_everything(0)
    model = _reference("cnn")["CNN"]().to("cuda")
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        train_classifier(model, digits.train_images, digits.train_labels, order, 1e-3, "cuda")
        torch.cuda.synchronize()
    uploads = [event.name for event in prof.events() if "HtoD" in event.name]
    assert 1 <= len(uploads) <= 4, uploads  # the images, the labels and the batch order, each once


def test_superres_training_runs_on_the_gpu_and_lowers_the_loss() -> None:
    rng = np.random.default_rng(0)
    high = rng.integers(0, 256, size=(64, 33, 33), dtype=np.uint8)
    low = high[:, 1::3, 1::3].copy()
    seed_everything(0)
    net = _reference("srnet")["SuperResolutionNet"](3).to("cuda")
    log, _ = train_superres(net, low, high, epoch_order(64, 30, 16, seed=0), 1e-3, "cuda")
    assert next(net.parameters()).is_cuda and log.last < log.first
