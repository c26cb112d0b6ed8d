"""The grader's Adam and AdamW give torch.optim's weights bit for bit, without loading torch._dynamo."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
import torch
from torch import nn

from grader.optim import adam, adamw


def small_net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 2, 3), nn.Flatten(), nn.Linear(72, 3))


def train(net: nn.Module, optimizer: object, schedule: object = None, lr_of: object = None, steps: int = 25) -> None:
    generator = torch.Generator().manual_seed(1)
    for step in range(steps):
        x = torch.rand(5, 1, 8, 8, generator=generator)
        target = torch.randint(0, 3, (5,), generator=generator)
        optimizer.zero_grad()  # type: ignore[attr-defined]
        nn.functional.cross_entropy(net(x), target).backward()
        if lr_of is not None:
            optimizer.lr = lr_of(step)  # type: ignore[attr-defined]
        optimizer.step()  # type: ignore[attr-defined]
        if schedule is not None:
            schedule.step()  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", ["adam", "adamw"])
def test_same_weights_as_torch_optim_bit_for_bit(kind: str) -> None:
    ours, theirs = small_net(), small_net()
    make = {"adam": (adam, torch.optim.Adam), "adamw": (adamw, torch.optim.AdamW)}[kind]
    train(ours, make[0](ours.parameters(), lr=3e-3))
    train(theirs, make[1](theirs.parameters(), lr=3e-3))
    for a, b in zip(ours.parameters(), theirs.parameters()):
        assert torch.equal(a, b)


def test_a_changing_learning_rate_matches_a_lambda_schedule() -> None:
    ours, theirs = small_net(), small_net()
    decay = lambda step: 0.5 * (1.0 + math.cos(math.pi * step / 25))  # noqa: E731
    reference = torch.optim.Adam(theirs.parameters(), lr=2.5e-3)
    train(theirs, reference, torch.optim.lr_scheduler.LambdaLR(reference, decay))
    train(ours, adam(ours.parameters(), lr=2.5e-3), lr_of=lambda step: 2.5e-3 * decay(step))
    for a, b in zip(ours.parameters(), theirs.parameters()):
        assert torch.equal(a, b)


def test_parameters_without_gradient_are_left_alone() -> None:
    net = small_net()
    frozen = net[0].weight.detach().clone()
    net[0].weight.requires_grad_(False)
    train(net, adamw([p for p in net.parameters()], lr=1e-2), steps=3)
    assert torch.equal(net[0].weight, frozen)


def test_training_with_it_never_loads_torch_dynamo() -> None:
    code = ("import sys, torch; from grader.optim import adamw\n"
            "net = torch.nn.Linear(3, 1); opt = adamw(net.parameters(), 1e-3)\n"
            "net(torch.ones(2, 3)).sum().backward(); opt.step()\n"
            "print('torch._dynamo' in sys.modules)")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
