"""What the CNN part's probes report (Part 1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from grader.observations.common import Described, TrainingRun


@dataclass(frozen=True)
class CnnBuild:
    """`CNN()`: is it a module, its state_dict's names and shapes, its parameter count."""

    PROBE: ClassVar[str] = "build"
    is_module: bool
    state_dict: dict[str, tuple[int, ...]]
    n_params: int


@dataclass(frozen=True)
class CnnShapes:
    """What forward returned, for each batch size of the job, in order."""

    PROBE: ClassVar[str] = "shapes"
    outputs: tuple[Described, ...]


@dataclass(frozen=True)
class ModeOutputs:
    """Forward in one mode (eval or train) on the grader's input: its description and arrays."""

    output: Described
    logits: np.ndarray | None = None
    embedding: np.ndarray | None = None


@dataclass(frozen=True)
class CnnEquivalence:
    """The grader's weights loaded: forward in eval and in train mode, and the parameter
    gradients (train mode) of the grader's upstream gradient on the logits."""

    PROBE: ClassVar[str] = "reference"
    loaded: str
    eval: ModeOutputs
    train: ModeOutputs
    gradient_problem: str
    grads: dict[str, np.ndarray]


@dataclass(frozen=True)
class CnnPublicEquivalence(CnnEquivalence):
    """The same on fixed public weights and inputs (what `cnn-grader check` shows)."""

    PROBE: ClassVar[str] = "public"


@dataclass(frozen=True)
class CnnTraining(TrainingRun):
    """The CNN's training run (`cnn.accuracy`): checkpoints of the weights; no test digit enters the child."""

    PROBE: ClassVar[str] = "train"
