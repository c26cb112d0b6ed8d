"""HOSTILE: on its first call, allocates (and touches) memory until it runs out."""

import torch
from einops import rearrange
from torch import nn


CALLS = []


def pixel_shuffle(x, upscale_factor):
    CALLS.append(1)
    if len(CALLS) == 1:
        hoard = []
        while True:  # 64 MiB at a time, zero-filled and kept: only the memory limit stops it
            hoard.append(bytearray(64 << 20))
    return rearrange(x, "... (c h2 w2) h w -> ... c (h h2) (w w2)", h2=upscale_factor, w2=upscale_factor)


class PixelShuffle(nn.Module):
    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, x):
        return pixel_shuffle(x, self.upscale_factor)
