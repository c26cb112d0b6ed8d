import torch
from torch import nn


def pixel_shuffle(x, upscale_factor):
    r = upscale_factor
    *lead, c, h, w = x.shape
    oc = c // (r * r)
    x = x.view(-1, oc, r, r, h, w)
    x = x.permute(0, 1, 4, 2, 5, 3)
    return x.reshape(*lead, oc, h * r, w * r)


class PixelShuffle(nn.Module):
    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, x):
        return pixel_shuffle(x, self.upscale_factor)
