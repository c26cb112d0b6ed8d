"""Part 3's child: torch's own pixel shuffle returns the grader's marker, however it is reached.

Before any student code runs, the child registers its own kernels for
`aten::pixel_shuffle` and `aten::pixel_unshuffle` at the dispatcher, on the
CPU and CUDA keys and on the composite key every other backend falls back
to. Every route to torch's op ends there: `F.pixel_shuffle`,
`nn.PixelShuffle`, `torch.ops.aten`, a pickled module, any thread, with
Python dispatch modes switched off, and the backward pass (pixel shuffle's
gradient is pixel unshuffle and the reverse). The kernels return tensors of
the right shape filled with the marker NaN of `grader.shuffle_marker`, which
the parent recognises in the arrays that come back: the fact rests on values,
not on a counter the child reports. torch's Python re-implementations
(`torch._refs`, the decomposition table) are replaced by the same function.

Installed by `grader.sandbox.child` for the Part 3 child only, never at
import: the super-resolution part uses `nn.PixelShuffle` rightly, and tests
that run probes in the test process must keep torch intact.
"""

from __future__ import annotations

import os
import sys
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import torch
from torch import Tensor

from grader.shuffle_marker import BITS32, BITS64

OPS = ("pixel_shuffle", "pixel_unshuffle")
KEYS = ("CPU", "CUDA", "CompositeExplicitAutogradNonFunctional")
NOTICE = (b"cnn-grader: torch's own pixel shuffle was called. It is disabled while Part 3 is graded "
          b"and returns NaN here, so it earns no points: write it with einops.rearrange.\n")  # fmt: skip
# Added to a failed step's message once the poisoned kernel ran: a self-test comparing with torch's
# pixel shuffle (an `assert` at the top of the file, say) fails there, and the traceback alone does not say why.
CALLED_HINT = ("torch's own pixel shuffle was called; while Part 3 is graded it returns NaN, so a comparison "
               "with it fails: keep such self-tests under `if __name__ == \"__main__\":`")  # fmt: skip


_ALIVE: list["Installed"] = []


class TorchPixelShuffleDisabled(RuntimeError):
    """torch's pixel shuffle reached with a dtype that has no marker NaN (integers, half floats)."""


def _marked(shape: tuple[int, ...], like: Tensor) -> Tensor:
    if like.dtype == torch.float32:
        bits = torch.full(shape, BITS32, dtype=torch.int32)  # below 2**31: a positive int32
    elif like.dtype == torch.float64:
        bits = torch.full(shape, BITS64, dtype=torch.int64)
    else:
        raise TorchPixelShuffleDisabled(NOTICE.decode().strip())
    return bits.view(like.dtype).to(like.device).clone()


def _out_shape(name: str, shape: tuple[int, ...], factor: int) -> tuple[int, ...]:
    *lead, c, h, w = shape
    if name == "pixel_shuffle":
        return (*lead, c // (factor * factor), h * factor, w * factor)
    return (*lead, c * factor * factor, h // factor, w // factor)


@dataclass
class _Notice:
    """Say once on stderr (fd 2: the submission may have replaced sys.stderr) why NaN came back."""

    said: bool = False

    def say(self) -> None:
        if not self.said:
            self.said = True
            try:
                os.write(2, NOTICE)
            except OSError:
                pass


def _kernel(name: str, notice: _Notice) -> Callable[..., Tensor]:
    def poisoned(x: Tensor, factor: int) -> Tensor:
        notice.say()
        if x.dim() < 3:
            raise RuntimeError(f"{name} expects at least 3 dimensions, got {x.dim()}")
        return _marked(_out_shape(name, tuple(x.shape), int(factor)), x)

    poisoned.__name__ = f"{name}_disabled_by_cnn_grader"
    return poisoned


@dataclass
class Installed:
    """What `install` changed; `remove` undoes it (for tests; the child never does)."""

    library: Any
    notice: _Notice
    replaced: list[tuple[Any, str, Any]] = field(default_factory=list)  # (owner, key, original)

    def remove(self) -> None:
        for owner, key, original in reversed(self.replaced):
            if isinstance(owner, dict):
                owner[key] = original
            else:
                setattr(owner, key, original)
        self.replaced.clear()
        self.library._destroy()
        if self in _ALIVE:
            _ALIVE.remove(self)


def install() -> Installed:
    """Poison torch's pixel shuffle in this process (see the module docstring)."""
    notice = _Notice()
    kernels = {name: _kernel(name, notice) for name in OPS}
    library = torch.library.Library("aten", "IMPL")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "overriding a previously registered kernel": that is the point
        for name, kernel in kernels.items():
            for key in KEYS:
                try:
                    library.impl(name, kernel, key)
                except (RuntimeError, ValueError):  # pragma: no cover - a torch built without this key
                    pass
    installed = Installed(library, notice)
    _replace_python_versions(installed, kernels)
    _ALIVE.append(installed)  # a Library that is garbage-collected takes its kernels with it
    return installed


def called() -> bool:
    """Whether a poisoned kernel has run in this process."""
    return any(installed.notice.said for installed in _ALIVE)


def _replace_python_versions(installed: Installed, kernels: dict[str, Callable[..., Tensor]]) -> None:
    """torch's Python re-implementations run without the kernel: a pickle or a lookup could reach them."""
    refs = sys.modules.get("torch._refs.nn.functional")
    for name, kernel in kernels.items():
        if refs is not None and hasattr(refs, name):
            installed.replaced.append((refs, name, getattr(refs, name)))
            setattr(refs, name, kernel)
    decomp = sys.modules.get("torch._decomp")
    table = getattr(decomp, "decomposition_table", None) if decomp is not None else None
    if isinstance(table, dict):
        for op, function in list(table.items()):
            name = str(getattr(op, "name", lambda: "")())
            base = name.split("::")[-1].split(".")[0]
            if base in kernels and name.endswith(base):  # the functional overload, not `.out`
                installed.replaced.append((table, op, function))
                table[op] = kernels[base]
