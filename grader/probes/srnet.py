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
    parameter_gradients,
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
            "calls_pixel_shuffle": calls_pixel_shuffle(net) if is_module else None,
        }
    return {"nets": nets}, {}


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


def shapes(ctx: ProbeContext) -> ProbeOutput:
    net_class = ctx.require("SuperResolutionNet")
    outputs = []
    with torch.no_grad():
        for index, case in enumerate(ctx.config["shape_cases"]):
            net = net_class(case["factor"]).to(ctx.device).eval()
            outputs.append(describe(net(ctx.tensor(f"shape_x{index}"))))
    return {"outputs": outputs}, {}


def reference(ctx: ProbeContext) -> ProbeOutput:
    """Outputs and parameter gradients with the grader's weights loaded (eval mode), per factor."""
    net_class = ctx.require("SuperResolutionNet")
    loaded, problems, arrays = {}, {}, {}
    for factor in ctx.config["reference_factors"]:
        net = net_class(factor)
        names = list(srnet_shapes(factor))
        loaded[str(factor)] = load_weights(net, {name: ctx.tensor(f"w{factor}_{name}").cpu() for name in names})
        net.to(ctx.device).eval()
        output = net(ctx.tensor(f"ref_x{factor}"))
        arrays[f"out{factor}"] = to_array(output)
        problem, grads = parameter_gradients(net, output, ctx.tensor(f"ref_g{factor}"), names)
        problems[str(factor)] = problem
        arrays.update({f"grad{factor}_{name}": grad for name, grad in grads.items()})
    return {"loaded": loaded, "gradient_problems": problems}, arrays


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
