"""Part 2, parent side: inputs for the super-resolution probes, the answers to expect, and
the evaluation of the trained weights the child returns (`assess`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import product
from typing import TYPE_CHECKING, Mapping

import numpy as np

from grader.data.superres import PatchBank, TestImage, psnr
from grader.observations import Seen
from grader.observations.srnet import SrnetTraining
from grader.oracle import Shuffle, random_params, srnet_shapes
from grader.parts.context import PlanContext
from grader.parts.provenance import RunSetup, replay_settings_for, usable_checkpoints, verified
from grader.parts.source import PartSource
from grader.replay import ReplaySettings
from grader.sandbox.protocol import Job
from grader.trained import Provenance, TrainedSrnet

if TYPE_CHECKING:
    from torch import Tensor

    from grader.training import LossOf

PART = "srnet"
MODULE = "srnet.py"
NAMES = ("SuperResolutionNet",)
PROBES = ("import", "build", "shapes", "public", "reference", "train")
SCORES_TRAINED_WEIGHTS = "srnet.psnr"  # the check that reads the final weights' evaluation
REFERENCE_SHAPE = (2, 1, 12, 10)


def input_readers(key: str) -> tuple[str, ...]:
    """The probes that read input `key`: the child receives it when the first of them starts."""
    if key.startswith("shape_x"):
        return ("shapes",)
    if key.startswith("pub_"):
        return ("public",)
    if key.startswith("ref_"):
        return ("reference",)
    if key in ("train_low", "train_high", "order"):
        return ("train",)
    return ()


@dataclass(frozen=True)
class ShapeCase:
    factor: int
    shape: tuple[int, ...]

    @property
    def expected(self) -> tuple[int, ...]:
        n, c, h, w = self.shape
        return (n, c, h * self.factor, w * self.factor)


@dataclass(frozen=True)
class Expected:
    """The reference's answers on one equivalence input at one factor."""

    factor: int
    input_shape: tuple[int, ...]
    output: np.ndarray
    grads: dict[str, np.ndarray]  # of every parameter, backpropagating the upstream gradient from the output


@dataclass(frozen=True)
class SrnetPlan:
    job: Job
    inputs: dict[str, np.ndarray]
    factors: tuple[int, ...]
    shape_cases: tuple[ShapeCase, ...]
    public: tuple[Expected, ...]  # fixed public weights and inputs (the visible check)
    reference: tuple[Expected, ...]  # weights and inputs from the grading seed (the hidden check)
    tests: tuple[TestImage, ...]  # held-out photos: they stay in the parent, which evaluates the trained weights
    factor: int
    steps: int
    lr: float
    data_source: str
    replay: ReplaySettings
    untrained_max: float  # the most PSNR gain over bicubic (dB) an initialisation may have
    loss_window: int  # the grader measures the loss on the first and last `loss_window` batches
    # False where no graded check scores the trained weights (`check`): only the initial ones are evaluated
    evaluate_final: bool = True


def plan(ctx: PlanContext, source: PartSource) -> SrnetPlan:
    return specialise(prepare(ctx), source)


def specialise(prepared: SrnetPlan, source: PartSource) -> SrnetPlan:
    """The prepared plan for one submission: only the module to import differs."""
    return replace(prepared, job=replace(prepared.job, module=source.module))


def prepare(ctx: PlanContext) -> SrnetPlan:
    """Everything that depends on the seed, the rubric and the data only (cached per course)."""
    # Imported here (and in the helpers): a parent whose plans come from the cache never loads torch.
    from grader.training import epoch_order

    arch = ctx.rubric.spec("srnet.architecture")
    shapes_spec = ctx.rubric.spec("srnet.output_shape")
    ref_spec = ctx.rubric.spec("srnet.matches_reference")
    train_spec = ctx.rubric.spec("srnet.psnr")
    rng = ctx.rng("srnet.inputs")
    inputs: dict[str, np.ndarray] = {}

    cases = tuple(
        ShapeCase(int(r), (int(n), 1, int(h), int(w)))
        for r, (n, h, w) in product(shapes_spec.param("factors"), shapes_spec.param("sizes"))
    )
    for index, case in enumerate(cases):
        inputs[f"shape_x{index}"] = rng.random(case.shape, dtype=np.float32)

    public_factors = [int(r) for r in ctx.rubric.spec("srnet.matches_public").param("factors")]
    reference_factors = [int(r) for r in ref_spec.param("factors")]
    public = tuple(_equivalence_inputs(ctx, "pub_", r, True, inputs) for r in public_factors)
    reference = tuple(_equivalence_inputs(ctx, "ref_", r, False, inputs) for r in reference_factors)

    factor = int(train_spec.param("factor"))
    bank, tests = training_data(ctx)
    steps, batch = int(train_spec.param("steps")), int(train_spec.param("batch_size"))
    inputs.update(
        train_low=bank.low,
        train_high=bank.high,
        order=epoch_order(len(bank.low), steps, batch, ctx.seed_for("srnet.order")),
    )
    replay = replay_settings_for(ctx, "srnet.psnr")
    job = ctx.job(
        PART,
        MODULE,
        PROBES,
        {
            "factors": [int(r) for r in arch.param("factors")],
            "shape_cases": [{"factor": c.factor} for c in cases],
            "public_factors": public_factors,
            "reference_factors": reference_factors,
            "train_mode_seed": ctx.seed_for("srnet.train_mode"),
            "factor": factor,
            "lr": float(train_spec.param("lr")),
            "train_seed": ctx.seed_for("srnet.train"),
            "checkpoint_every": replay.every,
        },
    )
    return SrnetPlan(
        job=job,
        inputs=inputs,
        factors=tuple(int(r) for r in arch.param("factors")),
        shape_cases=cases,
        public=public,
        reference=reference,
        tests=tests,
        factor=factor,
        steps=steps,
        lr=float(train_spec.param("lr")),
        data_source=ctx.data.photos.source,
        replay=replay,
        untrained_max=float(train_spec.param("untrained_max")),
        loss_window=int(ctx.rubric.spec("srnet.loss_decreases").param("window")),
    )


def training_data(ctx: PlanContext) -> tuple[PatchBank, tuple[TestImage, ...]]:
    """The PSNR check's training patches and test images (DataError when the photos cannot
    give them: the command line calls this early, so a bad --sr-root is a usage error)."""
    spec = ctx.rubric.spec("srnet.psnr")
    factor = int(spec.param("factor"))
    bank = ctx.data.patch_bank(factor, int(spec.param("patch")), int(spec.param("bank_size")),
                               float(spec.param("min_std")), ctx.seed_for("srnet.bank"))  # fmt: skip
    return bank, ctx.data.test_images(factor, int(spec.param("max_side")))


def trained(seen: Seen, plan: SrnetPlan) -> TrainedSrnet:
    """The parent's evaluation of the trained net, computed once per grade (`Seen.derived`)."""
    return seen.derived("trained", lambda: assess(plan, seen.of(SrnetTraining)))


def assess(plan: SrnetPlan, run: SrnetTraining) -> TrainedSrnet:
    """Upscale the held-out photos with the grader's own network and the returned weights, after
    testing where they come from (`grader.replay`); never raises for what the child sent."""
    from grader.oracle import srnet_forward
    from grader.training import superres_loss, superres_recipe

    low, high, device = plan.inputs["train_low"], plan.inputs["train_high"], plan.replay.device
    shuffle = _torch_shuffle(plan.factor)

    def make_loss(params: Mapping[str, Tensor]) -> LossOf:
        return superres_loss(lambda y: srnet_forward(params, y, shuffle), low, high, device)

    setup = RunSetup(srnet_shapes(plan.factor), superres_recipe(plan.lr, plan.steps), plan.inputs["order"],
                     make_loss, plan.replay, plan.loss_window)  # fmt: skip
    checkpoints, problem = usable_checkpoints(run, setup, "SuperResolutionNet")
    if problem:
        return TrainedSrnet(Provenance(problem=problem, losses=tuple(run.losses)))
    bicubic = tuple(psnr(test.bicubic, test.high) for test in plan.tests)

    def evaluate(weights: tuple[np.ndarray, ...]) -> tuple[list[np.ndarray], list[float], float]:
        outputs, psnrs = _upscale(weights, plan, shuffle)
        return outputs, psnrs, float(np.mean(np.subtract(psnrs, bicubic)))

    def refusal(initial: tuple[list[np.ndarray], list[float], float]) -> str:
        gain = initial[2]
        if gain <= plan.untrained_max:
            return ""
        return (
            f"the initialisation is already trained: before any training step, your initial weights upscale the "
            f"held-out photos {gain:+.2f} dB against bicubic (an untrained net about -20 dB; at most "
            f"{plan.untrained_max:+.1f} dB accepted). The PSNR must come from training your own untrained net."
        )

    provenance, initial, final = verified(run, checkpoints, setup, evaluate, plan.evaluate_final, refusal)
    if final is None:
        return TrainedSrnet(provenance, initial_gain=initial[2])
    outputs, final_psnr, gain = final
    return TrainedSrnet(
        provenance,
        names=tuple(test.name for test in plan.tests),
        outputs=tuple(outputs),
        psnr=tuple(final_psnr),
        bicubic_psnr=bicubic,
        gain=gain,
        initial_gain=initial[2],
    )


def _torch_shuffle(factor: int) -> Shuffle:
    import torch.nn.functional as F

    return lambda t: F.pixel_shuffle(t, factor)


def _upscale(weights: tuple[np.ndarray, ...], plan: SrnetPlan, shuffle: Shuffle) -> tuple[list[np.ndarray], list[float]]:
    """The grader's net with `weights` on each held-out photo: the Y it gives (clipped to [0, 1], as
    scored) and its PSNR in dB against the high-resolution Y."""
    import torch

    from grader.oracle import as_tensors, srnet_forward

    params = as_tensors(dict(zip(srnet_shapes(plan.factor), weights)), plan.replay.device)
    outputs, psnrs = [], []
    for test in plan.tests:
        low = torch.from_numpy(np.ascontiguousarray(test.low, dtype=np.float32)).to(plan.replay.device)
        out = srnet_forward(params, low[None, None], shuffle)[0, 0].float().cpu().numpy()
        out = np.clip(np.nan_to_num(out, nan=0.0), 0.0, 1.0).astype(np.float32)
        outputs.append(out)
        psnrs.append(psnr(out, test.high))
    return outputs, psnrs


def _equivalence_inputs(ctx: PlanContext, prefix: str, factor: int, public: bool,
                        into: dict[str, np.ndarray]) -> Expected:  # fmt: skip
    """Weights, an input and an upstream gradient at one factor, added to `into` under
    `prefix`; the reference's output and parameter gradients."""
    import torch
    import torch.nn.functional as F

    from grader.oracle import as_tensors, srnet_forward

    weights = random_params(srnet_shapes(factor), ctx.seed_for(f"srnet.{prefix}weights{factor}", public))
    x = ctx.rng(f"srnet.{prefix}inputs{factor}", public).random(REFERENCE_SHAPE, dtype=np.float32)
    params = {name: t.requires_grad_() for name, t in as_tensors(weights).items()}
    out = srnet_forward(params, torch.from_numpy(x), lambda t: F.pixel_shuffle(t, factor))
    upstream = ctx.rng(f"srnet.{prefix}upstream{factor}", public).standard_normal(tuple(out.shape)).astype(np.float32)
    out.backward(torch.from_numpy(upstream))
    into.update({f"{prefix}w{factor}_{name}": value for name, value in weights.items()})
    into.update({f"{prefix}x{factor}": x, f"{prefix}g{factor}": upstream})
    return Expected(factor, tuple(x.shape), out.detach().numpy(), {name: t.grad.numpy() for name, t in params.items()})
