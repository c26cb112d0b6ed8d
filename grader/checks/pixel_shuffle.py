"""Part 3 checks: the DIY PixelShuffle written with einops."""

from __future__ import annotations

from grader.checks.compare import identical
from grader.checks.registry import check, scored
from grader.parts.pixel_shuffle import ShufflePlan
from grader.results import CheckResult
from grader.rubric import CheckSpec
from grader.sandbox.protocol import MalformedOutput, ProbeResult, ProbeStatus
from grader.sandbox.runner import PartRun

MAX_LINES = 6


@check("pixel_shuffle.imports", probe="import")
def imports(run: PartRun, plan: ShufflePlan, spec: CheckSpec) -> CheckResult:
    return scored(spec, 1.0, f"{plan.job.module} imports and defines pixel_shuffle and PixelShuffle")


@check("pixel_shuffle.uses_einops")
def uses_einops(run: PartRun, plan: ShufflePlan, spec: CheckSpec) -> CheckResult:
    scan = plan.scan
    if scan.syntax_error:
        return scored(spec, 0.0, f"{plan.job.module} does not parse: {scan.syntax_error}")
    if not scan.uses_rearrange:
        return scored(spec, 0.0, f"{plan.job.module} never calls einops.rearrange")
    return scored(spec, 1.0, "einops.rearrange is called")


@check("pixel_shuffle.matches_torch", probe="forward", factors=list, channels=list, dims=list, dtypes=list)
def matches_torch(run: PartRun, plan: ShufflePlan, spec: CheckSpec) -> CheckResult:
    return _compare_cases(run, plan, spec, "forward", "out", plan.expected_outputs, "output")


@check("pixel_shuffle.gradients", probe="gradients")
def gradients(run: PartRun, plan: ShufflePlan, spec: CheckSpec) -> CheckResult:
    return _compare_cases(run, plan, spec, "gradients", "grad", plan.expected_grads, "input gradient")


def case_outcomes(probe: ProbeResult) -> list[dict]:
    """A step's per-input outcomes; the child may have been replaced by forged output, so a
    missing list reads as no outcomes and an entry that is no object as a malformed one."""
    results = probe.values.get("cases")
    if not isinstance(results, list):
        return []
    return [entry if isinstance(entry, dict) else {"error": "a malformed result"} for entry in results]


def _compare_cases(run: PartRun, plan: ShufflePlan, spec: CheckSpec, probe_name: str, prefix: str,
                   expected: tuple, what: str) -> CheckResult:  # fmt: skip
    probe = run.probe(probe_name)
    results = case_outcomes(probe)
    if len(results) != len(plan.cases):
        raise MalformedOutput(f"{len(results)} results reported for {len(plan.cases)} inputs")
    good, lines = 0, []
    for index, (case, want, outcome) in enumerate(zip(plan.cases, expected, results)):
        if not outcome.get("ok"):
            lines.append(f"input {case.label()}: raised {str(outcome.get('error', '')).splitlines()[0]}")
            continue
        ok, detail = identical(probe.arrays[f"{prefix}{index}"], want)
        good += ok
        if not ok:
            lines.append(f"input {case.label()}: {what} {detail}")
    summary = f"{good} of {len(plan.cases)} inputs give torch's {what} bit for bit"
    errors = {line.split(": raised ", 1)[-1] for line in lines if ": raised " in line}
    if good == 0 and len(errors) == 1 and all(": raised " in line for line in lines):
        return scored(spec, 0.0, f"{summary}: every input raised {errors.pop()}")
    shown = lines[:MAX_LINES] + ([f"... and {len(lines) - MAX_LINES} more"] if len(lines) > MAX_LINES else [])
    return scored(spec, good / len(plan.cases), "\n".join([summary, *shown]))


@check("pixel_shuffle.module", probe="module", factors=list)
def module(run: PartRun, plan: ShufflePlan, spec: CheckSpec) -> CheckResult:
    probe = run.probe("module")
    good, lines = 0.0, []
    for entry, factor in zip(probe.values["modules"], plan.module_factors):
        problems = []
        if not entry["is_module"]:
            problems.append("is not a torch.nn.Module")
        if entry["state_entries"] not in (0, -1):
            problems.append(f"has {entry['state_entries']} parameters or buffers (nn.PixelShuffle has none)")
        for key, where in (("direct", "called directly"), ("sequential", "inside nn.Sequential")):
            ok, detail = identical(probe.arrays[f"{key}{factor}"], plan.expected_module[factor])
            if not ok:
                problems.append(f"{where}: {detail}")
        good += not problems
        if problems:
            lines.append(f"PixelShuffle({factor}): " + "; ".join(problems))
    fraction = good / len(plan.module_factors)
    return scored(spec, fraction, "\n".join(lines) or "a drop-in for nn.PixelShuffle")


@check("pixel_shuffle.no_torch_pixel_shuffle", probe="import")
def no_torch_pixel_shuffle(run: PartRun, plan: ShufflePlan, spec: CheckSpec) -> CheckResult:
    scan = plan.scan
    lines = [f"names torch's pixel shuffle at {ref}" for ref in scan.torch_references]
    lines += [f"looks names up dynamically at {ref}" for ref in scan.dynamic_access]
    forward = run.probe("forward")
    if not (forward.ok and any(case.get("ok") for case in case_outcomes(forward))):
        return scored(spec, 0.0, "nothing to judge: pixel_shuffle did not run on any input")
    calls = 0
    for name in ("forward", "gradients", "module"):
        probe = run.probe(name)
        if probe.status is ProbeStatus.OK:
            calls = max(calls, int(probe.values.get("torch_calls", 0)))
    if calls:
        lines.append(f"called torch's own pixel shuffle at run time ({calls} time(s))")
    if lines:
        return scored(spec, 0.0, "\n".join(lines))
    return scored(spec, 1.0, "torch's pixel shuffle is neither named nor called")


@check("pixel_shuffle.retrain_identical", probe="retrain", factor=int, steps=int, batch_size=int, lr=float,
       patch=int, bank_size=int)  # fmt: skip
def retrain_identical(run: PartRun, plan: ShufflePlan, spec: CheckSpec) -> CheckResult:
    probe = run.probe("retrain")
    lines = []
    for name, want in plan.expected_weights.items():
        if name not in probe.arrays:
            lines.append(f"{name[2:]}: not returned")
            continue
        ok, detail = identical(probe.arrays[name], want)
        if not ok:
            lines.append(f"{name[2:]}: {detail}")
    head = f"the grader's ESPCN net retrained {plan.retrain_steps} steps with PixelShuffle vs nn.PixelShuffle"
    if lines:
        return scored(spec, 0.0, "\n".join([head + ": weights differ", *lines]))
    return scored(spec, 1.0, head + ": bit-identical weights")


CHECKS = (imports, uses_einops, matches_torch, gradients, module, no_torch_pixel_shuffle, retrain_identical)
