"""Likely mistakes of a super-resolution net whose output differs from the reference's:
the oracle's forward with one thing changed, on the same weights and input as the check."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Mapping, Sequence

import numpy as np

from grader.diagnosis import Candidate, first_match
from grader.diagnosis.pixel_shuffle import describe
from grader.oracle import as_tensors, srnet_shapes
from grader.results import Diagnosis
from grader.shuffle_orders import wrong_orders

if TYPE_CHECKING:  # torch is imported when a diagnosis is computed, not with the checks
    from torch import Tensor


def _features(p: Mapping[str, Tensor], y: Tensor, relus: tuple[bool, bool, bool]) -> Tensor:
    """conv4's output: the (N, r*r, H, W) tensor the pixel shuffle reads."""
    import torch.nn.functional as F

    h = y
    for index, (name, padding) in enumerate((("conv1", 2), ("conv2", 1), ("conv3", 1))):
        h = F.conv2d(h, p[f"{name}.weight"], p[f"{name}.bias"], padding=padding)
        h = F.relu(h) if relus[index] else h
    return F.conv2d(h, p["conv4.weight"], p["conv4.bias"], padding=1)


RELU_VARIANTS = (
    ((False, True, True), "the ReLU after conv1 is missing"),
    ((True, False, True), "the ReLU after conv2 is missing"),
    ((True, True, False), "the ReLU after conv3 is missing"),
    ((False, False, False), "the ReLUs after conv1, conv2 and conv3 are missing"),
)


def candidates(weights: Mapping[str, np.ndarray], y: np.ndarray, factor: int) -> list[Candidate]:
    import torch
    import torch.nn.functional as F

    params = as_tensors({name: weights[name] for name in srnet_shapes(factor)})
    batch = torch.from_numpy(np.array(y, dtype=np.float32))

    def features(relus: tuple[bool, bool, bool] = (True, True, True)) -> np.ndarray:
        with torch.no_grad():
            return _features(params, batch, relus).numpy()

    def shuffled(relus: tuple[bool, bool, bool], after: Callable[[Tensor], Tensor] | None = None,
                 ) -> Callable[[], Sequence[np.ndarray]]:  # fmt: skip
        def output() -> Sequence[np.ndarray]:
            z = torch.from_numpy(features(relus))
            if after is not None:
                z = after(z)
            return (F.pixel_shuffle(z, factor).numpy(),)

        return output

    found: list[Candidate] = [
        (Diagnosis("srnet.missing_relu", text), shuffled(relus)) for relus, text in RELU_VARIANTS
    ]
    found += [
        (Diagnosis("srnet.relu_after_last_conv", "a ReLU follows conv4: the last convolution's output must stay "
                   "linear (the pixel shuffle only rearranges it)"), shuffled((True, True, True), F.relu)),
        (Diagnosis("srnet.output_activation", "a sigmoid is applied to the output: the net's last layer is linear"),
         shuffled((True, True, True), torch.sigmoid)),
    ]  # fmt: skip
    base: list[np.ndarray] = []

    def reread(order: object) -> Callable[[], Sequence[np.ndarray | None]]:
        def output() -> Sequence[np.ndarray | None]:
            if not base:
                base.append(features())
            return (order.apply(base[0], factor),)  # type: ignore[attr-defined]

        return output

    for order in wrong_orders():
        named = describe(order)
        found.append((Diagnosis("srnet.shuffle_order", "the output is conv4's output read in another order by the "
                                f"pixel shuffle: {named.detail}"), reread(order)))  # fmt: skip
    return found


def diagnose(output: np.ndarray | None, weights: Mapping[str, np.ndarray], y: np.ndarray, factor: int,
             rtol: float, atol: float) -> Diagnosis | None:  # fmt: skip
    if output is None:
        return None
    return first_match((output,), candidates(weights, y, factor), max(rtol, 1e-4), max(atol, 1e-5))


def upscale_diagnosis(cases: Sequence[tuple[int, tuple[int, ...], tuple[int, ...] | None]]) -> Diagnosis | None:
    """From (factor, input shape, output shape) per case: the factor the net really upscales by,
    when it is the same wrong one for every factor (hard-coded) or twice the factor."""
    ratios = []
    for factor, shape, out in cases:
        if out is None or len(out) != 4 or len(shape) != 4 or out[2] % shape[2] or out[3] % shape[3]:
            return None
        if out[2] // shape[2] != out[3] // shape[3]:
            return None
        ratios.append((factor, out[2] // shape[2]))
    if not ratios or all(f == k for f, k in ratios):
        return None
    used = {k for _, k in ratios}
    if len(used) == 1 and len({f for f, _ in ratios}) > 1:
        k = used.pop()
        return Diagnosis("srnet.upscale_factor", f"the output is {k} times the input whatever the upscale factor: "
                         f"the factor {k} is hard-coded instead of using upscale_factor")  # fmt: skip
    if all(k == 2 * f for f, k in ratios):
        return Diagnosis("srnet.upscale_factor", "the output is 2r times the input: the factor is used twice "
                         "(conv4 should give r*r channels, which the pixel shuffle turns into an r times larger image)")
    return Diagnosis("srnet.upscale_factor", "the output is not upscaled by the factor given to "
                     f"SuperResolutionNet(r): it grows by {', '.join(f'{k} at r={f}' for f, k in ratios)}")


def conv4_diagnosis(channels: Sequence[tuple[int, int]]) -> Diagnosis | None:
    """From (factor, conv4's output channels) per factor: a conv4 that does not give r*r channels."""
    wrong = [(f, c) for f, c in channels if c != f * f]
    if not wrong:
        return None
    if len(channels) > 1 and len({c for _, c in channels}) == 1:
        c = channels[0][1]
        return Diagnosis("srnet.upscale_factor", f"conv4 has {c} output channels whatever the upscale factor: a "
                         "factor is hard-coded; conv4 needs upscale_factor ** 2 channels")  # fmt: skip
    if all(c == 2 * f for f, c in channels):
        return Diagnosis("srnet.upscale_factor", "conv4 has r * 2 output channels instead of r * r (upscale_factor "
                         "** 2): the pixel shuffle needs r * r channels to make each r x r block")  # fmt: skip
    return None
