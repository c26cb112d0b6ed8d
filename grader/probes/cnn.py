"""What the child observes of a student's `CNN`."""

from __future__ import annotations

import torch

from grader.observations.cnn import CnnBuild, CnnEquivalence, CnnPublicEquivalence, CnnShapes, CnnTraining, ModeOutputs
from grader.observations.common import Imported
from grader.oracle import CNN_SHAPES
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
from grader.training import seed_everything, train_classifier


def imports(ctx: ProbeContext) -> Imported:
    return import_module(ctx, ("CNN",))


def build(ctx: ProbeContext) -> CnnBuild:
    model = ctx.require("CNN")()
    is_module = isinstance(model, torch.nn.Module)
    shapes = parameter_shapes(model) if is_module else {}
    n_params = sum(p.numel() for p in model.parameters()) if is_module else 0
    return CnnBuild(is_module, shapes, int(n_params))


def shapes(ctx: ProbeContext) -> CnnShapes:
    model = ctx.require("CNN")().to(ctx.device).eval()
    with torch.no_grad():
        outputs = tuple(describe(model(ctx.tensor(f"shape_x{batch}"))) for batch in ctx.config["batch_sizes"])
    return CnnShapes(outputs)


def _mode_outputs(output: object) -> ModeOutputs:
    items = list(output)[:2] if isinstance(output, (tuple, list)) else [output]
    arrays = [to_array(item) if isinstance(item, torch.Tensor) else None for item in items] + [None, None]
    return ModeOutputs(describe(output), arrays[0], arrays[1])


def _equivalence(ctx: ProbeContext, prefix: str) -> CnnEquivalence:
    """The grader's weights loaded: forward in eval mode, then in train mode (the mode the
    accuracy check trains in) with the gradients of the grader's upstream gradient."""
    model = ctx.require("CNN")()
    how = load_weights(model, {name: ctx.tensor(f"{prefix}w_{name}").cpu() for name in CNN_SHAPES})
    model.to(ctx.device)
    x = ctx.tensor(f"{prefix}x")
    with torch.no_grad():
        evaluated = _mode_outputs(model.eval()(x))
    torch.manual_seed(int(ctx.config["train_mode_seed"]))
    output = model.train()(x)
    trained = _mode_outputs(output)
    problem, grads = parameter_gradients(model, output, ctx.tensor(f"{prefix}g"), list(CNN_SHAPES))
    return CnnEquivalence(how, evaluated, trained, problem, grads)


def public(ctx: ProbeContext) -> CnnPublicEquivalence:
    seen = _equivalence(ctx, "pub_")
    return CnnPublicEquivalence(seen.loaded, seen.eval, seen.train, seen.gradient_problem, seen.grads)


def reference(ctx: ProbeContext) -> CnnEquivalence:
    return _equivalence(ctx, "ref_")


def train(ctx: ProbeContext) -> CnnTraining:
    """Train the student's CNN with the grader's loop and return checkpoints of its weights.

    No test digit is sent here: the parent evaluates the weights itself (`grader.parts.cnn.assess`)."""
    seed_everything(int(ctx.config["train_seed"]))
    model = ctx.require("CNN")()
    how, tracked = contract_parameters(model, CNN_SHAPES)  # the initialisation is checkpoint 0
    log, checkpoints = train_classifier(
        model,
        ctx.array("train_images"),
        ctx.array("train_labels"),
        ctx.array("order"),
        float(ctx.config["lr"]),
        ctx.device,
        tracked,
        int(ctx.config["checkpoint_every"]) if tracked else 0,
        on_step=ctx.step_reporter("train"),
    )
    return CnnTraining(log.losses, bool(tracked), how, *stacked_checkpoints(checkpoints))


PROBES = {
    "import": imports,
    "build": build,
    "shapes": shapes,
    "public": public,
    "reference": reference,
    "train": train,
}
