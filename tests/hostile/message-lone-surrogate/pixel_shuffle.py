"""HOSTILE (or unlucky): an exception message ending in half an emoji, a lone UTF-16 surrogate."""

import torch
from torch import nn


def pixel_shuffle(x: torch.Tensor, upscale_factor: int) -> torch.Tensor:
    raise ValueError("not done yet \ud83d")


class PixelShuffle(nn.Module):
    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise ValueError("class " + chr(0xD83D))
