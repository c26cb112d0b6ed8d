"""Which axis order a wrong pixel shuffle computes (see `grader.shuffle_orders`)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from grader.results import Diagnosis
from grader.shuffle_orders import AxisOrder, wrong_orders


def logical_input(base: np.ndarray, layout: str, shape: tuple[int, ...]) -> np.ndarray:
    """The input the case hands `pixel_shuffle` (as `oracle.layout_view`, in numpy)."""
    if layout == "transposed":
        return base.swapaxes(-1, -2)
    if layout == "strided":
        return base[..., ::2, :, :]
    if layout == "expanded":
        return np.broadcast_to(base, shape)
    return base


def diagnose_order(cases: Sequence[tuple[np.ndarray, int, np.ndarray]]) -> Diagnosis | None:
    """The wrong axis order whose output equals the observed one on every (input, factor,
    observed output) case given (the cases where the output was not torch's), if there is one.

    Several orders can agree on small inputs (r = 1, one channel); the one with the
    fewest differences from torch's is named.
    """
    if not cases:
        return None
    matching = [order for order in wrong_orders() if all(_equal(order.apply(x, r), seen) for x, r, seen in cases)]
    if not matching:
        return None
    return describe(min(matching, key=lambda order: len(order.mistakes())))


def describe(order: AxisOrder) -> Diagnosis:
    mistakes = order.mistakes()
    kind = f"pixel_shuffle.{mistakes[0][0]}" if len(mistakes) == 1 else "pixel_shuffle.axis_order"
    detail = "; ".join(sentence for _, sentence in mistakes)
    return Diagnosis(kind, f"the output equals `{order.pattern()}`: {detail}")


def _equal(candidate: np.ndarray | None, observed: np.ndarray) -> bool:
    if candidate is None or candidate.shape != observed.shape:
        return False
    return candidate.astype(observed.dtype, copy=False).tobytes() == observed.tobytes()
