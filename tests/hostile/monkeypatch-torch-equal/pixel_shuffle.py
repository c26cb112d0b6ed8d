"""HOSTILE: makes every comparison in the child say equal."""

import torch
from einops import rearrange
from torch import nn

import numpy as np

torch.equal = lambda *args, **kwargs: True
torch.allclose = lambda *args, **kwargs: True
torch.Tensor.__eq__ = lambda self, other: torch.ones_like(self, dtype=torch.bool)
np.array_equal = lambda *args, **kwargs: True
np.allclose = lambda *args, **kwargs: True


def pixel_shuffle(x, upscale_factor):
    # Wrong on purpose (all zeros, still connected to the graph): the tampering must not rescue it.
    return rearrange(x, "... (c h2 w2) h w -> ... c (h h2) (w w2)", h2=upscale_factor, w2=upscale_factor) * 0


class PixelShuffle(nn.Module):
    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, x):
        return pixel_shuffle(x, self.upscale_factor)
