"""The parent's test of a reported training run: replayed segments, impossible jumps, the draw."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Mapping

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from grader.oracle import CNN_SHAPES, cnn_forward
from grader.replay import (
    ReplaySettings,
    adam_step_bound,
    checkpoints_from,
    choose_segments,
    jump,
    replay,
    unflatten,
)
from grader.training import (
    Checkpoint,
    LossOf,
    Recipe,
    classifier_loss,
    classifier_recipe,
    epoch_order,
    seed_everything,
    train_classifier,
)

STEPS, EVERY = 12, 4
SETTINGS = ReplaySettings(every=EVERY, segments=3, tolerance=1e-2, seed=7, threads=1, device="cpu")


class ContractCnn(nn.Module):
    """The contract's CNN, with an optional twist in training mode."""

    def __init__(self, dropout: float = 0.0) -> None:
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2))
        self.conv2 = nn.Sequential(nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2))
        self.out = nn.Linear(1568, 10)
        self.dropout = dropout

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        flat = self.conv2(self.conv1(x)).flatten(1)
        return self.out(F.dropout(flat, self.dropout, self.training)), flat


def _data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 96)
    images = rng.integers(0, 80, (96, 28, 28), dtype=np.uint8)
    images[np.arange(96), 2 * labels + 4, 4:24] = 255  # a learnable stroke per class
    return images, labels, epoch_order(96, STEPS, 16, seed=0)


def _run(model: nn.Module) -> list[Checkpoint]:
    images, labels, order = _data()
    params = dict(model.named_parameters())
    tracked = [params[name] for name in CNN_SHAPES]
    _, saved = train_classifier(model, images, labels, order, 1e-3, "cpu", tracked, EVERY)
    return saved


def _replay(checkpoints: list[Checkpoint], segments: tuple[int, ...] = (0, 1, 2)):  # type: ignore[no-untyped-def]
    images, labels, order = _data()

    def make_loss(params: Mapping[str, Tensor]) -> LossOf:
        return classifier_loss(lambda x: cnn_forward(params, x), images, labels, "cpu")

    recipe = classifier_recipe(1e-3, STEPS)
    return replay(checkpoints, list(CNN_SHAPES), make_loss, recipe, order, segments, SETTINGS)


def test_a_contract_network_replays_exactly() -> None:
    seed_everything(0)
    verdict = _replay(_run(ContractCnn()))
    assert verdict.ok and verdict.deviation == 0.0 and not verdict.jump
    assert [(s.start, s.stop) for s in verdict.segments] == [(0, 4), (4, 8), (8, 12)]
    assert "the grader reproduced your training" in verdict.text()


def test_a_network_that_trains_differently_does_not_replay() -> None:
    seed_everything(0)
    verdict = _replay(_run(ContractCnn(dropout=0.5)))
    assert not verdict.ok and verdict.deviation > 0.1
    assert "could not reproduce your training" in verdict.text() and "dropout" in verdict.text()


def test_a_frozen_layer_does_not_replay() -> None:
    seed_everything(0)
    model = ContractCnn()
    model.conv1.requires_grad_(False)  # a detached or frozen block: its weights never move
    verdict = _replay(_run(model), (1,))
    assert not verdict.ok and verdict.deviation == math.inf
    assert verdict.segments[0].tensor.startswith("conv1.0.")


def test_forged_checkpoints_are_caught_by_the_replay_or_as_a_jump() -> None:
    seed_everything(0)
    honest = _run(ContractCnn())
    seed_everything(1)
    pretrained = _run(ContractCnn())[-1].weights  # weights some other run ended with
    # Every checkpoint after the first holds the other weights: a jump no optimiser makes.
    forged = [honest[0], *(replace(c, weights=pretrained) for c in honest[1:])]
    verdict = _replay(forged)
    assert not verdict.ok and "moves by up to" in verdict.jump and "more than Adam's 4 steps can" in verdict.jump
    # A small forged move stays under the bound (the first steps of Adam come close to it), and
    # the replay sees it: here the last segment is cut short by 5%.
    short = tuple(a + 0.95 * (b - a) for a, b in zip(honest[2].weights, honest[3].weights))
    verdict = _replay([*honest[:3], replace(honest[3], weights=short)])
    assert not verdict.jump and not verdict.ok
    assert verdict.segments[2].deviation == pytest.approx(0.05 / 0.95, rel=0.01)


def test_the_adam_bound_is_reached_by_the_worst_gradients_and_never_passed() -> None:
    """Gradients growing by b2 / b1 per step make the Cauchy-Schwarz bound tight at every step;
    random ones stay below it."""
    b1, b2 = 0.9, 0.999
    worst = torch.tensor([(b2 / b1) ** i for i in range(200)], dtype=torch.float64)
    noise = torch.from_numpy(np.random.default_rng(0).standard_normal((200, 64)) * 10.0 ** np.arange(-3, 3, 6 / 64))
    for grads, tight in ((worst[:, None], True), (noise, False)):
        weight = torch.zeros(grads.shape[1], dtype=torch.float64, requires_grad=True)
        optimizer = torch.optim.Adam([weight], lr=1.0, eps=0.0)
        for step in range(200):
            before = weight.detach().clone()
            weight.grad = grads[step].clone()
            optimizer.step()
            moved = float((weight.detach() - before).abs().max())
            assert moved <= adam_step_bound(step + 1) * (1 + 1e-9)
            if tight:
                assert moved == pytest.approx(adam_step_bound(step + 1), rel=1e-9)


def test_unusable_checkpoints_are_refused_with_the_reason() -> None:
    shapes = {"w": (2, 2), "b": (2,)}
    good = np.zeros((3, 6), np.float32)
    assert len(checkpoints_from(good, good, good, (0, 4, 8), shapes)) == 3
    with pytest.raises(ValueError, match=r"expected \(3, 6\)"):
        checkpoints_from(good[:2], good, good, (0, 4, 8), shapes)
    bad = good.copy()
    bad[2, 0] = np.nan
    with pytest.raises(ValueError, match="not finite from step 8"):
        checkpoints_from(bad, good, good, (0, 4, 8), shapes)
    with pytest.raises(ValueError, match="negative second moments"):
        checkpoints_from(good, good, good - 1, (0, 4, 8), shapes)
    with pytest.raises(ValueError, match="no exp_avg"):
        checkpoints_from(good, None, good, (0, 4, 8), shapes)
    assert [a.shape for a in unflatten(np.arange(6.0), shapes)] == [(2, 2), (2,)]


def test_the_segments_include_the_first_and_last_and_depend_on_seed_and_results() -> None:
    draws = {choose_segments(30, 4, seed, digest) for seed in range(5) for digest in range(5)}
    assert all(len(d) == 4 and d[0] == 0 and d[-1] == 29 for d in draws)
    assert len(draws) > 10
    assert choose_segments(30, 4, 1, 2) == choose_segments(30, 4, 1, 2)
    assert choose_segments(5, 1, 1, 2) == (4,) and choose_segments(2, 5, 1, 2) == (0, 1)


def test_the_lr_schedule_of_the_recipe_enters_the_bound() -> None:
    """Ten Adam steps move a weight by at most about ten learning rates, early in a run."""
    checkpoints = [Checkpoint(s, (np.full(3, 0.0007 * s, np.float32),), (np.zeros(3),), (np.zeros(3),))
                   for s in (0, 10)]  # fmt: skip
    assert jump(checkpoints, ["w"], Recipe("adam", 1e-3, 10)) == ""
    assert "between steps 0 and 10" in jump(checkpoints, ["w"], Recipe("adam", 1e-4, 10))
    assert "between steps 0 and 10" in jump(checkpoints, ["w"], Recipe("adam", 1e-3, 10, "cosine"))
