"""Part 2 checks: the ESPCN-style super-resolution net."""

from __future__ import annotations

import numpy as np

from grader.checks.compare import allclose, describe_text, gradients_close, tensor_shape
from grader.checks.registry import check, linear_credit, scored
from grader.data.superres import psnr
from grader.oracle import srnet_shapes
from grader.parts.srnet import SrnetPlan
from grader.results import CheckResult
from grader.rubric import CheckSpec
from grader.sandbox.runner import PartRun


@check("srnet.imports", probe="import")
def imports(run: PartRun, plan: SrnetPlan, spec: CheckSpec) -> CheckResult:
    return scored(spec, 1.0, f"{plan.job.module} imports and defines SuperResolutionNet")


@check("srnet.architecture", probe="build", factors=list)
def architecture(run: PartRun, plan: SrnetPlan, spec: CheckSpec) -> CheckResult:
    nets = run.probe("build").values["nets"]
    good, lines = 0.0, []
    for factor in plan.factors:
        net = nets[str(factor)]
        if not net["is_module"]:
            lines.append(f"r={factor}: SuperResolutionNet({factor}) is not a torch.nn.Module")
            continue
        observed = {name: tuple(shape) for name, shape in net["state_dict"].items()}
        expected = srnet_shapes(factor)
        problems = [
            f"{name} {observed.get(name, 'missing')} instead of {shape}"
            for name, shape in expected.items()
            if observed.get(name) != shape
        ]
        problems += [f"unexpected {name}" for name in observed if name not in expected]
        if net["pixel_shuffle"] is None:
            problems.append("no pixel_shuffle submodule")
        elif net.get("calls_pixel_shuffle") is False:
            problems.append("forward never calls the pixel_shuffle submodule, so your own PixelShuffle "
                            "cannot be plugged in there")
        good += 1.0 if not problems else 0.0
        if problems:
            lines.append(f"r={factor}: " + "; ".join(problems))
    fraction = good / len(plan.factors)
    return scored(spec, fraction, "\n".join(lines) or "conv1-conv4 and pixel_shuffle as in the contract for r = "
                  + ", ".join(map(str, plan.factors)))


@check("srnet.output_shape", probe="shapes", factors=list, sizes=list)
def output_shape(run: PartRun, plan: SrnetPlan, spec: CheckSpec) -> CheckResult:
    outputs = run.probe("shapes").values["outputs"]
    good, lines = 0, []
    for case, desc in zip(plan.shape_cases, outputs):
        ok = tensor_shape(desc) == case.expected and desc.get("dtype") == "float32"
        good += ok
        if not ok:
            lines.append(f"input {case.shape}, r={case.factor}: expected {case.expected} float32, got {describe_text(desc)}")
    fraction = good / len(plan.shape_cases)
    return scored(spec, fraction, "\n".join(lines) or f"all {len(plan.shape_cases)} shapes right")


@check("srnet.matches_reference", probe="reference", factors=list, rtol=float, atol=float)
def matches_reference(run: PartRun, plan: SrnetPlan, spec: CheckSpec) -> CheckResult:
    """Per factor, half for the output and half for the parameter gradients."""
    probe = run.probe("reference")
    rtol, atol = spec.param("rtol"), spec.param("atol")
    good, lines = 0, []
    for factor, expected in plan.expected_outputs.items():
        ok, detail = allclose(probe.arrays[f"out{factor}"], expected, rtol, atol)
        prefix = f"grad{factor}_"
        grads = {k.removeprefix(prefix): v for k, v in probe.arrays.items() if k.startswith(prefix)}
        problem = str(probe.values.get("gradient_problems", {}).get(str(factor), ""))
        grads_ok, grads_detail = (False, problem) if problem else gradients_close(
            grads, plan.expected_grads[factor], rtol, atol)  # fmt: skip
        good += ok + grads_ok
        loaded = probe.values["loaded"][str(factor)]
        lines.append(f"r={factor}: output {'matches' if ok else 'differs from'} the reference ({detail}); "
                     f"gradients {'match' if grads_ok else 'differ'} ({grads_detail}); weights loaded {loaded}")  # fmt: skip
    return scored(spec, good / (2 * len(plan.expected_outputs)), "\n".join(lines))


@check(
    "srnet.psnr", probe="train",
    factor=int, steps=int, batch_size=int, lr=float, patch=int, bank_size=int, min_std=float,
    max_side=int, threshold=float, floor=float,
)  # fmt: skip
def psnr_gain(run: PartRun, plan: SrnetPlan, spec: CheckSpec) -> CheckResult:
    probe = run.probe("train")
    gains, lines = [], []
    for index, test in enumerate(plan.tests):
        output = probe.arrays[f"sr{index}"]
        if output.shape != (1, 1, *test.high.shape) or output.dtype.kind != "f":
            return scored(spec, 0.0, f"{test.name}: output {output.shape} {output.dtype}, expected {(1, 1, *test.high.shape)}")
        sr = np.clip(np.nan_to_num(output[0, 0].astype(np.float64), nan=0.0), 0.0, 1.0)
        net_db, bicubic_db = psnr(sr, test.high), psnr(test.bicubic, test.high)
        gains.append(net_db - bicubic_db)
        lines.append(f"  {test.name}: {net_db:.2f} dB (bicubic {bicubic_db:.2f} dB)")
    gain = float(np.mean(gains))
    fraction = linear_credit(gain, spec.param("floor"), spec.param("threshold"))
    head = (
        f"mean PSNR gain over bicubic {gain:+.3f} dB at r={plan.factor} after {plan.steps} Adam steps "
        f"({plan.data_source}); threshold {spec.param('threshold'):+.2f} dB, floor {spec.param('floor'):+.2f} dB"
    )
    return scored(spec, fraction, "\n".join([head, *lines]), gain)


CHECKS = (imports, architecture, output_shape, matches_reference, psnr_gain)
