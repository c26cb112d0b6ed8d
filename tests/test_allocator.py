"""glibc's malloc settings for training: set where glibc runs, and the trained bits unchanged."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from grader.allocator import tune_for_training

REPO = Path(__file__).resolve().parents[1]

# Trains the reference SR net a few steps on random patches at one thread and prints a digest of
# the weights, with glibc's malloc tuned or as it comes.
TRAIN = """
import hashlib, sys
import numpy as np
import torch
if sys.argv[1] == "tuned":
    from grader.allocator import tune_for_training
    assert tune_for_training()
torch.set_num_threads(1)
from grader.oracle import random_params, srnet_shapes
from grader.training import HarnessSRNet, epoch_order, seed_everything, train_superres
seed_everything(0)
rng = np.random.default_rng(0)
low = rng.integers(0, 256, (64, 11, 11), dtype=np.uint8)
high = rng.integers(0, 256, (64, 33, 33), dtype=np.uint8)
net = HarnessSRNet(random_params(srnet_shapes(3), 0), torch.nn.PixelShuffle(3))
train_superres(net, low, high, epoch_order(64, 30, 16, 0), 1e-3, "cpu")
digest = hashlib.sha256(b"".join(p.detach().numpy().tobytes() for p in net.parameters()))
print(digest.hexdigest())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt exists on Linux only")
def test_tuning_applies_on_glibc() -> None:
    assert tune_for_training() is True


def test_training_gives_the_same_bits_with_the_tuned_allocator() -> None:
    def digest(mode: str) -> str:
        done = subprocess.run([sys.executable, "-c", TRAIN, mode], cwd=REPO, capture_output=True, text=True,
                              timeout=300)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().splitlines()[-1]

    tuned, plain = digest("tuned"), digest("plain")
    assert len(tuned) == 64 and tuned == plain
