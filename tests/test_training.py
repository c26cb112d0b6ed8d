"""The shared training loop: batch order, metrics, and that training learns."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from grader.oracle import random_params, srnet_shapes
from grader.training import (
    HarnessSRNet,
    Recipe,
    accuracy,
    checkpoint_steps,
    classifier_loss,
    epoch_order,
    fit,
    logits_of,
    predict_classifier,
    replay_settings,
    seed_everything,
    superres_recipe,
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
    log, checkpoints = train_classifier(model, images, labels, epoch_order(256, 40, 32, 0), 1e-2, "cpu")
    assert checkpoints == [] and len(log.losses) == 40 and log.last < log.first / 4
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
        log, _ = train_superres(net, low, high, order, 1e-3, "cpu")
        runs.append([p.detach().clone() for p in net.parameters()])
    assert log.last < log.first
    assert all(torch.equal(a, b) for a, b in zip(*runs))
    (out,) = upscale_images(net, [low[0].astype(np.float32) / 255], "cpu")
    assert out.shape == (1, 1, 12, 12) and out.dtype == np.float32


def _digits() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 10, 128)
    images = rng.integers(0, 60, (128, 28, 28), dtype=np.uint8)
    images[np.arange(128), labels * 2, :] = 255
    return images, labels


def test_checkpoints_hold_the_weights_and_adam_state_that_resume_the_run_bit_for_bit() -> None:
    """What the parent's replay relies on: resuming from a checkpoint retraces the run exactly."""
    images, labels = _digits()
    order = epoch_order(128, 25, 16, 0)
    seed_everything(0)
    model = TinyClassifier()
    params = list(model.parameters())
    log, saved = train_classifier(model, images, labels, order, 1e-2, "cpu", tracked=params, every=10)
    assert [c.step for c in saved] == list(checkpoint_steps(25, 10)) == [0, 10, 20, 25]
    assert not np.any(saved[0].exp_avg[0]) and np.any(saved[1].exp_avg[0]) and np.all(saved[1].exp_avg_sq[0] >= 0)
    assert np.array_equal(saved[-1].weights[0], model.linear.weight.detach().numpy())

    again = TinyClassifier()
    again_params = list(again.parameters())
    loss_of = classifier_loss(again, images, labels, "cpu")
    recipe = Recipe("adamw", 1e-2, 25)
    resumed, out = fit(loss_of, again_params, recipe, order, "cpu", start=saved[1], stop=20, tracked=again_params,
                       every=10)  # fmt: skip
    assert [c.step for c in out] == [20]
    assert all(np.array_equal(a, b) for a, b in zip(out[0].weights, saved[2].weights))
    assert all(np.array_equal(a, b) for a, b in zip(out[0].exp_avg_sq, saved[2].exp_avg_sq))
    assert resumed.losses == log.losses[10:20]


def test_the_loop_trains_as_torch_optim_does_bit_for_bit() -> None:
    """The loop steps with `grader.optim` (no torch._dynamo): the assignment's AdamW and the
    example's Adam with its LambdaLR cosine give the very weights torch.optim gives, so the
    calibrated values and a student's own notebook run are unchanged."""
    images, labels = _digits()
    order = epoch_order(128, 12, 16, 0)
    for recipe in (Recipe("adamw", 1e-2, 12), superres_recipe(1e-2, 12)):
        seed_everything(0)
        ours, theirs = TinyClassifier(), TinyClassifier()
        theirs.load_state_dict(ours.state_dict())
        fit(classifier_loss(ours, images, labels, "cpu"), list(ours.parameters()), recipe, order, "cpu")
        kind = torch.optim.AdamW if recipe.optimizer == "adamw" else torch.optim.Adam
        optimizer = kind(theirs.parameters(), lr=recipe.lr)
        schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda t: recipe.lr_at(t) / recipe.lr)
        loss_of = classifier_loss(theirs, images, labels, "cpu")
        for step in range(12):
            optimizer.zero_grad()
            loss_of(torch.from_numpy(order[step])).backward()
            optimizer.step()
            schedule.step()
        assert all(torch.equal(a, b) for a, b in zip(ours.parameters(), theirs.parameters())), recipe


def test_a_cosine_schedule_is_the_lambda_schedule_of_the_pytorch_example() -> None:
    recipe = superres_recipe(2.0, 10)
    assert recipe.optimizer == "adam" and recipe.weight_decay == 0.0
    assert recipe.lr_at(0) == 2.0 and recipe.lr_at(5) == pytest.approx(1.0) and recipe.lr_at(10) == 0.0
    optimizer = torch.optim.Adam([torch.zeros(1, requires_grad=True)], lr=2.0)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda t: 0.5 * (1.0 + math.cos(math.pi * t / 10)))
    for step in range(10):
        assert optimizer.param_groups[0]["lr"] == recipe.lr_at(step)
        optimizer.step()
        schedule.step()


def test_replay_settings_pin_threads_and_determinism_and_restore_them() -> None:
    threads = torch.get_num_threads()
    with replay_settings(1):
        assert torch.get_num_threads() == 1 and torch.are_deterministic_algorithms_enabled()
    assert torch.get_num_threads() == threads


def test_replay_settings_hold_until_the_last_of_several_threads_leaves() -> None:
    """Grades scored at once (batch --jobs, calibrate --jobs): the first replay to finish must not
    switch deterministic kernels off (a process-wide switch) while another still replays."""
    import threading

    before = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(False)
    inside, first_left = threading.Barrier(2, timeout=30), threading.Event()
    seen: list[tuple[int, bool]] = []

    def short() -> None:
        with replay_settings(1):
            inside.wait()
        first_left.set()

    def long() -> None:
        with replay_settings(1):
            inside.wait()
            first_left.wait(timeout=30)
            seen.append((torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()))

    try:
        threads = [threading.Thread(target=short), threading.Thread(target=long)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert seen == [(1, True)]
        assert not torch.are_deterministic_algorithms_enabled()
    finally:
        torch.use_deterministic_algorithms(before)
