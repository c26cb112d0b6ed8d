import einops
import torch.nn as nn


def pixel_shuffle(x, upscale_factor):
    # the SR net has one output channel, so c = 1
    return einops.rearrange(x, "... (c h2 w2) h w -> ... c (h h2) (w w2)", c=1, h2=upscale_factor)


class PixelShuffle(nn.Module):
    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, x):
        return pixel_shuffle(x, self.upscale_factor)
