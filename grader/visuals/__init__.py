"""The pictures of a report, as plain data: what the HTML report draws.

Each visual belongs to the check whose data it shows (`check`), so the
student's copy of the report leaves out the pictures of hidden checks, as
it leaves out their text (`grader.visibility`). They are computed in the
parent, from the arrays the child returned and the parent's own data
(`grader.visuals.collect`), and drawn by `grader.figures`. Nothing here
imports torch or matplotlib.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

import numpy as np


@dataclass(frozen=True)
class TsneMap:
    """The t-SNE map of the trained CNN's embeddings of the first test digits."""

    check: str
    points: np.ndarray  # (N, 2)
    labels: np.ndarray  # (N,) digits 0-9
    accuracy: float | None  # test accuracy of the trained CNN
    caption: str


@dataclass(frozen=True)
class LossBand:
    """Per step, the lowest and highest loss of the reference's calibration runs."""

    low: tuple[float, ...]
    high: tuple[float, ...]
    runs: int
    source: str


@dataclass(frozen=True)
class LossCurve:
    """One training run's loss per step, with the band the reference's runs span."""

    check: str
    title: str
    losses: tuple[float, ...]
    band: LossBand | None
    caption: str


@dataclass(frozen=True)
class SrPhoto:
    """One test photo in colour (uint8 RGB): LR input, bicubic, the student's net, the original."""

    name: str
    low: np.ndarray
    bicubic: np.ndarray
    student: np.ndarray
    original: np.ndarray
    psnr_bicubic: float  # dB on Y, against the original
    psnr_student: float


@dataclass(frozen=True)
class SrPhotos:
    check: str
    factor: int
    photos: tuple[SrPhoto, ...]
    caption: str


@dataclass(frozen=True)
class ShuffleGrid:
    """Where a pixel shuffle output differs from torch's: one bool per output pixel (C, rH, rW)."""

    check: str
    case: str  # the input, as the check's text names it
    factor: int
    differs: np.ndarray
    caption: str


@dataclass(frozen=True)
class Drawn:
    """A picture already drawn, as report.html shows it (`grader.report.html.drawn`): drawn while
    the other parts still train, so the report is written at once after the last one."""

    check: str
    html: str
    source: "Visual | None" = None  # what was drawn, as data (None once sent from a Dask worker)


Visual = Union[TsneMap, LossCurve, SrPhotos, ShuffleGrid, Drawn]


def as_data(visual: Visual) -> Visual:
    """The picture's data, drawn or not."""
    return visual.source if isinstance(visual, Drawn) and visual.source is not None else visual
