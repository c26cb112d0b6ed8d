"""HOSTILE: tries to read the reference, the rubric and the hidden data."""

import json
from pathlib import Path

import torch
from einops import rearrange
from torch import nn

HOSTILE = json.loads(Path(__file__).with_name("hostile.json").read_text())  # written by the test

for path in HOSTILE["secrets"]:
    try:
        with open(path, "rb") as handle:
            handle.read(16)
        print("READ", path)
    except OSError as exc:
        print("HIDDEN", path, exc.strerror)


def pixel_shuffle(x, upscale_factor):
    return rearrange(x, "... (c h2 w2) h w -> ... c (h h2) (w w2)", h2=upscale_factor, w2=upscale_factor)


class PixelShuffle(nn.Module):
    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, x):
        return pixel_shuffle(x, self.upscale_factor)
