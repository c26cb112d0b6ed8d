"""A faster CPU max pooling with identical results: the CNN's training spends a third of its time there.

torch's CPU kernel for `aten::max_pool2d_with_indices` on a contiguous (N, C, H, W) tensor
walks one channel at a time; its kernel for channels-last tensors walks the channels in
vector registers and is about three times faster on the CNN's 2 x 2 pools. Both visit each
window in the same order and keep the first maximum (NaN wins), so they return the same
values and the same indices: the gradient (routed by the indices) and every trained weight
are the same bits (`tests/test_fast_pool.py`). `install` registers a CPU kernel that runs
contiguous 4-D inputs through the channels-last kernel and hands back contiguous results;
every other input goes to torch's kernel unchanged (through its `out=` form, which this does
not replace). Student code calling `F.max_pool2d` or `nn.MaxPool2d` reaches it like any other
caller; the backward pass is torch's own.

A performance measure only, never part of a check: the training children install it before
student code runs, the parent before it evaluates and replays, a benchmark around the
grader's loop.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

import torch
from torch import Tensor

from grader.held import Held

OP = "max_pool2d_with_indices"


def _pool(x: Tensor, kernel_size: Sequence[int], stride: Sequence[int] = (), padding: Sequence[int] = (0,),
          dilation: Sequence[int] = (1,), ceil_mode: bool = False) -> tuple[Tensor, Tensor]:  # fmt: skip
    """torch's schema: max_pool2d_with_indices(self, kernel_size, stride=[], padding=0, dilation=1, ceil_mode=False)."""
    fast = x.dim() == 4 and x.size(1) > 1 and x.is_contiguous() and x.is_floating_point()
    source = x.contiguous(memory_format=torch.channels_last) if fast else x
    values = torch.empty(0, dtype=x.dtype, device=x.device)
    indices = torch.empty(0, dtype=torch.int64, device=x.device)
    torch.ops.aten.max_pool2d_with_indices.out(source, kernel_size, stride, padding, dilation, ceil_mode,
                                               out=values, indices=indices)  # fmt: skip
    if fast:
        return values.contiguous(), indices.contiguous()
    return values, indices


@dataclass
class Installed:
    """The registration; `remove` gives torch its own kernel back (tests and benchmarks)."""

    library: Any

    def remove(self) -> None:
        self.library._destroy()


def install() -> Installed:
    """Route this process's CPU max pooling through `_pool` for as long as the result is kept."""
    library = torch.library.Library("aten", "IMPL")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "overriding a previously registered kernel": that is the point
        library.impl(OP, _pool, "CPU")
    return Installed(library)


# Through the module's `install` at each first entry (tests replace it).
_SHARED: Held[Installed] = Held(lambda: install(), lambda handle: handle.remove())


@contextmanager
def installed() -> Iterator[None]:
    """`install` for a while (registering costs microseconds): the parent's scoring of a part.

    Threads may overlap (a batch's grades, a calibration's): torch's dispatcher holds one kernel
    per key, so the first to enter installs and the last to leave removes (`grader.held`).
    """
    with _SHARED():
        yield
