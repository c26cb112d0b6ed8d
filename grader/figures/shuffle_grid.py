"""Where a pixel shuffle output differs from torch's: one square per output pixel."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import ListedColormap

from grader.figures.encode import new_figure, png_of
from grader.visuals import ShuffleGrid

MAX_CHANNELS = 3
SAME, DIFFERENT = "#c7e9c0", "#d62728"


def draw(grid: ShuffleGrid) -> bytes:
    differs = np.asarray(grid.differs, dtype=bool)
    if differs.ndim == 2:
        differs = differs[None]
    channels = differs[:MAX_CHANNELS]
    height, width = channels.shape[1:]
    figure = new_figure(min(2.2 + 2.6 * len(channels) * max(width / max(height, 1), 0.5), 9.0), 3.0)
    colours = ListedColormap([SAME, DIFFERENT])
    for index, mask in enumerate(channels):
        axes = figure.add_subplot(1, len(channels), index + 1)
        axes.imshow(mask, cmap=colours, vmin=0, vmax=1, interpolation="nearest")
        # Thin lines between pixels, thick ones around each r x r block (one input position).
        axes.set_xticks(np.arange(-0.5, width, 1), minor=True)
        axes.set_yticks(np.arange(-0.5, height, 1), minor=True)
        axes.grid(which="minor", color="white", linewidth=0.4)
        axes.set_xticks(np.arange(-0.5, width, grid.factor))
        axes.set_yticks(np.arange(-0.5, height, grid.factor))
        axes.grid(which="major", color="#333333", linewidth=1.2)
        axes.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
        axes.set_title(f"channel {index}: {int(mask.sum())} of {mask.size} differ", fontsize=9)
    return png_of(figure)
