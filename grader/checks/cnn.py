"""Part 1 checks: the MNIST CNN."""

from __future__ import annotations

import numpy as np

from grader.checks.compare import allclose, gradients_close
from grader.checks.registry import check, linear_credit, scored
from grader.observations import Seen
from grader.observations.cnn import CnnBuild, CnnEquivalence, CnnPublicEquivalence, CnnShapes, ModeOutputs
from grader.oracle import CNN_PARAMETERS, CNN_SHAPES, EMBEDDING_SIZE
from grader.parts.cnn import CnnPlan, Expected, trained
from grader.diagnosis.cnn import diagnose as diagnose_cnn
from grader.results import CheckResult, Diagnosis
from grader.check_spec import CheckSpec


@check("cnn.imports", probe="import")
def imports(seen: Seen, plan: CnnPlan, spec: CheckSpec) -> CheckResult:
    return scored(spec, 1.0, f"{plan.job.module} imports and defines CNN")


@check("cnn.architecture", probe="build")
def architecture(seen: Seen, plan: CnnPlan, spec: CheckSpec) -> CheckResult:
    build = seen.of(CnnBuild)
    if not build.is_module:
        return scored(spec, 0.0, "CNN() is not a torch.nn.Module")
    observed = build.state_dict
    expected = dict(CNN_SHAPES)
    problems = []
    missing = [n for n in expected if n not in observed]
    unexpected = [n for n in observed if n not in expected]
    if missing:
        problems.append(f"missing parameters {', '.join(missing)}")
    if unexpected:
        problems.append(f"unexpected parameters {', '.join(unexpected[:10])}")
    for name in expected.keys() & observed.keys():
        if observed[name] != expected[name]:
            problems.append(f"{name} has shape {observed[name]}, expected {expected[name]}")
    if build.n_params != CNN_PARAMETERS:
        problems.append(f"{build.n_params:,} parameters, expected {CNN_PARAMETERS:,}")
    if not problems:
        return scored(spec, 1.0, f"{CNN_PARAMETERS:,} parameters with the contract's names and shapes")
    same_shapes = sorted(observed.values()) == sorted(expected.values())
    fraction = 0.5 if same_shapes else 0.0
    hint = " (shapes are right, names differ from the contract)" if same_shapes else ""
    return scored(spec, fraction, "; ".join(problems) + hint)


@check("cnn.output_shape", probe="shapes", batch_sizes=list)
def output_shape(seen: Seen, plan: CnnPlan, spec: CheckSpec) -> CheckResult:
    outputs = seen.of(CnnShapes).outputs
    if len(outputs) != len(plan.batch_sizes):
        raise ValueError(f"{len(outputs)} outputs reported for {len(plan.batch_sizes)} inputs")
    good, lines = 0, []
    for batch, desc in zip(plan.batch_sizes, outputs):
        want = ((batch, 10), (batch, EMBEDDING_SIZE))
        items = desc.items if desc.kind in ("tuple", "list") else ()
        got = tuple(item.tensor_shape for item in items)
        floats = all(item.dtype == "float32" for item in items)
        ok_items = sum(1 for g, w in zip(got, want) if g == w) if desc.length == 2 and floats else 0
        good += ok_items
        if ok_items < 2:
            lines.append(
                f"input ({batch}, 1, 28, 28): expected (logits {want[0]}, embedding {want[1]}) "
                f"float32, got {desc.text()}"
            )
    fraction = good / (2 * len(plan.batch_sizes))
    return scored(spec, fraction, "\n".join(lines) or "(logits, embedding) shapes right for batch sizes "
                  + ", ".join(map(str, plan.batch_sizes)))


@check("cnn.matches_public", probe="public", rtol=float, atol=float)
def matches_public(seen: Seen, plan: CnnPlan, spec: CheckSpec) -> CheckResult:
    """The equivalence check on fixed public weights and inputs: what `check` can show."""
    return _equivalence(seen.of(CnnPublicEquivalence), plan.public, spec, "fixed public weights", _inputs(plan, "pub_"))


@check("cnn.matches_reference", probe="reference", rtol=float, atol=float)
def matches_reference(seen: Seen, plan: CnnPlan, spec: CheckSpec) -> CheckResult:
    return _equivalence(seen.of(CnnEquivalence), plan.reference, spec, "the grader's weights", _inputs(plan, "ref_"))


def _inputs(plan: CnnPlan, prefix: str) -> tuple[dict[str, np.ndarray], np.ndarray] | None:
    """The weights and input batch the equivalence probe used (for the diagnosis), if planned."""
    x = plan.inputs.get(f"{prefix}x")
    weights = {name: plan.inputs.get(f"{prefix}w_{name}") for name in CNN_SHAPES}
    if x is None or any(w is None for w in weights.values()):
        return None
    return weights, x  # type: ignore[return-value]


def _equivalence(seen: CnnEquivalence, expected: Expected, spec: CheckSpec, weights: str,
                 inputs: tuple[dict[str, np.ndarray], np.ndarray] | None = None) -> CheckResult:  # fmt: skip
    """A third each: the outputs in eval mode, in train mode (the mode training uses: dropout
    or batch statistics change it), and the parameter gradients in train mode (a detached or
    no_grad backbone computes the right values but cannot learn)."""
    rtol, atol = spec.param("rtol"), spec.param("atol")
    lines = [f"{weights} loaded {seen.loaded}; input {expected.input_shape}"]
    credit = 0.0
    verdicts = []
    for mode, outputs in (("eval", seen.eval), ("train", seen.train)):
        ok, detail = _outputs_match(outputs, expected, rtol, atol)
        credit += 1 / 3 if ok else 0.0
        verdicts.append(ok)
        lines.append(f"{mode} mode: {detail}")
    problem = seen.gradient_problem
    ok, detail = (False, problem) if problem else gradients_close(seen.grads, expected.grads, rtol, atol)
    credit += 1 / 3 if ok else 0.0
    verdicts.append(ok)
    lines.append(f"gradients from the logits (train mode): {'match' if ok else 'differ from'} the reference ({detail})")
    diagnosis = None
    if not verdicts[0] and inputs is not None:
        diagnosis = diagnose_cnn(seen.eval.logits, seen.eval.embedding, inputs[0], inputs[1], rtol, atol)
    elif verdicts[0] and not verdicts[1]:
        diagnosis = Diagnosis("cnn.train_mode", "the outputs are right in eval mode but not in train mode: dropout, "
                              "batch norm or another layer that the assignment's CNN does not have")  # fmt: skip
    elif verdicts[0] and verdicts[1] and not verdicts[2]:
        diagnosis = detached_diagnosis("cnn", problem)
    return scored(spec, credit, "\n".join(lines), diagnosis=diagnosis)


def detached_diagnosis(part: str, problem: str) -> Diagnosis:
    """Right values, wrong gradients: the graph is cut somewhere between the output and the weights."""
    if "not connected" in problem:
        return Diagnosis(f"{part}.detached_graph", "the output is not connected to the weights (a .detach(), "
                         ".data, .item() or torch.no_grad() in forward): the values are right but training cannot "
                         "change the weights")  # fmt: skip
    return Diagnosis(f"{part}.detached_graph", "the values are right but the gradients are not: part of forward is "
                     "cut from the graph (.detach(), .data, numpy) or computed outside autograd")  # fmt: skip


def _outputs_match(seen: ModeOutputs, expected: Expected, rtol: float, atol: float) -> tuple[bool, str]:
    parts, all_ok = [], True
    for name, observed, want in (("logits", seen.logits, expected.logits),
                                 ("embedding", seen.embedding, expected.embedding)):  # fmt: skip
        if observed is None:
            all_ok = False
            parts.append(f"{name} not returned (forward gave {seen.output.text()})")
            continue
        ok, detail = allclose(observed, want, rtol, atol)
        all_ok &= ok
        parts.append(f"{name} {'match' if ok else 'differ from'} the reference, {detail}")
    return all_ok, "; ".join(parts)


@check(
    "cnn.accuracy", probe="train",
    steps=int, batch_size=int, lr=float, threshold=float, floor=float,
    checkpoint_every=int, replay_segments=int, replay_tolerance=float, untrained_max=float,
)  # fmt: skip
def accuracy(seen: Seen, plan: CnnPlan, spec: CheckSpec) -> CheckResult:
    """The grader evaluates the trained weights itself, on held-out digits the child never saw,
    and credits them only if they come from training the student's own initialisation."""
    model = trained(seen, plan)
    how = f"after {plan.steps} AdamW steps of the grader's training loop"
    refusal = model.provenance.refusal()
    if refusal:
        return scored(spec, 0.0, f"no credit for the trained CNN ({how}): {refusal}", None,
                      model.provenance.diagnosis())  # fmt: skip
    value = model.accuracy
    fraction = linear_credit(value, spec.param("floor"), spec.param("threshold"))
    provenance = model.provenance
    lines = [
        f"test accuracy {value:.1%} on {len(plan.test_labels):,} held-out digits ({plan.data_source}), measured by "
        f"the grader on your weights {how}; threshold {spec.param('threshold'):.1%}, floor {spec.param('floor'):.1%}",
        f"loss {provenance.initial_loss:.3f} -> {provenance.final_loss:.3f} (the grader's, before and after "
        f"training, on the same batches); your initial weights: {model.initial_accuracy:.1%} accuracy",
    ]
    if provenance.replay is not None:
        lines.append(provenance.replay.text())
    return scored(spec, fraction, "\n".join(lines), value)


CHECKS = (imports, architecture, output_shape, matches_public, matches_reference, accuracy)
