from einops import rearrange
from torch import nn


def pixel_shuffle(x, upscale_factor):
    r = upscale_factor
    return rearrange(x, "... (c rh rw) h w -> ... c (rh h) (rw w)", rh=r, rw=r)


class PixelShuffle(nn.Module):
    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, x):
        return pixel_shuffle(x, self.upscale_factor)
