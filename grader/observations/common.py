"""Observations every part shares: the import, and descriptions of returned values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np


@dataclass(frozen=True)
class Imported:
    """The `import` probe: the module ran, and which of the contract's names it defines."""

    PROBE: ClassVar[str] = "import"
    found: dict[str, bool]


@dataclass(frozen=True)
class Described:
    """What student code returned, as the child saw it: `tensor (2, 10) float32`.

    `kind` is "tensor", "tuple", "list" or another Python type's name; the
    other fields are filled for tensors (shape ...) or sequences (items).
    """

    kind: str
    shape: tuple[int, ...] = ()
    dtype: str = ""
    device: str = ""
    class_name: str = ""
    exact_tensor: bool = True
    requires_grad: bool = False
    has_grad_fn: bool = False
    contiguous: bool = True
    items: tuple[Described, ...] = ()
    length: int = 0

    @property
    def tensor_shape(self) -> tuple[int, ...] | None:
        """The shape of a plain tensor, or None for anything else."""
        return self.shape if self.kind == "tensor" else None

    def text(self) -> str:
        """`tensor (2, 10) float32`, `tuple of 2 [tensor (2, 10) float32, ...]`, `a NoneType`."""
        if self.kind == "tensor":
            extra = "" if self.exact_tensor else f" (subclass {self.class_name})"
            device = "" if self.device in ("", "cpu") else f" on {self.device}"
            return f"tensor {self.shape} {self.dtype}{device}{extra}"
        if self.kind in ("tuple", "list"):
            return f"{self.kind} of {self.length} [{', '.join(item.text() for item in self.items)}]"
        return f"a {self.kind}"


@dataclass(frozen=True)
class TrainingRun:
    """The student's model trained by the grader's loop (`grader.training`), as weights, not predictions.

    `matched` says whether the model's parameters could be matched with the contract's
    (`mapping`: "by name" or "by position"; otherwise why not, and then there are no arrays).
    `weights`, `exp_avg` and `exp_avg_sq` hold one row per checkpoint (after steps 0, K, 2K, ...
    and after the last step; see `grader.training.checkpoint_steps`): the contract's parameters,
    flattened and concatenated in the contract's order, and their Adam moments. Row 0 is the
    initialisation, captured right after the model was built. `losses` are the child's own
    per-step losses, shown but never scored: the parent measures what it scores itself
    (`grader.replay`, `grader.trained`).
    """

    losses: tuple[float, ...]
    matched: bool
    mapping: str
    weights: np.ndarray | None = None
    exp_avg: np.ndarray | None = None
    exp_avg_sq: np.ndarray | None = None
