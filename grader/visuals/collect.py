"""The pictures of one graded part, computed in the parent after scoring.

They use what the checks used: the arrays the child returned (decoded and
validated by `Seen`), the parent's evaluation of the trained weights
(`grader.trained`, for the t-SNE map and the photos: shown only when the
training checks credit the weights) and the parent's own data (labels,
photos, torch's answers). A picture that cannot be made is left out: it
never costs a check or the report.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from grader.data.superres import psnr
from grader.observations import Seen
from grader.observations.cnn import CnnTraining
from grader.observations.pixel_shuffle import ShuffleForward
from grader.observations.srnet import SrnetTraining
from grader.results import CheckResult
from grader.visuals import LossCurve, ShuffleGrid, SrPhoto, SrPhotos, TsneMap, Visual
from grader.visuals.band import band_for
from grader.visuals.colour import as_rgb, downscale_rgb, upscale_rgb, with_luminance
from grader.visuals.tsne import tsne_points

Builder = Callable[[Seen, Any, dict[str, CheckResult], int], Visual | None]


def collect(part: str, seen: Seen, plan: Any, results: Sequence[CheckResult], seed: int) -> tuple[Visual, ...]:
    """The visuals of `part` whose check was graded; never raises."""
    graded = {r.name: r for r in results}
    visuals = []
    for check, build in BUILDERS.get(part, ()):
        if check not in graded:
            continue
        try:
            visual = build(seen, plan, graded, seed)
        except Exception:  # noqa: BLE001 - a picture is a bonus: a bad array costs only the picture
            visual = None
        if visual is not None:
            visuals.append(visual)
    return tuple(visuals)


def _loss_curve(part: str, kind: type[CnnTraining] | type[SrnetTraining], title: str) -> Builder:
    """The builder of a part's loss curve; `title` is formatted with the number of steps."""

    def build(seen: Seen, plan: Any, graded: dict[str, CheckResult], seed: int) -> Visual | None:
        training = seen.get(kind)
        if training is None:
            return None
        band = band_for(part, plan.steps, plan.job.config.get("lr"), plan.data_source)
        return LossCurve(f"{part}.loss_decreases", title.format(steps=plan.steps), training.losses, band,
                         _band_caption(band))  # fmt: skip

    return build


def _tsne(seen: Seen, plan: Any, graded: dict[str, CheckResult], seed: int) -> Visual | None:
    from grader.parts.cnn import trained

    model = trained(seen, plan)
    if model.provenance.refusal():
        return None
    embedding = model.embeddings
    labels = np.asarray(plan.test_labels)[model.embedded]
    if embedding.ndim < 2 or len(embedding) != len(labels) or len(labels) < 5 or embedding.dtype.kind != "f":
        return None
    points = tsne_points(embedding, seed)
    if points is None:
        return None
    accuracy = model.accuracy
    caption = (f"Your trained CNN's {embedding.shape[1]:,}-d embeddings of {len(labels)} held-out test digits "
               "mapped to 2-D by t-SNE (scikit-learn, perplexity 30, PCA initialisation), coloured by the true "
               "digit. Well-separated clusters mean the network learned features that tell digits apart.")  # fmt: skip
    return TsneMap("cnn.accuracy", points, labels, accuracy, caption)


def _photos(seen: Seen, plan: Any, graded: dict[str, CheckResult], seed: int) -> Visual | None:
    from grader.parts.srnet import trained

    model = trained(seen, plan)
    if model.provenance.refusal() or len(model.outputs) != len(plan.tests):
        return None
    photos = []
    for test, output in zip(plan.tests, model.outputs):
        if output.shape != test.high.shape:
            continue
        student_y = output.astype(np.float64)  # the grader's network on the trained weights, clipped to [0, 1]
        original = as_rgb(test.colour if getattr(test, "colour", None) is not None else test.high)
        low = downscale_rgb(original, plan.factor)
        bicubic = upscale_rgb(low, test.high.shape)
        photos.append(SrPhoto(
            name=test.name,
            low=low,
            bicubic=bicubic,
            student=with_luminance(student_y, bicubic),
            original=original,
            psnr_bicubic=psnr(test.bicubic, test.high),
            psnr_student=psnr(student_y, test.high),
        ))  # fmt: skip
    if not photos:
        return None
    caption = (f"Each held-out photo downscaled {plan.factor}x (LR), upscaled back by bicubic interpolation and by "
               "your trained network, next to the original. The network works on the luminance (Y); the colour "
               "comes from the bicubic upscale, as in the assignment. PSNR is measured on Y against the original.")
    return SrPhotos("srnet.psnr", plan.factor, tuple(photos), caption)


def _shuffle_grid(seen: Seen, plan: Any, graded: dict[str, CheckResult], seed: int) -> Visual | None:
    if graded["pixel_shuffle.matches_torch"].score >= graded["pixel_shuffle.matches_torch"].max_score:
        return None
    forward = seen.get(ShuffleForward)
    if forward is None or len(forward.cases) != len(plan.cases):
        return None
    # The smallest case that ran with torch's shape but other values: the easiest grid to read.
    candidates = []
    for case, want, outcome in zip(plan.cases, plan.expected_outputs, forward.cases):
        value = outcome.value
        if outcome.ok and value is not None and value.shape == want.shape and case.factor > 1:
            differs = ~_same(value, want)
            if differs.any():
                candidates.append((want.size, case, differs))
    if not candidates:
        return None
    # Prefer a grid of at least 2 x 2 blocks, where a pattern shows; then the smallest.
    _, case, differs = min(candidates, key=lambda item: (min(item[2].shape[-2:]) < 2 * item[1].factor, item[0]))
    grid = differs.reshape(-1, *differs.shape[-3:])[0]
    caption = (f"The output of pixel_shuffle on the input {case.label()}: each square is one output pixel, "
               f"red where it differs from torch's F.pixel_shuffle, green where it is equal; the thick lines "
               f"frame the {case.factor}x{case.factor} blocks that come from one input position.")
    return ShuffleGrid("pixel_shuffle.matches_torch", case.label(), case.factor, grid, caption)


def _same(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    both_nan = np.isnan(observed) & np.isnan(expected) if observed.dtype.kind == "f" else False
    return (observed == expected) | both_nan


def _band_caption(band: Any) -> str:
    if band is None:
        return ("Your training run's loss per step. No reference band is stored for these settings "
                "(steps, learning rate, data).")
    return (f"Your training run's loss per step (thin: every step, thick: a moving average) over the band that "
            f"{band.runs} training runs of the reference solution span ({band.source}). A curve well above "
            "the band learns slower than the reference; a flat one does not learn.")


CNN_LOSSES = _loss_curve("cnn", CnnTraining, "CNN: cross-entropy loss over {steps} AdamW steps")
SRNET_LOSSES = _loss_curve("srnet", SrnetTraining, "Super-resolution net: MSE loss over {steps} Adam steps")
BUILDERS: dict[str, tuple[tuple[str, Builder], ...]] = {
    "cnn": (("cnn.loss_decreases", CNN_LOSSES), ("cnn.accuracy", _tsne)),
    "srnet": (("srnet.loss_decreases", SRNET_LOSSES), ("srnet.psnr", _photos)),
    "pixel_shuffle": (("pixel_shuffle.matches_torch", _shuffle_grid),),
}
