"""Part 3 checks: the DIY PixelShuffle written with einops."""

from __future__ import annotations

import numpy as np

from grader.checks.compare import identical
from grader.checks.registry import check, scored
from grader.diagnosis.pixel_shuffle import diagnose_order, logical_input
from grader.observations import Seen
from grader.observations.pixel_shuffle import Retrained, ShuffleForward, ShuffleGradients, ShuffleModule
from grader.parts.pixel_shuffle import ShufflePlan
from grader.results import CheckResult
from grader.check_spec import CheckSpec
from grader.sandbox.protocol import MalformedOutput

MAX_LINES = 6


@check("pixel_shuffle.imports", probe="import")
def imports(seen: Seen, plan: ShufflePlan, spec: CheckSpec) -> CheckResult:
    return scored(spec, 1.0, f"{plan.job.module} imports and defines pixel_shuffle and PixelShuffle")


@check("pixel_shuffle.uses_einops")
def uses_einops(seen: Seen, plan: ShufflePlan, spec: CheckSpec) -> CheckResult:
    scan = plan.scan
    if scan.syntax_error:
        return scored(spec, 0.0, f"{plan.job.module} does not parse: {scan.syntax_error}")
    if not scan.uses_rearrange:
        return scored(spec, 0.0, f"{plan.job.module} never calls einops.rearrange")
    return scored(spec, 1.0, "einops.rearrange is called")


@check("pixel_shuffle.matches_torch", probe="forward", factors=list, channels=list, dims=list, dtypes=list)
def matches_torch(seen: Seen, plan: ShufflePlan, spec: CheckSpec) -> CheckResult:
    return _compare_cases(seen.of(ShuffleForward), plan, spec, plan.expected_outputs, "output")


@check("pixel_shuffle.gradients", probe="gradients")
def gradients(seen: Seen, plan: ShufflePlan, spec: CheckSpec) -> CheckResult:
    return _compare_cases(seen.of(ShuffleGradients), plan, spec, plan.expected_grads, "input gradient")


def _compare_cases(seen: ShuffleForward, plan: ShufflePlan, spec: CheckSpec, expected: tuple[np.ndarray, ...],
                   what: str) -> CheckResult:  # fmt: skip
    if len(seen.cases) != len(plan.cases):
        raise MalformedOutput(f"{len(seen.cases)} results reported for {len(plan.cases)} inputs")
    good, lines = 0, []
    wrong: list[tuple[np.ndarray, int, np.ndarray]] = []  # (input, factor, output) where the output was not torch's
    for index, (case, want, outcome) in enumerate(zip(plan.cases, expected, seen.cases)):
        if not outcome.ok or outcome.value is None:
            lines.append(f"input {case.label()}: raised {(outcome.error or 'an error').splitlines()[0]}")
            continue
        ok, detail = identical(outcome.value, want)
        good += ok
        if not ok:
            lines.append(f"input {case.label()}: {what} {detail}")
            base = plan.inputs.get(f"case{index}_x")
            if base is not None:
                wrong.append((logical_input(base, case.layout, case.shape), case.factor, outcome.value))
    summary = f"{good} of {len(plan.cases)} inputs give torch's {what} bit for bit"
    errors = {line.split(": raised ", 1)[-1] for line in lines if ": raised " in line}
    if good == 0 and len(errors) == 1 and all(": raised " in line for line in lines):
        return scored(spec, 0.0, f"{summary}: every input raised {errors.pop()}")
    shown = lines[:MAX_LINES] + ([f"... and {len(lines) - MAX_LINES} more"] if len(lines) > MAX_LINES else [])
    # The gradient of a shuffle is the inverse shuffle: only the forward output names an order.
    diagnosis = diagnose_order(wrong) if what == "output" and good < len(plan.cases) else None
    return scored(spec, good / len(plan.cases), "\n".join([summary, *shown]), diagnosis=diagnosis)


@check("pixel_shuffle.module", probe="module", factors=list)
def module(seen: Seen, plan: ShufflePlan, spec: CheckSpec) -> CheckResult:
    observed = seen.of(ShuffleModule)
    if [m.factor for m in observed.modules] != list(plan.module_factors):
        raise MalformedOutput("the module results do not follow the job's factors")
    good, lines = 0.0, []
    for entry in observed.modules:
        problems = []
        if not entry.is_module:
            problems.append("is not a torch.nn.Module")
        if entry.state_entries not in (0, -1):
            problems.append(f"has {entry.state_entries} parameters or buffers (nn.PixelShuffle has none)")
        for value, where in ((entry.direct, "called directly"), (entry.sequential, "inside nn.Sequential")):
            ok, detail = (False, "no output") if value is None else identical(value, plan.expected_module[entry.factor])
            if not ok:
                problems.append(f"{where}: {detail}")
        good += not problems
        if problems:
            lines.append(f"PixelShuffle({entry.factor}): " + "; ".join(problems))
    fraction = good / len(plan.module_factors)
    return scored(spec, fraction, "\n".join(lines) or "a drop-in for nn.PixelShuffle")


@check("pixel_shuffle.no_torch_pixel_shuffle", probe="import")
def no_torch_pixel_shuffle(seen: Seen, plan: ShufflePlan, spec: CheckSpec) -> CheckResult:
    scan = plan.scan
    lines = [f"names torch's pixel shuffle at {ref}" for ref in scan.torch_references]
    lines += [f"looks names up dynamically at {ref}" for ref in scan.dynamic_access]
    forward = seen.get(ShuffleForward)
    if forward is None or not any(case.ok for case in forward.cases):
        return scored(spec, 0.0, "nothing to judge: pixel_shuffle did not run on any input")
    observed = (forward, seen.get(ShuffleGradients), seen.get(ShuffleModule))
    calls = max(o.torch_calls for o in observed if o is not None)
    if calls:
        lines.append(f"called torch's own pixel shuffle at run time ({calls} time(s))")
    if lines:
        return scored(spec, 0.0, "\n".join(lines))
    return scored(spec, 1.0, "torch's pixel shuffle is neither named nor called")


@check("pixel_shuffle.retrain_identical", probe="retrain", factor=int, steps=int, batch_size=int, lr=float,
       patch=int, bank_size=int)  # fmt: skip
def retrain_identical(seen: Seen, plan: ShufflePlan, spec: CheckSpec) -> CheckResult:
    weights = seen.of(Retrained).weights
    lines = []
    for name, want in plan.expected_weights.items():
        if name not in weights:
            lines.append(f"{name[2:]}: not returned")
            continue
        ok, detail = identical(weights[name], want)
        if not ok:
            lines.append(f"{name[2:]}: {detail}")
    head = f"the grader's ESPCN net retrained {plan.retrain_steps} steps with PixelShuffle vs nn.PixelShuffle"
    if lines:
        return scored(spec, 0.0, "\n".join([head + ": weights differ", *lines]))
    return scored(spec, 1.0, head + ": bit-identical weights")


CHECKS = (imports, uses_einops, matches_torch, gradients, module, no_torch_pixel_shuffle, retrain_identical)
