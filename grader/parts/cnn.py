"""Part 1, parent side: inputs for the CNN probes, the answers to expect, and the
evaluation of the trained weights the child returns (`assess`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Mapping

import numpy as np

from grader.observations import Seen
from grader.observations.cnn import CnnTraining
from grader.oracle import CNN_SHAPES, EMBEDDING_SIZE, random_params
from grader.parts.context import PlanContext
from grader.parts.provenance import RunSetup, replay_settings_for, usable_checkpoints, verified
from grader.parts.source import PartSource
from grader.replay import ReplaySettings
from grader.sandbox.protocol import Job
from grader.trained import Provenance, TrainedCnn
from grader.visuals.tsne import tsne_indices

if TYPE_CHECKING:
    from torch import Tensor

    from grader.training import LossOf

PART = "cnn"
MODULE = "cnn.py"
NAMES = ("CNN",)
PROBES = ("import", "build", "shapes", "public", "reference", "train")
SCORES_TRAINED_WEIGHTS = "cnn.accuracy"  # the check that reads the final weights' evaluation
REFERENCE_BATCH = 16


def input_readers(key: str) -> tuple[str, ...]:
    """The probes that read input `key`: the child receives it when the first of them starts."""
    if key.startswith("shape_x"):
        return ("shapes",)
    if key.startswith("pub_"):
        return ("public",)
    if key.startswith("ref_"):
        return ("reference",)
    if key in ("train_images", "train_labels", "order"):
        return ("train",)
    return ()


@dataclass(frozen=True)
class Expected:
    """The reference's answers on one equivalence input: what the student's CNN must give."""

    input_shape: tuple[int, ...]
    logits: np.ndarray
    embedding: np.ndarray
    grads: dict[str, np.ndarray]  # of every parameter, backpropagating the upstream gradient from the logits


@dataclass(frozen=True)
class CnnPlan:
    job: Job
    inputs: dict[str, np.ndarray]
    batch_sizes: tuple[int, ...]
    public: Expected  # fixed public weights and inputs (the visible check)
    reference: Expected  # weights and inputs from the grading seed (the hidden check)
    test_images: np.ndarray  # held-out digits: they stay in the parent, which evaluates the trained weights
    test_labels: np.ndarray
    steps: int
    lr: float
    data_source: str
    replay: ReplaySettings
    untrained_max: float  # the most test accuracy an initialisation may have
    loss_window: int  # the grader measures the loss on the first and last `loss_window` batches
    # False where no graded check scores the trained weights (`check`): only the initial ones are evaluated
    evaluate_final: bool = True


def plan(ctx: PlanContext, source: PartSource) -> CnnPlan:
    return specialise(prepare(ctx), source)


def specialise(prepared: CnnPlan, source: PartSource) -> CnnPlan:
    """The prepared plan for one submission: only the module to import differs."""
    return replace(prepared, job=replace(prepared.job, module=source.module))


def prepare(ctx: PlanContext) -> CnnPlan:
    """Everything that depends on the seed, the rubric and the data only (cached per course)."""
    # Imported here (and in the helpers): a parent whose plans come from the cache never loads torch.
    from grader.training import epoch_order

    shapes_spec = ctx.rubric.spec("cnn.output_shape")
    train_spec = ctx.rubric.spec("cnn.accuracy")
    rng = ctx.rng("cnn.inputs")
    batch_sizes = tuple(int(b) for b in shapes_spec.param("batch_sizes"))
    inputs: dict[str, np.ndarray] = {f"shape_x{b}": rng.random((b, 1, 28, 28), dtype=np.float32) for b in batch_sizes}

    digits = ctx.data.digits
    # Real digits from the training split: no test digit enters the sandbox.
    public = _equivalence_inputs(ctx, "pub_", digits.train_images, public=True, into=inputs)
    reference = _equivalence_inputs(ctx, "ref_", digits.train_images, public=False, into=inputs)

    steps, batch = int(train_spec.param("steps")), int(train_spec.param("batch_size"))
    order = epoch_order(len(digits.train_images), steps, batch, ctx.seed_for("cnn.order"))
    # Send only the digits the batches use: a full MNIST root has 60,000.
    used, remapped = np.unique(order, return_inverse=True)
    inputs.update(
        train_images=digits.train_images[used],
        train_labels=digits.train_labels[used],
        order=remapped.reshape(order.shape).astype(np.int64),
    )
    replay = replay_settings_for(ctx, "cnn.accuracy")
    job = ctx.job(
        PART,
        MODULE,
        PROBES,
        {
            "batch_sizes": list(batch_sizes),
            "lr": float(train_spec.param("lr")),
            "train_seed": ctx.seed_for("cnn.train"),
            "train_mode_seed": ctx.seed_for("cnn.train_mode"),
            "checkpoint_every": replay.every,
        },
    )
    return CnnPlan(
        job=job,
        inputs=inputs,
        batch_sizes=batch_sizes,
        public=public,
        reference=reference,
        test_images=digits.test_images,
        test_labels=digits.test_labels,
        steps=steps,
        lr=float(train_spec.param("lr")),
        data_source=digits.source,
        replay=replay,
        untrained_max=float(train_spec.param("untrained_max")),
        loss_window=int(ctx.rubric.spec("cnn.loss_decreases").param("window")),
    )


def trained(seen: Seen, plan: CnnPlan) -> TrainedCnn:
    """The parent's evaluation of the trained CNN, computed once per grade (`Seen.derived`)."""
    return seen.derived("trained", lambda: assess(plan, seen.of(CnnTraining)))


def assess(plan: CnnPlan, run: CnnTraining) -> TrainedCnn:
    """Evaluate the returned weights with the grader's own network on the held-out digits, after
    testing where they come from (`grader.replay`); never raises for what the child sent."""
    from grader.oracle import cnn_forward
    from grader.training import accuracy, classifier_loss, classifier_recipe

    images, labels, device = plan.inputs["train_images"], plan.inputs["train_labels"], plan.replay.device

    def make_loss(params: Mapping[str, Tensor]) -> LossOf:
        return classifier_loss(lambda x: cnn_forward(params, x), images, labels, device)

    setup = RunSetup(CNN_SHAPES, classifier_recipe(plan.lr, plan.steps), plan.inputs["order"], make_loss,
                     plan.replay, plan.loss_window)  # fmt: skip
    checkpoints, problem = usable_checkpoints(run, setup, "CNN")
    if problem:
        return TrainedCnn(Provenance(problem=problem, losses=tuple(run.losses)), np.zeros((0, 10), np.float32),
                          np.zeros((0, EMBEDDING_SIZE), np.float32), plan.test_labels)  # fmt: skip

    def evaluate(weights: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray, float]:
        logits, embeddings = _predict(weights, plan.test_images, device)
        return logits, embeddings, accuracy(logits, plan.test_labels)

    def refusal(initial: tuple[np.ndarray, np.ndarray, float]) -> str:
        share = initial[2]
        if share <= plan.untrained_max:
            return ""
        return (
            f"the initialisation is already trained: before any training step, your initial weights classify "
            f"{share:.1%} of the held-out digits (an untrained network about 10%; at most "
            f"{plan.untrained_max:.0%} accepted). The accuracy must come from training your own untrained network."
        )

    provenance, initial, final = verified(run, checkpoints, setup, evaluate, plan.evaluate_final, refusal)
    if final is None:
        return TrainedCnn(provenance, np.zeros((0, 10), np.float32), np.zeros((0, EMBEDDING_SIZE), np.float32),
                          plan.test_labels, initial_accuracy=initial[2])  # fmt: skip
    logits, embeddings, final_accuracy = final
    shown = tsne_indices(len(embeddings))
    return TrainedCnn(provenance, logits, embeddings[shown], plan.test_labels, shown, final_accuracy, initial[2])


def _predict(weights: tuple[np.ndarray, ...], images: np.ndarray, device: str,
             batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Logits and embeddings of the grader's CNN with `weights` (contract order), as float32.

    In batches of 64, whose activations stay in a CPU's caches: on 1,000 digits twice as fast
    as batches of 500, and the same bits (each digit's logits do not depend on its batch)."""
    from grader.oracle import as_tensors, cnn_forward
    from grader.training import images_to_batch

    params = as_tensors(dict(zip(CNN_SHAPES, weights)), device)
    logits, embeddings = [], []
    for start in range(0, len(images), batch_size):
        out, embedding = cnn_forward(params, images_to_batch(images[start : start + batch_size], device))
        logits.append(out.float().cpu().numpy())
        embeddings.append(embedding.float().cpu().numpy())
    return np.concatenate(logits), np.concatenate(embeddings)


def _equivalence_inputs(ctx: PlanContext, prefix: str, digits: np.ndarray, public: bool,
                        into: dict[str, np.ndarray]) -> Expected:  # fmt: skip
    """Weights, a batch (half real digits, half noise: realistic activations and unusual ones)
    and an upstream gradient, added to `into` under `prefix`; the reference's answers."""
    import torch

    from grader.oracle import as_tensors, cnn_forward

    rng = ctx.rng(f"cnn.{prefix}inputs", public=public)
    weights = random_params(CNN_SHAPES, ctx.seed_for(f"cnn.{prefix}weights", public=public))
    real = digits[rng.choice(len(digits), REFERENCE_BATCH // 2, replace=False)]
    noise = rng.random((REFERENCE_BATCH // 2, 28, 28), dtype=np.float32)
    x = np.concatenate([real.astype(np.float32) / 255.0, noise])[:, None]
    upstream = rng.standard_normal((REFERENCE_BATCH, 10)).astype(np.float32)
    params = {name: t.requires_grad_() for name, t in as_tensors(weights).items()}
    logits, embedding = cnn_forward(params, torch.from_numpy(x))
    logits.backward(torch.from_numpy(upstream))
    into.update({f"{prefix}w_{name}": value for name, value in weights.items()})
    into.update({f"{prefix}x": x, f"{prefix}g": upstream})
    return Expected(
        tuple(x.shape),
        logits.detach().numpy(),
        embedding.detach().numpy(),
        {name: t.grad.numpy() for name, t in params.items()},
    )
