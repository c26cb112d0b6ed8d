"""HOSTILE: torch's pixel shuffle read from a subscript of the module's namespace (no attribute
names it), called with Python dispatch modes switched off (where a dispatch-mode tripwire looks)."""

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

_fast = F.__dict__["pixel_" + "shuffle"]


def pixel_shuffle(x, upscale_factor):
    with torch._C._DisableTorchDispatch():
        out = _fast(x, upscale_factor)
    return rearrange(out, "... c h w -> ... c h w")


class PixelShuffle(nn.Module):
    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, x):
        return pixel_shuffle(x, self.upscale_factor)
