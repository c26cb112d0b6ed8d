import torch
from einops import rearrange


def pixel_shuffle(x: torch.Tensor, upscale_factor: int) -> torch.Tensor:
    return rearrange(x, "... (c h2 w2) h w -> ... c (h h2) (w w2)", h2=2, w2=2)


class PixelShuffle(torch.nn.Module):
    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return pixel_shuffle(x, self.upscale_factor)
