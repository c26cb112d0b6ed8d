"""The t-SNE map: one dot per test digit, coloured by its label, as the assignment plots it."""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps

from grader.figures.encode import new_figure, png_of
from grader.visuals import TsneMap


def draw(tsne: TsneMap) -> bytes:
    figure = new_figure(6.0, 5.4)
    axes = figure.add_subplot()
    palette = colormaps["tab10"]
    for digit in range(10):
        chosen = tsne.labels == digit
        if not np.any(chosen):
            continue
        axes.scatter(tsne.points[chosen, 0], tsne.points[chosen, 1], s=9, color=palette(digit), label=str(digit))
        centre = np.median(tsne.points[chosen], axis=0)
        axes.annotate(str(digit), centre, fontsize=13, weight="bold", ha="center", va="center",
                      bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": palette(digit), "alpha": 0.8})  # fmt: skip
    accuracy = "" if tsne.accuracy is None else f", test accuracy {tsne.accuracy:.1%}"
    axes.set_title(f"t-SNE of the CNN embedding ({len(tsne.labels)} test digits){accuracy}", fontsize=10)
    axes.set_xticks([])
    axes.set_yticks([])
    axes.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8, markerscale=1.5, frameon=False)
    return png_of(figure)
