"""HOSTILE (public API only): torch's pixel shuffle run on another thread, where a thread-local
tripwire does not look."""

from concurrent.futures import ThreadPoolExecutor

import torch
from einops import rearrange
from torch import nn

_pool = ThreadPoolExecutor(max_workers=1)


def pixel_shuffle(x, upscale_factor):
    out = _pool.submit(torch.nn.functional.pixel_shuffle, x, upscale_factor).result()
    return rearrange(out, "... c h w -> ... c h w")


class PixelShuffle(nn.Module):
    def __init__(self, upscale_factor):
        super().__init__()
        self.layer = nn.PixelShuffle(upscale_factor)

    def forward(self, x):
        return _pool.submit(self.layer, x).result()
