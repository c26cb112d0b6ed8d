"""HOSTILE: writes outside its scratch folder."""

import json
from pathlib import Path

import torch
from einops import rearrange
from torch import nn

HOSTILE = json.loads(Path(__file__).with_name("hostile.json").read_text())  # written by the test

targets = [*HOSTILE["canaries"], Path.cwd().parent / "io" / "job.json", Path.cwd().parent / "io" / "in" / "retrain.npz"]
for target in targets:
    try:
        Path(target).write_text("pwned")
        print("WROTE", target)
    except OSError as exc:
        print("REFUSED", target, exc.strerror)


def pixel_shuffle(x, upscale_factor):
    return rearrange(x, "... (c h2 w2) h w -> ... c (h h2) (w w2)", h2=upscale_factor, w2=upscale_factor)


class PixelShuffle(nn.Module):
    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, x):
        return pixel_shuffle(x, self.upscale_factor)
