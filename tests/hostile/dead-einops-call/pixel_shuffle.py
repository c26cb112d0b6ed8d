"""HOSTILE: a correct reshape/permute pixel shuffle with einops calls where they never run."""

import torch
from einops import rearrange
from torch import nn

PATTERN = "... (c h2 w2) h w -> ... c (h h2) (w w2)"


def _unused(x, r):
    return rearrange(x, PATTERN, h2=r, w2=r)


def pixel_shuffle(x, upscale_factor):
    r = upscale_factor
    if False:
        return rearrange(x, PATTERN, h2=r, w2=r)
    *lead, c, h, w = x.shape
    y = x.reshape(*lead, c // (r * r), r, r, h, w)
    y = y.permute(*range(len(lead)), -5, -2, -4, -1, -3)  # (..., c, h, r, w, r)
    return y.reshape(*lead, c // (r * r), h * r, w * r)
    rearrange(x, PATTERN, h2=r, w2=r)


class PixelShuffle(nn.Module):
    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, x):
        return pixel_shuffle(x, self.upscale_factor)
