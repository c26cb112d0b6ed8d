"""Part 2 checks: the ESPCN-style super-resolution net."""

from __future__ import annotations

from typing import Mapping

import numpy as np

from grader.checks.compare import allclose, gradients_close
from grader.checks.registry import check, linear_credit, scored
from grader.observations import Seen
from grader.observations.srnet import (
    FactorEquivalence,
    SrnetBuild,
    SrnetEquivalence,
    SrnetPublicEquivalence,
    SrnetShapes,
)
from grader.oracle import srnet_shapes
from grader.parts.srnet import Expected, SrnetPlan, trained
from grader.checks.cnn import detached_diagnosis
from grader.diagnosis.srnet import diagnose as diagnose_srnet
from grader.diagnosis.srnet import conv4_diagnosis, upscale_diagnosis
from grader.results import CheckResult, Diagnosis
from grader.check_spec import CheckSpec


@check("srnet.imports", probe="import")
def imports(seen: Seen, plan: SrnetPlan, spec: CheckSpec) -> CheckResult:
    return scored(spec, 1.0, f"{plan.job.module} imports and defines SuperResolutionNet")


@check("srnet.architecture", probe="build", factors=list)
def architecture(seen: Seen, plan: SrnetPlan, spec: CheckSpec) -> CheckResult:
    nets = {net.factor: net for net in seen.of(SrnetBuild).nets}
    good, lines = 0.0, []
    for factor in plan.factors:
        net = nets[factor]
        if not net.is_module:
            lines.append(f"r={factor}: SuperResolutionNet({factor}) is not a torch.nn.Module")
            continue
        observed = net.state_dict
        expected = srnet_shapes(factor)
        problems = [
            f"{name} {observed.get(name, 'missing')} instead of {shape}"
            for name, shape in expected.items()
            if observed.get(name) != shape
        ]
        problems += [f"unexpected {name}" for name in observed if name not in expected]
        if net.pixel_shuffle is None:
            problems.append("no pixel_shuffle submodule")
        elif net.calls_pixel_shuffle is False:
            problems.append("forward never calls the pixel_shuffle submodule, so your own PixelShuffle "
                            "cannot be plugged in there")
        good += 1.0 if not problems else 0.0
        if problems:
            lines.append(f"r={factor}: " + "; ".join(problems))
    fraction = good / len(plan.factors)
    channels = [(f, nets[f].state_dict.get("conv4.weight", (0,))[0]) for f in plan.factors if nets[f].is_module]
    return scored(spec, fraction, "\n".join(lines) or "conv1-conv4 and pixel_shuffle as in the contract for r = "
                  + ", ".join(map(str, plan.factors)), diagnosis=conv4_diagnosis(channels))


@check("srnet.output_shape", probe="shapes", factors=list, sizes=list)
def output_shape(seen: Seen, plan: SrnetPlan, spec: CheckSpec) -> CheckResult:
    outputs = seen.of(SrnetShapes).outputs
    if len(outputs) != len(plan.shape_cases):
        raise ValueError(f"{len(outputs)} outputs reported for {len(plan.shape_cases)} inputs")
    good, lines = 0, []
    for case, desc in zip(plan.shape_cases, outputs):
        ok = desc.tensor_shape == case.expected and desc.dtype == "float32"
        good += ok
        if not ok:
            lines.append(f"input {case.shape}, r={case.factor}: expected {case.expected} float32, got {desc.text()}")
    fraction = good / len(plan.shape_cases)
    diagnosis = upscale_diagnosis([(c.factor, c.shape, d.tensor_shape) for c, d in zip(plan.shape_cases, outputs)])
    return scored(spec, fraction, "\n".join(lines) or f"all {len(plan.shape_cases)} shapes right", diagnosis=diagnosis)


@check("srnet.matches_public", probe="public", factors=list, rtol=float, atol=float)
def matches_public(seen: Seen, plan: SrnetPlan, spec: CheckSpec) -> CheckResult:
    """The equivalence check on fixed public weights and inputs: what `check` can show."""
    return _equivalence(seen.of(SrnetPublicEquivalence).factors, plan.public, spec, "fixed public weights",
                        plan.inputs, "pub_")  # fmt: skip


@check("srnet.matches_reference", probe="reference", factors=list, rtol=float, atol=float)
def matches_reference(seen: Seen, plan: SrnetPlan, spec: CheckSpec) -> CheckResult:
    return _equivalence(seen.of(SrnetEquivalence).factors, plan.reference, spec, "the grader's weights",
                        plan.inputs, "ref_")  # fmt: skip


def _equivalence(seen: tuple[FactorEquivalence, ...], expected: tuple[Expected, ...], spec: CheckSpec,
                 weights: str, inputs: Mapping[str, np.ndarray] | None = None, prefix: str = "") -> CheckResult:  # fmt: skip
    """Per factor, a third each: the output in eval mode, in train mode (the mode training
    uses), and the parameter gradients in train mode."""
    rtol, atol = spec.param("rtol"), spec.param("atol")
    by_factor = {item.factor: item for item in seen}
    good, lines = 0, []
    diagnosis: Diagnosis | None = None
    for want in expected:
        got = by_factor.get(want.factor)
        if got is None:
            raise ValueError(f"no result reported for r={want.factor}")
        verdicts = []
        eval_ok = got.eval is not None and allclose(got.eval, want.output, rtol, atol)[0]
        if diagnosis is None and not eval_ok and inputs is not None:
            diagnosis = _diagnose(got.eval, inputs, prefix, want.factor, rtol, atol)
        elif diagnosis is None and eval_ok and got.gradient_problem:
            diagnosis = detached_diagnosis("srnet", got.gradient_problem)
        for mode, array, desc in (("eval", got.eval, got.eval_output), ("train", got.train, got.train_output)):
            ok, detail = (False, f"forward gave {desc.text()}") if array is None else allclose(
                array, want.output, rtol, atol)  # fmt: skip
            good += ok
            verdicts.append(f"{mode} mode output {'matches' if ok else 'differs from'} the reference ({detail})")
        ok, detail = (False, got.gradient_problem) if got.gradient_problem else gradients_close(
            got.grads, want.grads, rtol, atol)  # fmt: skip
        good += ok
        verdicts.append(f"gradients {'match' if ok else 'differ'} ({detail})")
        lines.append(f"r={want.factor}, {weights} loaded {got.loaded}, input {want.input_shape}: " + "; ".join(verdicts))
    return scored(spec, good / (3 * len(expected)), "\n".join(lines), diagnosis=diagnosis)


def _diagnose(output: np.ndarray | None, inputs: Mapping[str, np.ndarray], prefix: str, factor: int, rtol: float,
              atol: float) -> Diagnosis | None:  # fmt: skip
    weights = {name: inputs.get(f"{prefix}w{factor}_{name}") for name in srnet_shapes(factor)}
    y = inputs.get(f"{prefix}x{factor}")
    if y is None or any(w is None for w in weights.values()):
        return None
    return diagnose_srnet(output, weights, y, factor, rtol, atol)  # type: ignore[arg-type]


@check(
    "srnet.psnr", probe="train",
    factor=int, steps=int, batch_size=int, lr=float, patch=int, bank_size=int, min_std=float,
    max_side=int, threshold=float, floor=float,
    checkpoint_every=int, replay_segments=int, replay_tolerance=float, untrained_max=float,
)  # fmt: skip
def psnr_gain(seen: Seen, plan: SrnetPlan, spec: CheckSpec) -> CheckResult:
    """The grader upscales the held-out photos itself with the trained weights (the child never
    sees them), and credits them only if they come from training the student's own initialisation."""
    model = trained(seen, plan)
    how = f"at r={plan.factor} after {plan.steps} Adam steps of the grader's training loop"
    refusal = model.provenance.refusal()
    if refusal:
        return scored(spec, 0.0, f"no credit for the trained net ({how}): {refusal}", None,
                      model.provenance.diagnosis())  # fmt: skip
    gain = model.gain
    fraction = linear_credit(gain, spec.param("floor"), spec.param("threshold"))
    provenance = model.provenance
    lines = [
        f"mean PSNR gain over bicubic {gain:+.3f} dB {how}, measured by the grader on your weights "
        f"({plan.data_source}); threshold {spec.param('threshold'):+.2f} dB, floor {spec.param('floor'):+.2f} dB",
        *(f"  {name}: {net:.2f} dB (bicubic {bicubic:.2f} dB)"
          for name, net, bicubic in zip(model.names, model.psnr, model.bicubic_psnr)),
        f"loss {provenance.initial_loss:.4f} -> {provenance.final_loss:.4f} (the grader's MSE, before and after "
        f"training, on the same batches); your initial weights: {model.initial_gain:+.2f} dB against bicubic",
    ]  # fmt: skip
    if provenance.replay is not None:
        lines.append(provenance.replay.text())
    return scored(spec, fraction, "\n".join(lines), gain)


CHECKS = (imports, architecture, output_shape, matches_public, matches_reference, psnr_gain)
