"""What the child observes of a student's `SuperResolutionNet`."""

from __future__ import annotations

import torch

from grader.observations.common import Imported
from grader.observations.srnet import (
    FactorEquivalence,
    NetBuild,
    SrnetBuild,
    SrnetEquivalence,
    SrnetPublicEquivalence,
    SrnetShapes,
    SrnetTraining,
)
from grader.oracle import srnet_shapes
from grader.probes.common import (
    ProbeContext,
    contract_parameters,
    describe,
    import_module,
    load_weights,
    parameter_gradients,
    parameter_shapes,
    stacked_checkpoints,
    to_array,
)
from grader.training import seed_everything, train_superres


def imports(ctx: ProbeContext) -> Imported:
    return import_module(ctx, ("SuperResolutionNet",))


def build(ctx: ProbeContext) -> SrnetBuild:
    net_class = ctx.require("SuperResolutionNet")
    nets = []
    for factor in ctx.config["factors"]:
        net = net_class(factor)
        is_module = isinstance(net, torch.nn.Module)
        shuffle = getattr(net, "pixel_shuffle", None)
        nets.append(NetBuild(
            factor=int(factor),
            is_module=is_module,
            state_dict=parameter_shapes(net) if is_module else {},
            pixel_shuffle=type(shuffle).__name__ if shuffle is not None else None,
            calls_pixel_shuffle=calls_pixel_shuffle(net) if is_module else None,
        ))  # fmt: skip
    return SrnetBuild(tuple(nets))


class CallCounter(torch.nn.Module):
    """Stands in for `net.pixel_shuffle` and forwards to it, counting the calls."""

    def __init__(self, inner: object) -> None:
        super().__init__()
        self.inner = inner
        self.calls = 0

    def forward(self, x: torch.Tensor) -> object:
        self.calls += 1
        return self.inner(x)  # type: ignore[operator]


def calls_pixel_shuffle(net: torch.nn.Module) -> bool | None:
    """Whether `forward` goes through `net.pixel_shuffle`, where the grader may plug in the
    student's own module; None when there is none or forward fails (other checks say why)."""
    inner = getattr(net, "pixel_shuffle", None)
    if not isinstance(inner, torch.nn.Module):
        return None
    counter = CallCounter(inner)
    try:
        net.pixel_shuffle = counter
        with torch.no_grad():
            net(torch.zeros(1, 1, 12, 12))  # 12: still positive after four unpadded convolutions
    except Exception:  # noqa: BLE001 - a forward that fails is judged by the shape checks
        return None
    finally:
        net.pixel_shuffle = inner
    return counter.calls > 0


def shapes(ctx: ProbeContext) -> SrnetShapes:
    net_class = ctx.require("SuperResolutionNet")
    outputs = []
    with torch.no_grad():
        for index, case in enumerate(ctx.config["shape_cases"]):
            net = net_class(case["factor"]).to(ctx.device).eval()
            outputs.append(describe(net(ctx.tensor(f"shape_x{index}"))))
    return SrnetShapes(tuple(outputs))


def _equivalence(ctx: ProbeContext, prefix: str, factors: list[int]) -> tuple[FactorEquivalence, ...]:
    """Per factor, the grader's weights loaded: the output in eval mode, then in train mode
    (the mode training uses) with the gradients of the grader's upstream gradient."""
    net_class = ctx.require("SuperResolutionNet")
    seen = []
    for factor in factors:
        net = net_class(factor)
        names = list(srnet_shapes(factor))
        loaded = load_weights(net, {name: ctx.tensor(f"{prefix}w{factor}_{name}").cpu() for name in names})
        net.to(ctx.device)
        x = ctx.tensor(f"{prefix}x{factor}")
        with torch.no_grad():
            evaluated = net.eval()(x)
        torch.manual_seed(int(ctx.config["train_mode_seed"]))
        output = net.train()(x)
        problem, grads = parameter_gradients(net, output, ctx.tensor(f"{prefix}g{factor}"), names)
        seen.append(FactorEquivalence(
            factor=int(factor), loaded=loaded, eval_output=describe(evaluated), train_output=describe(output),
            gradient_problem=problem, eval=to_array(evaluated) if isinstance(evaluated, torch.Tensor) else None,
            train=to_array(output) if isinstance(output, torch.Tensor) else None, grads=grads,
        ))  # fmt: skip
    return tuple(seen)


def public(ctx: ProbeContext) -> SrnetPublicEquivalence:
    return SrnetPublicEquivalence(_equivalence(ctx, "pub_", ctx.config["public_factors"]))


def reference(ctx: ProbeContext) -> SrnetEquivalence:
    return SrnetEquivalence(_equivalence(ctx, "ref_", ctx.config["reference_factors"]))


def train(ctx: ProbeContext) -> SrnetTraining:
    """Train the student's net with the grader's loop and return checkpoints of its weights.

    No test photo is sent here: the parent evaluates the weights itself (`grader.parts.srnet.assess`)."""
    seed_everything(int(ctx.config["train_seed"]))
    factor = int(ctx.config["factor"])
    net = ctx.require("SuperResolutionNet")(factor)
    how, tracked = contract_parameters(net, srnet_shapes(factor))  # the initialisation is checkpoint 0
    log, checkpoints = train_superres(
        net,
        ctx.array("train_low"),
        ctx.array("train_high"),
        ctx.array("order"),
        float(ctx.config["lr"]),
        ctx.device,
        tracked,
        int(ctx.config["checkpoint_every"]) if tracked else 0,
        on_step=ctx.step_reporter("train"),
    )
    return SrnetTraining(log.losses, bool(tracked), how, *stacked_checkpoints(checkpoints))


PROBES = {
    "import": imports,
    "build": build,
    "shapes": shapes,
    "public": public,
    "reference": reference,
    "train": train,
}
