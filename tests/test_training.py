"""The shared training loop: batch order, metrics, and that training learns."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from grader.oracle import random_params, srnet_shapes
from grader.training import (
    HarnessSRNet,
    accuracy,
    epoch_order,
    logits_of,
    predict_classifier,
    seed_everything,
    train_classifier,
    train_superres,
    upscale_images,
)


class TinyClassifier(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(28 * 28, 10)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        flat = x.flatten(1)
        return self.linear(flat), flat


def test_epoch_order_visits_every_item_once_per_epoch() -> None:
    order = epoch_order(10, steps=5, batch_size=4, seed=3)
    assert order.shape == (5, 4) and order.dtype == np.int64
    flat = order.ravel()
    assert sorted(flat[:10].tolist()) == list(range(10))
    assert sorted(flat[10:20].tolist()) == list(range(10))
    assert np.array_equal(order, epoch_order(10, 5, 4, seed=3))
    assert not np.array_equal(order, epoch_order(10, 5, 4, seed=4))


def test_accuracy_and_logits_of() -> None:
    assert accuracy(np.eye(3), np.array([0, 1, 0])) == pytest.approx(2 / 3)
    t = torch.zeros(2, 10)
    assert logits_of((t, None)) is t and logits_of(t) is t
    with pytest.raises(TypeError, match="expected a tensor"):
        logits_of("logits")


def test_classifier_training_lowers_the_loss_and_predicts() -> None:
    seed_everything(0)
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 256)
    images = np.zeros((256, 28, 28), dtype=np.uint8)
    images[np.arange(256), labels, :] = 255  # the label is written as a bright row
    model = TinyClassifier()
    log = train_classifier(model, images, labels, epoch_order(256, 40, 32, 0), 1e-2, "cpu")
    assert len(log.losses) == 40 and log.last < log.first / 4
    logits, embedding = predict_classifier(model, images, "cpu", batch_size=100)
    assert logits.shape == (256, 10) and embedding is not None and embedding.shape == (256, 784)
    assert accuracy(logits, labels) > 0.9


def test_superres_training_is_deterministic_and_learns() -> None:
    rng = np.random.default_rng(0)
    low = rng.integers(0, 256, (32, 6, 6), dtype=np.uint8)
    high = np.kron(low, np.ones((2, 2), dtype=np.uint8))  # nearest-neighbour targets
    params = random_params(srnet_shapes(2), seed=0)
    order = epoch_order(32, 30, 8, 0)
    runs = []
    for _ in range(2):
        seed_everything(0)
        net = HarnessSRNet(params, nn.PixelShuffle(2))
        log = train_superres(net, low, high, order, 1e-3, "cpu")
        runs.append([p.detach().clone() for p in net.parameters()])
    assert log.last < log.first
    assert all(torch.equal(a, b) for a, b in zip(*runs))
    (out,) = upscale_images(net, [low[0].astype(np.float32) / 255], "cpu")
    assert out.shape == (1, 1, 12, 12) and out.dtype == np.float32
