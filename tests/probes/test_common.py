"""The probes' shared helpers: a backward pass from a given gradient, as torch's own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from grader.probes.common import backward_from

REPO = Path(__file__).resolve().parents[2]


def gradients(upstream_dtype: torch.dtype, ours: bool) -> list[torch.Tensor]:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 4, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 14 * 14, 10))
    out = net(torch.rand(8, 1, 28, 28))
    upstream = torch.randn(8, 10, generator=torch.Generator().manual_seed(1)).to(upstream_dtype)
    if ours:
        backward_from(out, upstream)
    else:
        out.backward(upstream)
    return [p.grad for p in net.parameters()]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_the_gradients_are_torch_s_bit_for_bit(dtype: torch.dtype) -> None:
    for theirs, ours in zip(gradients(dtype, ours=False), gradients(dtype, ours=True)):
        assert torch.equal(theirs, ours)


def test_a_pixel_shuffle_s_input_gradient_is_torch_s() -> None:
    x = torch.randn(2, 18, 4, 5, requires_grad=True)
    g = torch.randn(2, 2, 12, 15)
    nn.functional.pixel_shuffle(x, 3).backward(g)
    expected, x.grad = x.grad, None
    backward_from(nn.functional.pixel_shuffle(x, 3), g)
    assert torch.equal(x.grad, expected)


def test_a_shape_that_differs_fails_as_torch_does() -> None:
    out = torch.rand(4, 3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"Mismatch in shape: grad_output\[0\] has a shape of torch.Size\(\[3, 4\]\)"):
        backward_from(out, torch.ones(3, 4))


def test_it_skips_torch_s_import_of_symbolic_shapes() -> None:
    code = ("import sys, torch; from grader.probes.common import backward_from; "
            "x = torch.rand(3, requires_grad=True); backward_from(x * 2, torch.ones(3)); "
            "print('torch.fx.experimental.symbolic_shapes' in sys.modules)")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
