"""Part 1 checks: the MNIST CNN."""

from __future__ import annotations

import numpy as np

from grader.checks.compare import allclose, describe_text, gradients_close, tensor_shape
from grader.checks.registry import check, linear_credit, scored
from grader.oracle import CNN_PARAMETERS, CNN_SHAPES, EMBEDDING_SIZE
from grader.parts.cnn import CnnPlan
from grader.results import CheckResult
from grader.rubric import CheckSpec
from grader.sandbox.runner import PartRun


@check("cnn.imports", probe="import")
def imports(run: PartRun, plan: CnnPlan, spec: CheckSpec) -> CheckResult:
    return scored(spec, 1.0, f"{plan.job.module} imports and defines CNN")


@check("cnn.architecture", probe="build")
def architecture(run: PartRun, plan: CnnPlan, spec: CheckSpec) -> CheckResult:
    values = run.probe("build").values
    if not values["is_module"]:
        return scored(spec, 0.0, "CNN() is not a torch.nn.Module")
    observed = {name: tuple(shape) for name, shape in values["state_dict"].items()}
    expected = dict(CNN_SHAPES)
    problems = []
    missing = [n for n in expected if n not in observed]
    unexpected = [n for n in observed if n not in expected]
    if missing:
        problems.append(f"missing parameters {', '.join(missing)}")
    if unexpected:
        problems.append(f"unexpected parameters {', '.join(unexpected)}")
    for name in expected.keys() & observed.keys():
        if observed[name] != expected[name]:
            problems.append(f"{name} has shape {observed[name]}, expected {expected[name]}")
    if values["n_params"] != CNN_PARAMETERS:
        problems.append(f"{values['n_params']:,} parameters, expected {CNN_PARAMETERS:,}")
    if not problems:
        return scored(spec, 1.0, f"{CNN_PARAMETERS:,} parameters with the contract's names and shapes")
    same_shapes = sorted(observed.values()) == sorted(expected.values())
    fraction = 0.5 if same_shapes else 0.0
    hint = " (shapes are right, names differ from the contract)" if same_shapes else ""
    return scored(spec, fraction, "; ".join(problems) + hint)


@check("cnn.output_shape", probe="shapes", batch_sizes=list)
def output_shape(run: PartRun, plan: CnnPlan, spec: CheckSpec) -> CheckResult:
    outputs = run.probe("shapes").values["outputs"]
    good, lines = 0, []
    for batch in plan.batch_sizes:
        desc = outputs[str(batch)]
        want = ((batch, 10), (batch, EMBEDDING_SIZE))
        items = desc.get("items", []) if desc.get("type") in ("tuple", "list") else []
        got = tuple(tensor_shape(item) for item in items)
        floats = all(item.get("dtype") == "float32" for item in items)
        ok_items = sum(1 for g, w in zip(got, want) if g == w) if len(items) == 2 and floats else 0
        good += ok_items
        if ok_items < 2:
            lines.append(
                f"input ({batch}, 1, 28, 28): expected (logits {want[0]}, embedding {want[1]}) "
                f"float32, got {describe_text(desc)}"
            )
    fraction = good / (2 * len(plan.batch_sizes))
    return scored(spec, fraction, "\n".join(lines) or "(logits, embedding) shapes right for batch sizes "
                  + ", ".join(map(str, plan.batch_sizes)))


@check("cnn.matches_reference", probe="reference", rtol=float, atol=float)
def matches_reference(run: PartRun, plan: CnnPlan, spec: CheckSpec) -> CheckResult:
    """A third each: the logits, the embedding, and the parameter gradients backpropagated
    from the logits (a detached or no_grad backbone computes the right values but cannot learn)."""
    probe = run.probe("reference")
    rtol, atol = spec.param("rtol"), spec.param("atol")
    lines = [f"reference weights loaded {probe.values['loaded']}; input {plan.reference_input_shape}"]
    credit = 0.0
    for key, name, expected in (("out0", "logits", plan.expected_logits),
                                ("out1", "embedding", plan.expected_embedding)):
        if key not in probe.arrays:
            lines.append(f"{name}: not returned (forward gave {describe_text(probe.values['output'])})")
            continue
        ok, detail = allclose(probe.arrays[key], expected, rtol, atol)
        credit += 1 / 3 if ok else 0.0
        lines.append(f"{name}: {'matches' if ok else 'differs from'} the reference, {detail}")
    grads = {k.removeprefix("grad_"): v for k, v in probe.arrays.items() if k.startswith("grad_")}
    problem = str(probe.values.get("gradient_problem", ""))
    ok, detail = (False, problem) if problem else gradients_close(grads, plan.expected_grads, rtol, atol)
    credit += 1 / 3 if ok else 0.0
    lines.append(f"gradients from the logits: {'match' if ok else 'differ from'} the reference ({detail})")
    return scored(spec, credit, "\n".join(lines))


@check("cnn.accuracy", probe="train", steps=int, batch_size=int, lr=float, threshold=float, floor=float)
def accuracy(run: PartRun, plan: CnnPlan, spec: CheckSpec) -> CheckResult:
    probe = run.probe("train")
    logits = probe.arrays["logits"]
    expected_shape = (len(plan.test_labels), 10)
    if logits.shape != expected_shape or logits.dtype.kind != "f":
        return scored(spec, 0.0, f"test logits have shape {logits.shape} {logits.dtype}, expected {expected_shape}")
    value = float(np.mean(np.argmax(np.nan_to_num(logits, nan=-np.inf), axis=1) == plan.test_labels))
    if not np.all(np.isfinite(logits)):
        value = 0.0
    losses = [float(x) if isinstance(x, (int, float)) else float("nan") for x in probe.values["losses"]]
    fraction = linear_credit(value, spec.param("floor"), spec.param("threshold"))
    return scored(
        spec,
        fraction,
        f"test accuracy {value:.1%} on {len(plan.test_labels):,} held-out digits ({plan.data_source}) "
        f"after {plan.steps} AdamW steps; threshold {spec.param('threshold'):.1%}, floor "
        f"{spec.param('floor'):.1%}; loss {_loss_text(losses)}",
        value,
    )


def _loss_text(losses: list[float]) -> str:
    if not losses:
        return "not reported"
    tail = losses[-10:]
    return f"{losses[0]:.3f} -> {sum(tail) / len(tail):.3f}"


CHECKS = (imports, architecture, output_shape, matches_reference, accuracy)
