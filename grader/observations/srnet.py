"""What the super-resolution part's probes report (Part 2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from grader.observations.common import Described, TrainingRun


@dataclass(frozen=True)
class NetBuild:
    """`SuperResolutionNet(r)` for one factor."""

    factor: int
    is_module: bool
    state_dict: dict[str, tuple[int, ...]]
    pixel_shuffle: str | None  # the class name of `net.pixel_shuffle`, if any
    calls_pixel_shuffle: bool | None  # forward goes through it; None: could not tell


@dataclass(frozen=True)
class SrnetBuild:
    PROBE: ClassVar[str] = "build"
    nets: tuple[NetBuild, ...]


@dataclass(frozen=True)
class SrnetShapes:
    """What forward returned, for each shape case of the job, in order."""

    PROBE: ClassVar[str] = "shapes"
    outputs: tuple[Described, ...]


@dataclass(frozen=True)
class FactorEquivalence:
    """The grader's weights loaded at one factor: outputs in eval and train mode, and the
    parameter gradients (train mode) of the grader's upstream gradient."""

    factor: int
    loaded: str
    eval_output: Described
    train_output: Described
    gradient_problem: str
    eval: np.ndarray | None = None
    train: np.ndarray | None = None
    grads: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class SrnetEquivalence:
    PROBE: ClassVar[str] = "reference"
    factors: tuple[FactorEquivalence, ...]


@dataclass(frozen=True)
class SrnetPublicEquivalence(SrnetEquivalence):
    """The same on fixed public weights and inputs (what `cnn-grader check` shows)."""

    PROBE: ClassVar[str] = "public"


@dataclass(frozen=True)
class SrnetTraining(TrainingRun):
    """The SR net's training run (`srnet.psnr`) at the check's factor: checkpoints of the weights;
    no test photo enters the child."""

    PROBE: ClassVar[str] = "train"
