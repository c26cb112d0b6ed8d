"""What the child observes of a student's `SuperResolutionNet`."""

from __future__ import annotations

import torch

from grader.oracle import srnet_shapes
from grader.probes.common import (
    ProbeContext,
    ProbeOutput,
    describe,
    import_module,
    load_weights,
    parameter_shapes,
    to_array,
)
from grader.training import seed_everything, train_superres, upscale_images


def imports(ctx: ProbeContext) -> ProbeOutput:
    return import_module(ctx, ("SuperResolutionNet",))


def build(ctx: ProbeContext) -> ProbeOutput:
    net_class = ctx.require("SuperResolutionNet")
    nets = {}
    for factor in ctx.config["factors"]:
        net = net_class(factor)
        is_module = isinstance(net, torch.nn.Module)
        shuffle = getattr(net, "pixel_shuffle", None)
        nets[str(factor)] = {
            "is_module": is_module,
            "state_dict": parameter_shapes(net) if is_module else {},
            "pixel_shuffle": type(shuffle).__name__ if shuffle is not None else None,
        }
    return {"nets": nets}, {}


def shapes(ctx: ProbeContext) -> ProbeOutput:
    net_class = ctx.require("SuperResolutionNet")
    outputs = []
    with torch.no_grad():
        for index, case in enumerate(ctx.config["shape_cases"]):
            net = net_class(case["factor"]).to(ctx.device).eval()
            outputs.append(describe(net(ctx.tensor(f"shape_x{index}"))))
    return {"outputs": outputs}, {}


def reference(ctx: ProbeContext) -> ProbeOutput:
    net_class = ctx.require("SuperResolutionNet")
    loaded, arrays = {}, {}
    for factor in ctx.config["reference_factors"]:
        net = net_class(factor)
        weights = {name: ctx.tensor(f"w{factor}_{name}").cpu() for name in srnet_shapes(factor)}
        loaded[str(factor)] = load_weights(net, weights)
        net.to(ctx.device).eval()
        with torch.no_grad():
            arrays[f"out{factor}"] = to_array(net(ctx.tensor(f"ref_x{factor}")))
    return {"loaded": loaded}, arrays


def train(ctx: ProbeContext) -> ProbeOutput:
    seed_everything(int(ctx.config["train_seed"]))
    net = ctx.require("SuperResolutionNet")(int(ctx.config["factor"]))
    log = train_superres(
        net,
        ctx.array("train_low"),
        ctx.array("train_high"),
        ctx.array("order"),
        float(ctx.config["lr"]),
        ctx.device,
    )
    count = int(ctx.config["test_images"])
    outputs = upscale_images(net, [ctx.array(f"test_low{i}") for i in range(count)], ctx.device)
    return {"losses": list(log.losses)}, {f"sr{i}": out for i, out in enumerate(outputs)}


PROBES = {
    "import": imports,
    "build": build,
    "shapes": shapes,
    "reference": reference,
    "train": train,
}
