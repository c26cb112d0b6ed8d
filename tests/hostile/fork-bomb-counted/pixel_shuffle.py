"""HOSTILE: forks 200 sleepers at import."""

import os
import time

import torch
from einops import rearrange
from torch import nn


def _fork_many(count):
    for _ in range(count):  # bounded: the test must not hurt the machine if the limit fails
        try:
            pid = os.fork()
        except OSError as exc:
            print("fork failed:", exc)
            raise
        if pid == 0:
            time.sleep(60)
            os._exit(0)


_fork_many(200)


def pixel_shuffle(x, upscale_factor):
    return rearrange(x, "... (c h2 w2) h w -> ... c (h h2) (w w2)", h2=upscale_factor, w2=upscale_factor)


class PixelShuffle(nn.Module):
    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, x):
        return pixel_shuffle(x, self.upscale_factor)
