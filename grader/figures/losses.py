"""A training run's loss per step, over the band the reference's calibration runs span."""

from __future__ import annotations

import math

import numpy as np

from grader.figures.encode import new_figure, png_of
from grader.visuals import LossCurve


def draw(curve: LossCurve) -> bytes:
    figure = new_figure(6.0, 3.4)
    axes = figure.add_subplot()
    losses = np.array([v if math.isfinite(v) else np.nan for v in curve.losses], dtype=np.float64)
    steps = np.arange(1, len(losses) + 1)
    if curve.band is not None:
        n = min(len(curve.band.low), len(losses)) or len(curve.band.low)
        band_steps = np.arange(1, n + 1)
        axes.fill_between(band_steps, curve.band.low[:n], curve.band.high[:n], color="#9ecae1", alpha=0.6,
                          linewidth=0, label=f"reference, {curve.band.runs} runs")  # fmt: skip
    if len(losses):
        window = max(1, len(losses) // 40)
        axes.plot(steps, losses, color="#d62728", linewidth=0.6 if window > 1 else 1.4, alpha=0.45 if window > 1 else 1)
        if window > 1:
            kernel = np.ones(window) / window
            smooth = np.convolve(np.nan_to_num(losses, nan=np.nanmax(losses) if np.any(np.isfinite(losses)) else 0),
                                 kernel, mode="valid")  # fmt: skip
            axes.plot(steps[window - 1 :], smooth, color="#d62728", linewidth=1.6, label="this submission")
        else:
            axes.lines[-1].set_label("this submission")
    nans = int(np.sum(~np.isfinite(losses)))
    axes.set_title(curve.title + (f" ({nans} steps NaN or infinite)" if nans else ""), fontsize=10)
    axes.set_xlabel("training step")
    axes.set_ylabel("loss")
    if len(losses) and np.nanmin(np.where(np.isfinite(losses), losses, np.nan), initial=np.inf) > 0:
        axes.set_yscale("log")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    return png_of(figure)
