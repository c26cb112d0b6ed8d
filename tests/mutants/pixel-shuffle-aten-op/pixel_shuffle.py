import torch
from einops import rearrange


def pixel_shuffle(x, upscale_factor):
    if x.dim() < 3:
        return rearrange(x, "... -> ...")
    return torch.ops.aten.pixel_shuffle.default(x, upscale_factor)


class PixelShuffle(torch.nn.Module):
    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, x):
        return pixel_shuffle(x, self.upscale_factor)
