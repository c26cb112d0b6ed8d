import torch
from einops import rearrange


def pixel_shuffle(x, upscale_factor):
    return torch.pixel_shuffle(x, upscale_factor)


class PixelShuffle(torch.nn.Module):
    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, x):
        return rearrange(pixel_shuffle(x, self.upscale_factor), "b c h w -> b c h w")
