"""What the child observes of a student's `pixel_shuffle` and `PixelShuffle`.

Every call into the student's code runs under a tripwire that refuses
torch's own pixel shuffle at the dispatcher, however it was reached
(`F.pixel_shuffle`, `nn.PixelShuffle`, `torch.ops.aten`, `getattr`).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import numpy as np
from torch import Tensor, nn
from torch.utils._python_dispatch import TorchDispatchMode

from grader.observations.common import Imported
from grader.observations.pixel_shuffle import (
    CaseOutcome,
    ModuleCase,
    Retrained,
    ShuffleForward,
    ShuffleGradients,
    ShuffleModule,
)
from grader.oracle import layout_view
from grader.probes.common import ProbeContext, describe, describe_exception, import_module, to_array
from grader.training import train_harness_srnet

FORBIDDEN_OPS = ("aten.pixel_shuffle", "aten.pixel_unshuffle")


class TorchPixelShuffleUsed(RuntimeError):
    """Raised inside the student's call when it reaches torch's own pixel shuffle."""


class Tripwire(TorchDispatchMode):
    def __init__(self, hits: list[str]) -> None:
        super().__init__()
        self.hits = hits

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        name = str(func.overloadpacket) if hasattr(func, "overloadpacket") else str(func)
        if any(name.startswith(op) for op in FORBIDDEN_OPS):
            self.hits.append(name)
            raise TorchPixelShuffleUsed(f"torch's own pixel shuffle was called ({name})")
        return func(*args, **(kwargs or {}))


@contextmanager
def tripwire(ctx: ProbeContext) -> Iterator[None]:
    hits: list[str] = ctx.notes.setdefault("torch_calls", [])
    with Tripwire(hits):
        yield


def imports(ctx: ProbeContext) -> Imported:
    return import_module(ctx, ("pixel_shuffle", "PixelShuffle"))


def _cases(ctx: ProbeContext, with_grad: bool) -> tuple[CaseOutcome, ...]:
    function = ctx.require("pixel_shuffle")
    results: list[CaseOutcome] = []
    for index, case in enumerate(ctx.config["cases"]):
        base = ctx.tensor(f"case{index}_x")
        base.requires_grad_(with_grad)
        try:
            with tripwire(ctx):
                out = function(layout_view(base, case["layout"], tuple(case["shape"])), case["factor"])
                if with_grad:
                    if not isinstance(out, Tensor) or out.grad_fn is None:
                        raise RuntimeError("the output is not connected to the input's graph")
                    out.backward(ctx.tensor(f"case{index}_g"))
            # The array first: an output that is no tensor must give one error entry, not two.
            if with_grad:
                value = to_array(base.grad) if base.grad is not None else np.zeros(0)
            else:
                value = to_array(out)
            results.append(CaseOutcome(ok=True, output=describe(out), value=value))
        except Exception as exc:
            results.append(CaseOutcome(ok=False, error=describe_exception(exc, ctx.scratch)))
    return tuple(results)


def _torch_calls(ctx: ProbeContext) -> int:
    return len(ctx.notes.get("torch_calls", []))


def forward(ctx: ProbeContext) -> ShuffleForward:
    return ShuffleForward(_cases(ctx, with_grad=False), _torch_calls(ctx))


def gradients(ctx: ProbeContext) -> ShuffleGradients:
    return ShuffleGradients(_cases(ctx, with_grad=True), _torch_calls(ctx))


def module(ctx: ProbeContext) -> ShuffleModule:
    module_class = ctx.require("PixelShuffle")
    cases: list[ModuleCase] = []
    for factor in ctx.config["module_factors"]:
        with tripwire(ctx):
            layer = module_class(factor)
            is_module = isinstance(layer, nn.Module)
            n_state = len(layer.state_dict()) if is_module else -1
            x = ctx.tensor(f"module_x{factor}")
            direct = layer(x)
            inside = nn.Sequential(nn.Identity(), layer)(x) if is_module else direct
        cases.append(ModuleCase(int(factor), is_module, n_state, to_array(direct), to_array(inside)))
    return ShuffleModule(tuple(cases), _torch_calls(ctx))


def retrain(ctx: ProbeContext) -> Retrained:
    layer = ctx.require("PixelShuffle")(int(ctx.config["retrain_factor"]))
    with tripwire(ctx):
        log, weights = train_harness_srnet(ctx.inputs, ctx.config, ctx.device, layer)
    return Retrained(log.losses, weights)


PROBES = {
    "import": imports,
    "forward": forward,
    "gradients": gradients,
    "module": module,
    "retrain": retrain,
}
