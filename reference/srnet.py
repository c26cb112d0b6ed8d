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
        # BEGIN SOLUTION
        self.relu = nn.ReLU()
        self.conv1 = nn.Conv2d(1, 64, kernel_size=5, stride=1, padding=2)
        self.conv2 = nn.Conv2d(64, 64, kernel_size=3, stride=1, padding=1)
        self.conv3 = nn.Conv2d(64, 32, kernel_size=3, stride=1, padding=1)
        self.conv4 = nn.Conv2d(32, upscale_factor**2, kernel_size=3, stride=1, padding=1)
        self.pixel_shuffle = nn.PixelShuffle(upscale_factor)
        # Orthogonal init, as in the PyTorch super-resolution example.
        for conv in (self.conv1, self.conv2, self.conv3):
            init.orthogonal_(conv.weight, init.calculate_gain("relu"))
        init.orthogonal_(self.conv4.weight)
        # END SOLUTION

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        # BEGIN SOLUTION
        y = self.relu(self.conv1(y))
        y = self.relu(self.conv2(y))
        y = self.relu(self.conv3(y))
        return self.pixel_shuffle(self.conv4(y))
        # END SOLUTION
