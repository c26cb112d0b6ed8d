from einops import rearrange
from torch import nn

UPSCALE_FACTOR = 3


def pixel_shuffle(x, upscale_factor):
    return rearrange(x, "... (c h2 w2) h w -> ... c (h h2) (w w2)", h2=upscale_factor, w2=upscale_factor)


class PixelShuffle(nn.Module):
    def __init__(self, upscale_factor=UPSCALE_FACTOR):
        super().__init__()

    def forward(self, x):
        return pixel_shuffle(x, UPSCALE_FACTOR)
