"""Part 3 checks: the DIY PixelShuffle written with einops.

Three rules keep the scores honest (SECURITY.md, "Part 3"):
- only inputs that some usual mistake fails count (`plan.counts`); the
  others are run and reported, and weigh nothing;
- reachable code that tampers with the runtime or looks names up
  dynamically earns no run-time credit: it is what could undo the child's
  poisoning of torch's pixel shuffle (`plan.scan.tampering`);
- scores agree: the retrain at factor r is credited only if the module
  gives torch's output and gradient at r, and "no torch pixel shuffle" only
  for a function that works on some input that counts.
Torch's own pixel shuffle returns the grader's marker NaN in the child, and
any array carrying it says so (`grader.shuffle_marker`).
"""

from __future__ import annotations

import numpy as np

from grader.checks.compare import identical
from grader.checks.registry import check, scored
from grader.diagnosis.pixel_shuffle import diagnose_order, logical_input
from grader.observations import Seen
from grader.observations.pixel_shuffle import (
    CaseOutcome,
    ModuleCase,
    Retrained,
    ShuffleForward,
    ShuffleGradients,
    ShuffleModule,
)
from grader.parts.pixel_shuffle import ShufflePlan
from grader.results import CheckResult, Diagnosis
from grader.check_spec import CheckSpec
from grader.sandbox.protocol import MalformedOutput
from grader.shuffle_marker import carries_marker

MAX_LINES = 6
MARKED = "carries the grader's marker: torch's own pixel shuffle was used (it returns NaN while Part 3 is graded)"


@check("pixel_shuffle.imports", probe="import")
def imports(seen: Seen, plan: ShufflePlan, spec: CheckSpec) -> CheckResult:
    return scored(spec, 1.0, f"{plan.job.module} imports and defines pixel_shuffle and PixelShuffle")


@check("pixel_shuffle.uses_einops")
def uses_einops(seen: Seen, plan: ShufflePlan, spec: CheckSpec) -> CheckResult:
    if plan.einops is None:
        raise RuntimeError("the plan was not specialised to the submission")
    return scored(spec, plan.einops.credit, plan.einops.message)


@check("pixel_shuffle.matches_torch", probe="forward", factors=list, channels=list, dims=list, dtypes=list)
def matches_torch(seen: Seen, plan: ShufflePlan, spec: CheckSpec) -> CheckResult:
    return _compare_cases(seen.of(ShuffleForward), plan, spec, plan.expected_outputs, plan.counts, "output")


@check("pixel_shuffle.gradients", probe="gradients")
def gradients(seen: Seen, plan: ShufflePlan, spec: CheckSpec) -> CheckResult:
    return _compare_cases(seen.of(ShuffleGradients), plan, spec, plan.expected_grads, plan.grad_counts,
                          "input gradient")  # fmt: skip


def untrusted(plan: ShufflePlan) -> str:
    """Why run-time results of this part earn nothing ("" when they may)."""
    found = plan.scan.tampering if plan.scan is not None else ()
    if not found:
        return ""
    shown = "; ".join(found[:3]) + (" ..." if len(found) > 3 else "")
    return (f"not credited: the code the part runs reaches into the runtime, looks names up dynamically or "
            f"cannot be read ({shown}); an einops PixelShuffle needs none of it, and it could undo the grader's "
            "checks")  # fmt: skip


def _gated(spec: CheckSpec, plan: ShufflePlan, fraction: float, text: str,
           diagnosis: Diagnosis | None = None) -> CheckResult:  # fmt: skip
    reason = untrusted(plan)
    if reason:
        return scored(spec, 0.0, f"{reason}\n{text}")
    return scored(spec, fraction, text, diagnosis=diagnosis)


def case_verdicts(seen: ShuffleForward, plan: ShufflePlan, expected: tuple[np.ndarray, ...]) -> list[tuple[bool, str]]:
    """Per input: bit-identical to torch's answer, and what went wrong otherwise."""
    if len(seen.cases) != len(plan.cases):
        raise MalformedOutput(f"{len(seen.cases)} results reported for {len(plan.cases)} inputs")
    verdicts = []
    for want, outcome in zip(expected, seen.cases):
        verdicts.append(_verdict(outcome, want))
    return verdicts


def _verdict(outcome: CaseOutcome, want: np.ndarray) -> tuple[bool, str]:
    if not outcome.ok or outcome.value is None:
        return False, f"raised {(outcome.error or 'an error').splitlines()[0]}"
    if carries_marker(outcome.value):
        return False, MARKED
    return identical(outcome.value, want)


def _compare_cases(seen: ShuffleForward, plan: ShufflePlan, spec: CheckSpec, expected: tuple[np.ndarray, ...],
                   counts: tuple[bool, ...], what: str) -> CheckResult:  # fmt: skip
    verdicts = case_verdicts(seen, plan, expected)
    weights = counts if any(counts) else tuple(True for _ in counts)  # no input tells: each counts
    good = sum(ok for (ok, _), w in zip(verdicts, weights) if w)
    total = sum(weights)
    lines = [_line(case.label(), detail, what) for case, (ok, detail) in zip(plan.cases, verdicts) if not ok]
    summary = f"{good} of {total} inputs give torch's {what} bit for bit"
    if total < len(plan.cases):
        passed_rest = sum(ok for (ok, _), w in zip(verdicts, weights) if not w)
        summary += (f" ({len(plan.cases) - total} more inputs, {passed_rest} of them passed, were run and not "
                    "counted: every usual mistake gives torch's answer on them too)")  # fmt: skip
    details = {detail for ok, detail in verdicts if not ok}
    if len(details) == 1 and all(not ok for ok, _ in verdicts):  # one story for every input: tell it once
        detail = details.pop()
        return _gated(spec, plan, 0.0, f"{summary}: on every input, " + _line("", detail, what)[len("input : "):])
    shown = lines[:MAX_LINES] + ([f"... and {len(lines) - MAX_LINES} more"] if len(lines) > MAX_LINES else [])
    # The gradient of a shuffle is the inverse shuffle: only the forward output names an order.
    diagnosis = diagnose_order(_wrong_outputs(seen, plan, verdicts)) if what == "output" else None
    return _gated(spec, plan, good / total, "\n".join([summary, *shown]), diagnosis)


def _wrong_outputs(seen: ShuffleForward, plan: ShufflePlan, verdicts: list[tuple[bool, str]]
                   ) -> list[tuple[np.ndarray, int, np.ndarray]]:  # fmt: skip
    """(input, factor, output) of each input whose output was not torch's, for the diagnosis."""
    wrong = []
    for index, (case, outcome, (ok, detail)) in enumerate(zip(plan.cases, seen.cases, verdicts)):
        base = plan.inputs.get(f"case{index}_x")
        if not ok and outcome.value is not None and detail != MARKED and base is not None:
            wrong.append((logical_input(base, case.layout, case.shape), case.factor, outcome.value))
    return wrong


def _line(label: str, detail: str, what: str) -> str:
    return f"input {label}: {detail}" if detail.startswith("raised ") else f"input {label}: {what} {detail}"


@check("pixel_shuffle.module", probe="module", factors=list)
def module(seen: Seen, plan: ShufflePlan, spec: CheckSpec) -> CheckResult:
    observed = seen.of(ShuffleModule)
    if [m.factor for m in observed.modules] != list(plan.module_factors):
        raise MalformedOutput("the module results do not follow the job's factors")
    counts = plan.module_counts if any(plan.module_counts.values()) else {f: True for f in plan.module_factors}
    good, lines = 0, []
    for entry in observed.modules:
        problems = module_problems(entry, plan)
        good += not problems and counts[entry.factor]
        if problems:
            lines.append(f"PixelShuffle({entry.factor}): " + "; ".join(problems))
    fraction = good / max(sum(counts.values()), 1)
    return _gated(spec, plan, fraction, "\n".join(lines) or "a drop-in for nn.PixelShuffle")


def module_problems(entry: ModuleCase, plan: ShufflePlan) -> list[str]:
    """What keeps `PixelShuffle(r)` from being a drop-in for nn.PixelShuffle at one factor."""
    problems = []
    if not entry.is_module:
        problems.append("is not a torch.nn.Module")
    if entry.state_entries not in (0, -1):
        problems.append(f"has {entry.state_entries} parameters or buffers (nn.PixelShuffle has none)")
    want = plan.expected_module[entry.factor]
    for value, where in ((entry.direct, "called directly"), (entry.sequential, "inside nn.Sequential")):
        if value is None:
            ok, detail = False, "no output"
        elif carries_marker(value):
            ok, detail = False, MARKED
        else:
            ok, detail = identical(value, want)
        if not ok:
            problems.append(f"{where}: {detail}")
    return problems


@check("pixel_shuffle.no_torch_pixel_shuffle", probe="import")
def no_torch_pixel_shuffle(seen: Seen, plan: ShufflePlan, spec: CheckSpec) -> CheckResult:
    scan = plan.scan
    if scan is None:
        raise RuntimeError("the plan was not specialised to the submission")
    lines = [f"names torch's pixel shuffle at {ref}" for ref in scan.torch_references]
    lines += [f"reaches into the runtime, looks names up dynamically or cannot be read: {ref}" for ref in scan.tampering]
    forward = seen.get(ShuffleForward)
    if forward is None or not any(case.ok for case in forward.cases):
        return scored(spec, 0.0, "\n".join(["nothing to judge: pixel_shuffle did not run on any input", *lines]))
    marked = _marked_arrays(seen)
    if marked:
        lines.append(f"torch's own pixel shuffle was reached at run time: {marked} returned array(s) carry the "
                     "grader's marker")  # fmt: skip
    if lines:
        return scored(spec, 0.0, "\n".join(lines))
    verdicts = case_verdicts(forward, plan, plan.expected_outputs)
    counts = plan.counts if any(plan.counts) else tuple(True for _ in plan.counts)
    if not any(ok for (ok, _), w in zip(verdicts, counts) if w):
        return scored(spec, 0.0, "nothing to credit: pixel_shuffle gives torch's output on none of the inputs "
                                 "that count (this check rewards a working pixel shuffle written without "
                                 "torch's)")  # fmt: skip
    return scored(spec, 1.0, "torch's pixel shuffle is neither named in the code that runs nor reached at run time")


def _marked_arrays(seen: Seen) -> int:
    arrays: list[np.ndarray | None] = []
    for kind in (ShuffleForward, ShuffleGradients):
        observed = seen.get(kind)
        if observed is not None:
            arrays += [case.value for case in observed.cases]
    module_seen = seen.get(ShuffleModule)
    if module_seen is not None:
        arrays += [a for entry in module_seen.modules for a in (entry.direct, entry.sequential)]
    retrained = seen.get(Retrained)
    if retrained is not None:
        arrays += list(retrained.weights.values())
    return sum(carries_marker(a) for a in arrays)


@check("pixel_shuffle.retrain_identical", probe="retrain", factor=int, steps=int, batch_size=int, lr=float,
       patch=int, bank_size=int)  # fmt: skip
def retrain_identical(seen: Seen, plan: ShufflePlan, spec: CheckSpec) -> CheckResult:
    weights = seen.of(Retrained).weights
    lines = []
    for name, want in plan.expected_weights.items():
        if name not in weights:
            lines.append(f"{name[2:]}: not returned")
            continue
        ok, detail = (False, MARKED) if carries_marker(weights[name]) else identical(weights[name], want)
        if not ok:
            lines.append(f"{name[2:]}: {detail}")
    head = f"the grader's ESPCN net retrained {plan.retrain_steps} steps with PixelShuffle vs nn.PixelShuffle"
    if lines and all(line.endswith(MARKED) for line in lines):
        return scored(spec, 0.0, f"{head}: weights differ: every weight {MARKED}")
    if lines:
        return scored(spec, 0.0, "\n".join([head + ": weights differ", *lines]))
    disagreement = retrain_disagreement(seen, plan)
    if disagreement:
        return scored(spec, 0.0, f"{head}: bit-identical weights, not credited: {disagreement}")
    return _gated(spec, plan, 1.0, head + ": bit-identical weights")


def retrain_disagreement(seen: Seen, plan: ShufflePlan) -> str:
    """Why a bit-identical retrain at factor r cannot be right: the module differs from torch at r.

    The retrain runs the student's module at r, so it can only end where torch's does if the
    module gives torch's output and gradient there; anything else means the retrain did not run
    what the other checks saw.
    """
    r = plan.retrain_factor
    at_r = [i for i, case in enumerate(plan.cases) if case.factor == r] or list(range(len(plan.cases)))
    problems = []
    for kind, expected, what in ((ShuffleForward, plan.expected_outputs, "outputs"),
                                 (ShuffleGradients, plan.expected_grads, "input gradients")):  # fmt: skip
        observed = seen.get(kind)
        if observed is None:
            problems.append(f"the {what} were not observed")
            continue
        verdicts = case_verdicts(observed, plan, expected)
        wrong = sum(not verdicts[i][0] for i in at_r)
        if wrong:
            problems.append(f"{wrong} of {len(at_r)} inputs at r={r} give other {what} than torch")
    module_seen = seen.get(ShuffleModule)
    if module_seen is None:
        problems.append("PixelShuffle was not observed as a module")
    else:
        for entry in module_seen.modules:
            if entry.factor == r and module_problems(entry, plan):
                problems.append(f"PixelShuffle({r}) is not a drop-in for nn.PixelShuffle({r})")
    if not problems:
        return ""
    return f"the module differs from torch's pixel shuffle at r={r} ({'; '.join(problems)})"


CHECKS = (imports, uses_einops, matches_torch, gradients, module, no_torch_pixel_shuffle, retrain_identical)
