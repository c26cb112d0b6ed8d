"""What the child observes of a student's `pixel_shuffle` and `PixelShuffle`.

The probes only observe: whether torch's own pixel shuffle was used shows in
the values themselves, since the child poisons it before the student's module
is imported (`grader.probes.shuffle_poison`, installed by the child). What the
retrain needs is bound before any student code runs: the training code is a
frozen copy held in the probe's closure, made when this module is imported (in
the zygote), and the child takes its table of probes before the student's
module runs; the student's two names are taken from their module once, right
after it ran.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from torch import Tensor, nn

import grader.oracle
import grader.training
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
from grader.probes.common import (
    Probe,
    ProbeContext,
    backward_from,
    describe,
    describe_exception,
    import_module,
    to_array,
)
from grader.probes.frozen import freeze

NAMES = ("pixel_shuffle", "PixelShuffle")


def imports(ctx: ProbeContext) -> Imported:
    imported = import_module(ctx, NAMES)
    # Every later probe calls these objects, whatever the module's names point to by then.
    ctx.notes["names"] = {name: getattr(ctx.module, name) for name in NAMES}
    return imported


def _name(ctx: ProbeContext, name: str) -> Any:
    ctx.require(name)  # NotRun with the reason when the module did not import
    return ctx.notes["names"][name]


def _cases(ctx: ProbeContext, with_grad: bool) -> tuple[CaseOutcome, ...]:
    function = _name(ctx, "pixel_shuffle")
    results: list[CaseOutcome] = []
    for index, case in enumerate(ctx.config["cases"]):
        base = ctx.tensor(f"case{index}_x")
        base.requires_grad_(with_grad)
        try:
            out = function(layout_view(base, case["layout"], tuple(case["shape"])), case["factor"])
            if with_grad:
                if not isinstance(out, Tensor) or out.grad_fn is None:
                    raise RuntimeError("the output is not connected to the input's graph")
                backward_from(out, ctx.tensor(f"case{index}_g"))
            # The array first: an output that is no tensor must give one error entry, not two.
            if with_grad:
                value = to_array(base.grad) if base.grad is not None else np.zeros(0)
            else:
                value = to_array(out)
            results.append(CaseOutcome(ok=True, output=describe(out), value=value))
        except Exception as exc:
            results.append(CaseOutcome(ok=False, error=describe_exception(exc, ctx.scratch)))
    return tuple(results)


def forward(ctx: ProbeContext) -> ShuffleForward:
    return ShuffleForward(_cases(ctx, with_grad=False))


def gradients(ctx: ProbeContext) -> ShuffleGradients:
    return ShuffleGradients(_cases(ctx, with_grad=True))


def module(ctx: ProbeContext) -> ShuffleModule:
    module_class = _name(ctx, "PixelShuffle")
    cases: list[ModuleCase] = []
    for factor in ctx.config["module_factors"]:
        layer = module_class(factor)
        is_module = isinstance(layer, nn.Module)
        n_state = len(layer.state_dict()) if is_module else -1
        x = ctx.tensor(f"module_x{factor}")
        direct = layer(x)
        inside = nn.Sequential(nn.Identity(), layer)(x) if is_module else direct
        cases.append(ModuleCase(int(factor), is_module, n_state, to_array(direct), to_array(inside)))
    return ShuffleModule(tuple(cases))


def _retrain_probe() -> Probe:
    """The retrain probe, holding a frozen copy of the training code in its closure: made when
    this module is imported (in the zygote), so neither replacing `grader.training`'s functions
    nor this module's names afterwards changes what it runs."""
    train = freeze(grader.training.train_harness_srnet, grader.training, grader.oracle)

    def retrain(ctx: ProbeContext) -> Retrained:
        layer = _name(ctx, "PixelShuffle")(int(ctx.config["retrain_factor"]))
        log, weights = train(ctx.inputs, ctx.config, ctx.device, layer)
        return Retrained(log.losses, weights)

    return retrain


retrain = _retrain_probe()


PROBES = {
    "import": imports,
    "forward": forward,
    "gradients": gradients,
    "module": module,
    "retrain": retrain,
}
