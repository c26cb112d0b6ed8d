"""What the DIY PixelShuffle part's probes report (Part 3)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from grader.observations.common import Described


@dataclass(frozen=True)
class CaseOutcome:
    """One input: the output (or input gradient) it gave, or the error it raised."""

    ok: bool
    output: Described | None = None
    error: str = ""
    value: np.ndarray | None = None


@dataclass(frozen=True)
class ShuffleForward:
    """`pixel_shuffle(x, r)` on every case of the job, in order."""

    PROBE: ClassVar[str] = "forward"
    cases: tuple[CaseOutcome, ...]


@dataclass(frozen=True)
class ShuffleGradients(ShuffleForward):
    """The input gradient of every case, backpropagating the grader's upstream gradient."""

    PROBE: ClassVar[str] = "gradients"


@dataclass(frozen=True)
class ModuleCase:
    """`PixelShuffle(r)` at one factor: called directly and inside nn.Sequential."""

    factor: int
    is_module: bool
    state_entries: int  # parameters and buffers; -1 when it is no module
    direct: np.ndarray | None = None
    sequential: np.ndarray | None = None


@dataclass(frozen=True)
class ShuffleModule:
    PROBE: ClassVar[str] = "module"
    modules: tuple[ModuleCase, ...]


@dataclass(frozen=True)
class Retrained:
    """The grader's ESPCN net retrained with the student's module: losses and final weights."""

    PROBE: ClassVar[str] = "retrain"
    losses: tuple[float, ...]
    weights: dict[str, np.ndarray]
