"""HOSTILE: writes a 32 MiB file in its scratch folder on the first call."""

import torch
from einops import rearrange
from torch import nn

CALLS = []


def pixel_shuffle(x, upscale_factor):
    CALLS.append(1)
    if len(CALLS) == 1:
        with open("weights-dump.bin", "wb") as handle:
            for _ in range(32):
                handle.write(bytes(1 << 20))
    return rearrange(x, "... (c h2 w2) h w -> ... c (h h2) (w w2)", h2=upscale_factor, w2=upscale_factor)


class PixelShuffle(nn.Module):
    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, x):
        return pixel_shuffle(x, self.upscale_factor)
