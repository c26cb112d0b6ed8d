"""The student's trained models as the parent measured them: what the training checks score
and what the reports draw.

The child returns the weights its training run produced (`grader.observations.common.TrainingRun`);
the parent evaluates them with its own functional networks (`grader.oracle`) on held-out
data that never entered the sandbox, after testing that they come from training the
student's own initialisation (`grader.replay`). Each part's planner computes these once
per grade (`grader.parts.cnn.assess`, `grader.parts.srnet.assess`); `Seen.derived` keeps them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from grader.replay import ReplayVerdict
from grader.results import Diagnosis


@dataclass(frozen=True)
class Provenance:
    """Whether the trained weights can be credited: they fit the contract, the initialisation is
    untrained, the run replays, and the loss fell.

    `problem`: why the weights cannot be evaluated at all ("" when they can).
    `initial`: why the initialisation is refused, e.g. already trained ("" when it is not).
    `replay`: the replay's verdict (None when there was nothing to replay).
    `initial_loss`, `final_loss`: the grader's own loss of the initial and final weights on the
    same training batches (the first and last `window` batches of the run); NaN when unknown.
    `losses`: the child's own per-step losses, for display only.
    """

    problem: str = ""
    initial: str = ""
    replay: ReplayVerdict | None = None
    initial_loss: float = math.nan
    final_loss: float = math.nan
    losses: tuple[float, ...] = ()

    @property
    def loss_drop(self) -> float:
        """1 - final / initial loss, as the grader measured them; NaN when unknown."""
        if not (math.isfinite(self.initial_loss) and math.isfinite(self.final_loss)) or self.initial_loss <= 0:
            return math.nan
        return 1.0 - self.final_loss / self.initial_loss

    def refusal(self) -> str:
        """Why the trained model earns nothing whatever it scores, or "" when it may be credited."""
        if self.problem:
            return f"the trained weights cannot be evaluated: {self.problem}"
        if self.initial:
            return self.initial
        if self.replay is not None and not self.replay.ok:
            return self.replay.text()
        if not self.loss_drop > 0:
            return (f"the training loss never fell (the grader's loss {self.initial_loss:.4g} before training, "
                    f"{self.final_loss:.4g} after, on the same batches), so the trained model earns nothing")  # fmt: skip
        return ""

    def diagnosis(self) -> Diagnosis | None:
        """The likely cause when the weights are refused for where they come from (see `refusal`)."""
        if self.problem:
            return None  # the architecture check says what does not fit
        if self.initial:
            return Diagnosis("training.trained_initialisation", "the network's constructor starts from weights that "
                             "are already trained (loaded from a file, copied from another model): the grader scores "
                             "what training makes of an untrained initialisation")  # fmt: skip
        if self.replay is not None and self.replay.jump:
            return Diagnosis("training.forged_run", "the weights reported after training jump further than the "
                             "optimiser can move them: code replaced the training run or its result")  # fmt: skip
        if self.replay is not None and not self.replay.ok:
            return Diagnosis("training.not_reproduced", "your network trains differently from the contract's, though "
                             "its weights have the right shapes: dropout, batch normalisation or another layer that "
                             "behaves differently in training, a detached or frozen block (.detach(), torch.no_grad(), "
                             "requires_grad=False), an extra operation in forward, or code that changes the weights "
                             "during training")  # fmt: skip
        return None

    def summary(self) -> dict[str, float]:
        """Scalars for the report's part log and the calibration (JSON-safe: NaN becomes None)."""
        values = {
            "initial_loss": self.initial_loss,
            "final_loss": self.final_loss,
            "replay_deviation": self.replay.deviation if self.replay is not None else math.nan,
        }
        return {key: _plain(value) for key, value in values.items()}


@dataclass(frozen=True)
class TrainedCnn:
    """The student's CNN after the grader's training run, evaluated by the parent.

    `logits`: (N, 10) float32 of the final weights on the N held-out test digits, in data order,
    with `labels` (N,) beside them; `embeddings`: (M, 1568) float32, the flattened conv features
    of the M = min(N, 500) test digits the assignment's t-SNE map shows, spread evenly over the
    test set (`embedded`: their indices, `grader.visuals.tsne.tsne_indices`); `accuracy`: of the
    logits; `initial_accuracy`: of the initial weights, the same way. All empty (and NaN) when
    `provenance.problem` says the weights could not be evaluated.
    """

    provenance: Provenance
    logits: np.ndarray
    embeddings: np.ndarray
    labels: np.ndarray
    embedded: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    accuracy: float = math.nan
    initial_accuracy: float = math.nan

    def summary(self) -> dict[str, float]:
        return {**self.provenance.summary(), "accuracy": _plain(self.accuracy),
                "initial_accuracy": _plain(self.initial_accuracy)}  # fmt: skip


@dataclass(frozen=True)
class TrainedSrnet:
    """The student's super-resolution net after the grader's training run, evaluated by the parent.

    Per held-out photo, in data order: `names`, `outputs` (the super-resolved Y channel, (H, W)
    float32 clipped to [0, 1], as scored), `psnr` and `bicubic_psnr` in dB against the
    high-resolution Y. `gain`: the mean of psnr - bicubic_psnr; `initial_gain`: the same for the
    initial weights. Empty (and NaN) when `provenance.problem` says the weights could not be evaluated.
    """

    provenance: Provenance
    names: tuple[str, ...] = ()
    outputs: tuple[np.ndarray, ...] = ()
    psnr: tuple[float, ...] = ()
    bicubic_psnr: tuple[float, ...] = ()
    gain: float = math.nan
    initial_gain: float = math.nan

    def summary(self) -> dict[str, float]:
        return {**self.provenance.summary(), "gain": _plain(self.gain), "initial_gain": _plain(self.initial_gain)}


def _plain(value: float) -> float:
    return float(value) if math.isfinite(value) else None  # type: ignore[return-value]
