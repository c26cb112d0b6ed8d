import torch
from einops import rearrange


def pixel_shuffle(x, upscale_factor):
    shape = x.shape
    x = x.view(-1, *shape[-3:])  # fold every leading axis into one batch axis
    y = rearrange(x, "b (c h2 w2) h w -> b c (h h2) (w w2)", h2=upscale_factor, w2=upscale_factor)
    return y.view(*shape[:-3], *y.shape[1:])


class PixelShuffle(torch.nn.Module):
    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, x):
        return pixel_shuffle(x, self.upscale_factor)
