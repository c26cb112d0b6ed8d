"""Part 1, parent side: inputs for the CNN probes and the answers to expect."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from grader.oracle import CNN_SHAPES, random_params
from grader.parts.context import PartSource, PlanContext
from grader.sandbox.protocol import Job

PART = "cnn"
MODULE = "cnn.py"
NAMES = ("CNN",)
PROBES = ("import", "build", "shapes", "public", "reference", "train")
REFERENCE_BATCH = 16


def input_readers(key: str) -> tuple[str, ...]:
    """The probes that read input `key`: the child receives it when the first of them starts."""
    if key.startswith("shape_x"):
        return ("shapes",)
    if key.startswith("pub_"):
        return ("public",)
    if key.startswith("ref_"):
        return ("reference",)
    if key in ("train_images", "train_labels", "order", "test_images"):
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
    test_labels: np.ndarray
    steps: int
    data_source: str


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
    public = _equivalence_inputs(ctx, "pub_", digits.test_images, public=True, into=inputs)
    reference = _equivalence_inputs(ctx, "ref_", digits.test_images, public=False, into=inputs)

    steps, batch = int(train_spec.param("steps")), int(train_spec.param("batch_size"))
    order = epoch_order(len(digits.train_images), steps, batch, ctx.seed_for("cnn.order"))
    # Send only the digits the batches use: a full MNIST root has 60,000.
    used, remapped = np.unique(order, return_inverse=True)
    inputs.update(
        train_images=digits.train_images[used],
        train_labels=digits.train_labels[used],
        order=remapped.reshape(order.shape).astype(np.int64),
        test_images=digits.test_images,
    )
    job = ctx.job(
        PART,
        MODULE,
        PROBES,
        {
            "batch_sizes": list(batch_sizes),
            "lr": float(train_spec.param("lr")),
            "train_seed": ctx.seed_for("cnn.train"),
            "train_mode_seed": ctx.seed_for("cnn.train_mode"),
        },
    )
    return CnnPlan(
        job=job,
        inputs=inputs,
        batch_sizes=batch_sizes,
        public=public,
        reference=reference,
        test_labels=digits.test_labels,
        steps=steps,
        data_source=digits.source,
    )


def _equivalence_inputs(ctx: PlanContext, prefix: str, test_images: np.ndarray, public: bool,
                        into: dict[str, np.ndarray]) -> Expected:  # fmt: skip
    """Weights, a batch (half real test digits, half noise: realistic activations and unusual
    ones) and an upstream gradient, added to `into` under `prefix`; the reference's answers."""
    import torch

    from grader.oracle import as_tensors, cnn_forward

    rng = ctx.rng(f"cnn.{prefix}inputs", public=public)
    weights = random_params(CNN_SHAPES, ctx.seed_for(f"cnn.{prefix}weights", public=public))
    real = test_images[rng.choice(len(test_images), REFERENCE_BATCH // 2, replace=False)]
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
