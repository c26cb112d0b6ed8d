"""Every axis order of the depth-to-space pattern, as numpy functions: the candidate
wrong PixelShuffles a diagnosis compares a submission's output with.

torch's pixel shuffle reads the channel axis as (c, h2, w2) with h2 = w2 = r
and weaves h2 into the height and w2 into the width:
`... (c h2 w2) h w -> ... c (h h2) (w w2)`. A wrong one may order the channel
group differently (6 orders), put the factor before the pixel in a composed
axis (2 x 2), or order the output axes differently (6 orders): 144 orders,
one of them torch's. Parent side only: no torch, no student code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from itertools import permutations

import numpy as np

GROUP_AXES = ("c", "h2", "w2")
OUTPUT_AXES = ("c", "height", "width")


@dataclass(frozen=True)
class AxisOrder:
    """One depth-to-space pattern: the channel split, each composed axis, the output order."""

    group: tuple[str, str, str]  # a permutation of ("c", "h2", "w2"): how the channel axis is split
    height: tuple[str, str]  # ("h", "h2") as torch, or ("h2", "h"): the factor outside the pixel
    width: tuple[str, str]
    order: tuple[str, str, str]  # a permutation of ("c", "height", "width")

    def pattern(self) -> str:
        """The einops pattern, e.g. `... (c w2 h2) h w -> ... c (h h2) (w w2)`."""
        parts = {"c": "c", "height": f"({' '.join(self.height)})", "width": f"({' '.join(self.width)})"}
        return f"... ({' '.join(self.group)}) h w -> ... {' '.join(parts[a] for a in self.order)}"

    def apply(self, x: np.ndarray, factor: int) -> np.ndarray | None:
        """This order on `x` (..., C*r*r, H, W); None when the channels do not split by r*r."""
        if x.ndim < 3 or factor < 1 or x.shape[-3] % (factor * factor):
            return None
        lead, (channels, h, w) = x.shape[:-3], x.shape[-3:]
        sizes = {"c": channels // (factor * factor), "h2": factor, "w2": factor, "h": h, "w": w}
        names = [*self.group, "h", "w"]
        split = x.reshape(*lead, *(sizes[a] for a in self.group), h, w)
        composed = {"c": ("c",), "height": self.height, "width": self.width}
        out_names = [name for axis in self.order for name in composed[axis]]
        base = len(lead)
        moved = split.transpose(*range(base), *(base + names.index(n) for n in out_names))
        return moved.reshape(*lead, *(math.prod(sizes[n] for n in composed[a]) for a in self.order))

    def mistakes(self) -> tuple[tuple[str, str], ...]:
        """What differs from torch's order, as (kind, sentence) pairs; () for torch's own."""
        found = []
        if self.group != GROUP_AXES:
            if self.group == ("c", "w2", "h2"):
                found.append(("factors_swapped", "the channel axis is split as (c, w2, h2): the two factors r1 and "
                              "r2 are swapped, so every r x r block comes out transposed"))  # fmt: skip
            else:
                found.append(("channel_split_order", f"the channel axis is split as ({', '.join(self.group)}): the "
                              "output channel must be the slowest-varying part of the input channels"))  # fmt: skip
        outside = [name for name, pair in (("height", self.height), ("width", self.width)) if pair[0] != name[0]]
        if outside:
            found.append(("factor_outside", f"in the output {' and '.join(outside)} the factor comes before the "
                          "pixel, so the r pixels of one block land far apart instead of side by side"))  # fmt: skip
        if self.order != OUTPUT_AXES:
            if self.order == ("c", "width", "height"):
                found.append(("transposed", "height and width are swapped in the output (a transposition)"))
            else:
                found.append(("channel_moved", f"the output axes come out as ({', '.join(self.order)}) instead of "
                              "channel, height, width"))  # fmt: skip
        return tuple(found)


TORCH_ORDER = AxisOrder(GROUP_AXES, ("h", "h2"), ("w", "w2"), OUTPUT_AXES)


@lru_cache(maxsize=1)
def all_orders() -> tuple[AxisOrder, ...]:
    """The 144 orders, torch's first."""
    orders = [
        AxisOrder(group, height, width, order)  # type: ignore[arg-type]
        for group in permutations(GROUP_AXES)
        for height in (("h", "h2"), ("h2", "h"))
        for width in (("w", "w2"), ("w2", "w"))
        for order in permutations(OUTPUT_AXES)
    ]
    return (TORCH_ORDER, *(o for o in orders if o != TORCH_ORDER))


def wrong_orders() -> tuple[AxisOrder, ...]:
    return all_orders()[1:]
