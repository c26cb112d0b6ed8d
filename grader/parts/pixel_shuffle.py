"""Part 3, parent side: PixelShuffle cases, torch's answers, and the retrained reference."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Mapping

import numpy as np

from grader.oracle import LAYOUTS, base_shape, random_params, srnet_shapes
from grader.parts.context import PlanContext
from grader.parts.shuffle_einops import EinopsVerdict, judge
from grader.parts.source import PartSource
from grader.sandbox.protocol import Job
from grader.source_scan import ShuffleScan, scan_part

PART = "pixel_shuffle"
MODULE = "pixel_shuffle.py"
NAMES = ("pixel_shuffle", "PixelShuffle")
PROBES = ("import", "forward", "gradients", "module", "retrain")
OTHER_PARTS = frozenset({"CNN", "SuperResolutionNet"})
DTYPES = {"float32": np.float32, "float64": np.float64}


def input_readers(key: str) -> tuple[str, ...]:
    """The probes that read input `key`: the child receives it when the first of them starts."""
    if re.fullmatch(r"case\d+_x", key):
        return ("forward", "gradients")
    if re.fullmatch(r"case\d+_g", key):
        return ("gradients",)
    if key.startswith("module_x"):
        return ("module",)
    if key.startswith(("harness_", "retrain_")):
        return ("retrain",)
    return ()


@dataclass(frozen=True)
class ShuffleCase:
    factor: int
    shape: tuple[int, ...]
    layout: str
    dtype: str

    def label(self) -> str:
        return f"{self.shape} {self.dtype} r={self.factor} {self.layout}"


@dataclass(frozen=True)
class ShufflePlan:
    """Part 3's inputs and expected answers, which inputs count, and what the source shows.

    `counts[i]` / `grad_counts[i]`: whether input i can tell a right answer from the usual
    mistakes, for the output and for the input gradient (`grader.parts.shuffle_mistakes`);
    `module_counts` the same per factor of the module check.
    """

    job: Job
    inputs: dict[str, np.ndarray]
    scan: ShuffleScan | None  # None in a prepared plan, until `specialise` reads the submission
    cases: tuple[ShuffleCase, ...]
    expected_outputs: tuple[np.ndarray, ...]
    expected_grads: tuple[np.ndarray, ...]
    counts: tuple[bool, ...]
    grad_counts: tuple[bool, ...]
    module_factors: tuple[int, ...]
    expected_module: dict[int, np.ndarray]
    module_counts: dict[int, bool]
    expected_weights: dict[str, np.ndarray]
    retrain_factor: int
    retrain_steps: int
    einops: EinopsVerdict | None = None  # with `scan`: the uses_einops verdict


def make_cases(
    rng: np.random.Generator, factors: list[int], channels: list[int], dims: list[int], dtypes: list[str]
) -> tuple[ShuffleCase, ...]:
    """Every factor x rank x dtype, plus every factor x channel count contiguous in 4-D.

    Layouts rotate rather than being drawn, so every rank meets every memory
    layout it allows, in both dtypes: a bug that shows on one layout only
    (`.view` on an expanded input) cannot slip through by the luck of the seed.
    Channels and sizes are drawn from the seed.
    """
    cases = []
    for i_factor, factor in enumerate(factors):
        for ndim in dims:
            layouts = [l for l in LAYOUTS if ndim >= 4 or l != "expanded"]
            for i_dtype, dtype in enumerate(dtypes):
                layout = layouts[(i_factor + i_dtype * len(layouts) // len(dtypes)) % len(layouts)]
                cases.append(_case(rng, factor, ndim, int(rng.choice(channels)), layout, dtype))
        for c in channels:
            cases.append(_case(rng, factor, 4, c, "contiguous", dtypes[0]))
    return tuple(cases)


def _case(rng: np.random.Generator, factor: int, ndim: int, channels: int, layout: str, dtype: str) -> ShuffleCase:
    lead = tuple(int(n) for n in rng.integers(1, 4, size=ndim - 3))
    if layout == "expanded":
        # The broadcast axis first, then real ones of at least 2: merging them needs a copy.
        lead = (3, *(int(n) for n in rng.integers(2, 4, size=len(lead) - 1)))
    h, w = (int(s) for s in rng.integers(1, 6, size=2))
    return ShuffleCase(factor, (*lead, channels * factor * factor, h, w), layout, dtype)


def expected_case(base: np.ndarray, upstream: np.ndarray, case: ShuffleCase) -> tuple[np.ndarray, np.ndarray]:
    """torch's own output and input gradient for one case."""
    import torch
    import torch.nn.functional as F

    from grader.oracle import layout_view

    leaf = torch.from_numpy(base.copy()).requires_grad_(True)
    out = F.pixel_shuffle(layout_view(leaf, case.layout, case.shape), case.factor)
    out.backward(torch.from_numpy(upstream))
    return out.detach().numpy().copy(), leaf.grad.numpy().copy()


def plan(ctx: PlanContext, source: PartSource) -> ShufflePlan:
    return specialise(prepare(ctx), source)


def specialise(prepared: ShufflePlan, source: PartSource) -> ShufflePlan:
    """The prepared plan for one submission: its module, and what the code it reaches shows
    (its helper modules too: the folder is the staged submission)."""
    scan = scan_part(source.path.parent, source.path.name, OTHER_PARTS if source.combined else frozenset())
    return replace(prepared, job=replace(prepared.job, module=source.module), scan=scan,
                   einops=judge(scan, source.module))  # fmt: skip


def prepare(ctx: PlanContext) -> ShufflePlan:
    """Everything that depends on the seed, the rubric and the data only (cached per course)."""
    # Imported here: a parent whose plans come from the cache never loads torch.
    import torch
    import torch.nn.functional as F

    spec = ctx.rubric.spec("pixel_shuffle.matches_torch")
    module_spec = ctx.rubric.spec("pixel_shuffle.module")
    retrain_spec = ctx.rubric.spec("pixel_shuffle.retrain_identical")
    rng = ctx.rng("pixel_shuffle.inputs")

    cases = make_cases(
        rng, list(spec.param("factors")), list(spec.param("channels")),
        list(spec.param("dims")), list(spec.param("dtypes")),
    )  # fmt: skip
    inputs: dict[str, np.ndarray] = {}
    outputs, grads = [], []
    for index, case in enumerate(cases):
        dtype = DTYPES[case.dtype]
        base = rng.standard_normal(base_shape(case.shape, case.layout)).astype(dtype)
        out_shape = (*case.shape[:-3], case.shape[-3] // case.factor**2,
                     case.shape[-2] * case.factor, case.shape[-1] * case.factor)  # fmt: skip
        upstream = rng.standard_normal(out_shape).astype(dtype)
        out, grad = expected_case(base, upstream, case)
        inputs[f"case{index}_x"], inputs[f"case{index}_g"] = base, upstream
        outputs.append(out)
        grads.append(grad)

    module_factors = tuple(int(r) for r in module_spec.param("factors"))
    expected_module = {}
    for factor in module_factors:
        x = rng.standard_normal((2, 2 * factor * factor, 3, 4)).astype(np.float32)
        inputs[f"module_x{factor}"] = x
        expected_module[factor] = F.pixel_shuffle(torch.from_numpy(x), factor).numpy()
    counts, grad_counts, module_counts = _which_count(ctx, cases, inputs, outputs, grads, expected_module,
                                                      (spec.params, module_spec.params))  # fmt: skip

    config = {
        "retrain_factor": int(retrain_spec.param("factor")),
        "retrain_seed": ctx.seed_for("pixel_shuffle.retrain"),
        "retrain_lr": float(retrain_spec.param("lr")),
    }
    retrain_inputs = _retrain_inputs(ctx, config["retrain_factor"], retrain_spec.params)
    inputs.update(retrain_inputs)
    job = ctx.job(
        PART,
        MODULE,
        PROBES,
        {
            **config,
            "cases": [{"factor": c.factor, "shape": list(c.shape), "layout": c.layout} for c in cases],
            "module_factors": list(module_factors),
        },
    )
    return ShufflePlan(
        job=job,
        inputs=inputs,
        scan=None,
        cases=cases,
        expected_outputs=tuple(outputs),
        expected_grads=tuple(grads),
        counts=counts,
        grad_counts=grad_counts,
        module_factors=module_factors,
        expected_module=expected_module,
        module_counts=module_counts,
        # Training the reference takes seconds; `check` does not run the retrain probe.
        expected_weights=_reference_weights(ctx, retrain_inputs, config, retrain_spec.params)
        if ctx.runs("retrain")
        else {},
        retrain_factor=config["retrain_factor"],
        retrain_steps=int(retrain_spec.param("steps")),
    )


def _which_count(
    ctx: PlanContext, cases: tuple[ShuffleCase, ...], inputs: dict[str, np.ndarray], outputs: list[np.ndarray],
    grads: list[np.ndarray], expected_module: dict[int, np.ndarray], params: tuple[Any, ...],
) -> tuple[tuple[bool, ...], tuple[bool, ...], dict[int, bool]]:  # fmt: skip
    """Which inputs some candidate mistake fails (`grader.parts.shuffle_mistakes`): the same for every
    submission, so computed once per seed and settings."""
    from grader.parts.shuffle_mistakes import informative

    key = ("pixel_shuffle.counts", ctx.seed, repr(params))
    if key not in ctx.memo:
        told = [informative(inputs[f"case{i}_x"], c.layout, c.shape, c.factor, inputs[f"case{i}_g"], outputs[i],
                            grads[i]) for i, c in enumerate(cases)]  # fmt: skip
        module = {}
        for factor, want in expected_module.items():
            x = inputs[f"module_x{factor}"]
            module[factor] = informative(x, "contiguous", x.shape, factor, np.ones_like(want), want,
                                         np.ones_like(x))[0]  # fmt: skip
        ctx.memo[key] = (tuple(t[0] for t in told), tuple(t[1] for t in told), module)
    return ctx.memo[key]  # type: ignore[no-any-return]


def _retrain_inputs(ctx: PlanContext, factor: int, params: Mapping[str, Any]) -> dict[str, np.ndarray]:
    from grader.training import epoch_order

    bank = ctx.data.patch_bank(factor, int(params["patch"]), int(params["bank_size"]), 10.0,
                               ctx.seed_for("pixel_shuffle.bank"))  # fmt: skip
    weights = random_params(srnet_shapes(factor), ctx.seed_for("pixel_shuffle.harness"))
    order = epoch_order(len(bank.low), int(params["steps"]), int(params["batch_size"]),
                        ctx.seed_for("pixel_shuffle.order"))  # fmt: skip
    arrays = {f"harness_{name}": value for name, value in weights.items()}
    arrays.update(retrain_low=bank.low, retrain_high=bank.high, retrain_order=order)
    return arrays


def _reference_weights(
    ctx: PlanContext, arrays: dict[str, np.ndarray], config: dict, params: Mapping[str, Any]
) -> dict[str, np.ndarray]:
    """Train the harness with torch's PixelShuffle, with the child's thread count (results depend on it)."""
    import torch
    from torch import nn

    from grader.training import train_harness_srnet

    key = ("pixel_shuffle.retrain", ctx.seed, ctx.device, ctx.rubric.threads, tuple(sorted(params.items())))
    if key not in ctx.memo:
        threads = torch.get_num_threads()
        torch.set_num_threads(ctx.rubric.threads)
        try:
            _, weights = train_harness_srnet(arrays, config, ctx.device, nn.PixelShuffle(config["retrain_factor"]))
        finally:
            torch.set_num_threads(threads)
        ctx.memo[key] = weights
    return ctx.memo[key]
