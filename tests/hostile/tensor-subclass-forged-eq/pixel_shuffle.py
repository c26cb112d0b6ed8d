"""HOSTILE: returns a tensor subclass that says it equals anything."""

import torch
from einops import rearrange
from torch import nn


class Agreeable(torch.Tensor):
    def __eq__(self, other):
        return True

    def equal(self, other):
        return True


def pixel_shuffle(x, upscale_factor):
    out = rearrange(x, "... (c h2 w2) h w -> ... c (h h2) (w w2)", h2=upscale_factor, w2=upscale_factor)
    return (out * 0).as_subclass(Agreeable)


class PixelShuffle(nn.Module):
    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, x):
        return pixel_shuffle(x, self.upscale_factor)
