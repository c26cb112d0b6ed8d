"""In Part 3's child torch's own pixel shuffle returns the marker NaN, however it is reached.

Each test installs the poison in this process and removes it after, checking that torch
works again (the rest of the suite needs it)."""

from __future__ import annotations

import io
import pickle
import threading
from typing import Iterator

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from grader.probes.shuffle_poison import TorchPixelShuffleDisabled, install
from grader.shuffle_marker import carries_marker


@pytest.fixture()
def poisoned() -> Iterator[None]:
    x = torch.randn(2, 8, 3, 4)
    before = F.pixel_shuffle(x, 2)
    installed = install()
    try:
        yield
    finally:
        installed.remove()
    assert torch.equal(F.pixel_shuffle(x, 2), before), "torch's pixel shuffle was not restored"


def marked(tensor: torch.Tensor) -> bool:
    return carries_marker(tensor.detach().cpu().numpy())


def routes() -> dict[str, object]:
    import torch._refs.nn.functional as refs

    def in_thread(x: torch.Tensor) -> torch.Tensor:
        out: list[torch.Tensor] = []
        worker = threading.Thread(target=lambda: out.append(F.pixel_shuffle(x, 2)))
        worker.start()
        worker.join()
        return out[0]

    def modes_off(x: torch.Tensor) -> torch.Tensor:
        from torch.utils._python_dispatch import _disable_current_modes

        with torch._C._DisableTorchDispatch(), _disable_current_modes():
            return F.pixel_shuffle(x, 2)

    def unpickled(x: torch.Tensor) -> torch.Tensor:
        buffer = io.BytesIO()
        pickle.dump(nn.PixelShuffle(2), buffer)
        return pickle.loads(buffer.getvalue())(x)  # noqa: S301 - the route a student could take

    return {
        "F.pixel_shuffle": lambda x: F.pixel_shuffle(x, 2),
        "torch.pixel_shuffle": lambda x: torch.pixel_shuffle(x, 2),
        "nn.PixelShuffle": lambda x: nn.PixelShuffle(2)(x),
        "torch.ops.aten": lambda x: torch.ops.aten.pixel_shuffle(x, 2),
        "torch.ops.aten default": lambda x: torch.ops.aten.pixel_shuffle.default(x, 2),
        "out variant": lambda x: torch.ops.aten.pixel_shuffle.out(x, 2, out=torch.empty(2, 2, 6, 8)),
        "torch._refs": lambda x: refs.pixel_shuffle(x, 2),
        "another thread": in_thread,
        "dispatch modes off": modes_off,
        "a pickled module": unpickled,
        "vmap": lambda x: torch.func.vmap(lambda t: F.pixel_shuffle(t, 2))(x[None])[0],
        "unshuffle": lambda x: F.pixel_unshuffle(F.pixel_shuffle(x, 2), 2),
    }


@pytest.mark.parametrize("route", list(routes()))
def test_every_route_to_torchs_pixel_shuffle_gives_the_marker(route: str, poisoned: None) -> None:
    out = routes()[route](torch.randn(2, 8, 3, 4))  # type: ignore[operator]
    assert marked(out), route


def test_the_output_has_the_right_shape_and_the_gradient_is_marked_too(poisoned: None) -> None:
    x = torch.randn(2, 18, 3, 4, dtype=torch.float64, requires_grad=True)
    out = F.pixel_shuffle(x, 3)
    assert out.shape == (2, 2, 9, 12) and marked(out)
    out.backward(torch.randn_like(out))
    assert x.grad is not None and marked(x.grad)
    assert marked(out.float()) and marked(-out)  # casts and negation keep the marker


def test_a_dtype_without_a_marker_raises(poisoned: None) -> None:
    with pytest.raises(TorchPixelShuffleDisabled, match="disabled while Part 3 is graded"):
        F.pixel_shuffle(torch.zeros(1, 4, 2, 2, dtype=torch.int64), 2)


def test_einops_is_untouched(poisoned: None) -> None:
    from einops import rearrange

    x = torch.randn(2, 8, 3, 4)
    out = rearrange(x, "... (c h2 w2) h w -> ... c (h h2) (w w2)", h2=2, w2=2)
    assert not marked(out) and not np.isnan(out.numpy()).any()
