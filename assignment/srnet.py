"""Part 2: an ESPCN-style super-resolution net.

The net works on the luminance (Y of YCbCr) of a low-resolution image and
outputs it `upscale_factor` times larger. All convolutions run at low
resolution; the last one makes r*r channels per pixel, and PixelShuffle
rearranges them into an r-times larger image (depth to space):

    conv1: Conv2d(1 -> 64, 5x5, padding 2), ReLU
    conv2: Conv2d(64 -> 64, 3x3, padding 1), ReLU
    conv3: Conv2d(64 -> 32, 3x3, padding 1), ReLU
    conv4: Conv2d(32 -> r*r, 3x3, padding 1)
    pixel_shuffle: PixelShuffle(r)          (N, r*r, H, W) -> (N, 1, rH, rW)

Contract (checked by cnn-grader): `SuperResolutionNet(upscale_factor)` for
any integer r >= 1, layers named `conv1` ... `conv4` and `pixel_shuffle`
(the grader may swap in your own PixelShuffle), and `forward(y)` maps
(N, 1, H, W) to (N, 1, rH, rW).
"""

import torch
from torch import nn
from torch.nn import init


class SuperResolutionNet(nn.Module):
    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        raise NotImplementedError("your code here")

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("your code here")
