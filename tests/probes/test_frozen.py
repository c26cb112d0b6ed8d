"""The retrain's training code is bound before student code runs: later assignments do not reach it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import grader.oracle as oracle
import grader.training as training
from grader.oracle import random_params, srnet_shapes
from grader.probes.frozen import freeze


def retrain_arrays() -> tuple[dict[str, np.ndarray], dict[str, object]]:
    rng = np.random.default_rng(0)
    arrays = {f"harness_{k}": v for k, v in random_params(srnet_shapes(3), 1).items()}
    arrays.update(retrain_low=rng.integers(0, 255, (8, 6, 6)).astype(np.uint8),
                  retrain_high=rng.integers(0, 255, (8, 18, 18)).astype(np.uint8),
                  retrain_order=training.epoch_order(8, 2, 4, 0))  # fmt: skip
    return arrays, {"retrain_factor": 3, "retrain_seed": 5, "retrain_lr": 1e-3}


def test_replacing_grader_helpers_after_freezing_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    arrays, config = retrain_arrays()
    _, honest = training.train_harness_srnet(arrays, config, "cpu", torch.nn.PixelShuffle(3))
    frozen = freeze(training.train_harness_srnet, training, oracle)

    def forged(*args: object, **kwargs: object) -> None:
        raise AssertionError("the frozen copy called a replaced helper")

    monkeypatch.setattr(training, "train_superres", forged)
    monkeypatch.setattr(training, "seed_everything", forged)
    monkeypatch.setattr(oracle, "srnet_forward", forged)
    monkeypatch.setattr(training.HarnessSRNet, "forward", forged)
    _, weights = frozen(arrays, config, "cpu", torch.nn.PixelShuffle(3))
    assert honest.keys() == weights.keys()
    assert all(np.array_equal(honest[k], weights[k]) for k in honest)


def test_only_functions_of_the_given_modules_can_be_frozen() -> None:
    with pytest.raises(ValueError):
        freeze(np.zeros, training)
