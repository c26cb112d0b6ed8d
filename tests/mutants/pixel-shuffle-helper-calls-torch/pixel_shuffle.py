from einops import rearrange
from torch import nn

from tools import depth_to_space


def pixel_shuffle(x, upscale_factor):
    y = depth_to_space(x, upscale_factor)
    return rearrange(y, "... c h w -> ... c h w")


class PixelShuffle(nn.Module):
    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, x):
        return pixel_shuffle(x, self.upscale_factor)
