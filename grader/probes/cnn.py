"""What the child observes of a student's `CNN`."""

from __future__ import annotations

import torch

from grader.oracle import CNN_SHAPES
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
from grader.training import predict_classifier, seed_everything, train_classifier

TSNE_POINTS = 500


def imports(ctx: ProbeContext) -> ProbeOutput:
    return import_module(ctx, ("CNN",))


def build(ctx: ProbeContext) -> ProbeOutput:
    model = ctx.require("CNN")()
    is_module = isinstance(model, torch.nn.Module)
    shapes = parameter_shapes(model) if is_module else {}
    n_params = sum(p.numel() for p in model.parameters()) if is_module else 0
    return {"is_module": is_module, "state_dict": shapes, "n_params": int(n_params)}, {}


def shapes(ctx: ProbeContext) -> ProbeOutput:
    model = ctx.require("CNN")().to(ctx.device).eval()
    outputs = {}
    with torch.no_grad():
        for batch in ctx.config["batch_sizes"]:
            outputs[str(batch)] = describe(model(ctx.tensor(f"shape_x{batch}")))
    return {"outputs": outputs}, {}


def reference(ctx: ProbeContext) -> ProbeOutput:
    """Outputs and parameter gradients with the grader's weights loaded (eval mode)."""
    model = ctx.require("CNN")()
    weights = {name: ctx.tensor(f"w_{name}").cpu() for name in CNN_SHAPES}
    how = load_weights(model, weights)
    model.to(ctx.device).eval()
    output = model(ctx.tensor("ref_x"))
    arrays = {}
    if isinstance(output, (tuple, list)):
        for index, item in enumerate(list(output)[:2]):
            if isinstance(item, torch.Tensor):
                arrays[f"out{index}"] = to_array(item)
    elif isinstance(output, torch.Tensor):
        arrays["out0"] = to_array(output)
    problem, grads = parameter_gradients(model, output, ctx.tensor("ref_g"), list(CNN_SHAPES))
    arrays.update({f"grad_{name}": grad for name, grad in grads.items()})
    return {"loaded": how, "output": describe(output), "gradient_problem": problem}, arrays


def train(ctx: ProbeContext) -> ProbeOutput:
    seed_everything(int(ctx.config["train_seed"]))
    model = ctx.require("CNN")()
    log = train_classifier(
        model,
        ctx.array("train_images"),
        ctx.array("train_labels"),
        ctx.array("order"),
        float(ctx.config["lr"]),
        ctx.device,
    )
    logits, embedding = predict_classifier(model, ctx.array("test_images"), ctx.device)
    arrays = {"logits": logits}
    if embedding is not None:
        arrays["embedding"] = embedding[:TSNE_POINTS]
    return {"losses": list(log.losses)}, arrays


PROBES = {
    "import": imports,
    "build": build,
    "shapes": shapes,
    "reference": reference,
    "train": train,
}
