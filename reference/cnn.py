"""Part 1: a small CNN for MNIST digits.

The network has two convolution blocks and a linear head:

    block 1: Conv2d(1 -> 16, kernel 5, stride 1, padding 2), ReLU, MaxPool2d(2)   -> (16, 14, 14)
    block 2: Conv2d(16 -> 32, kernel 5, stride 1, padding 2), ReLU, MaxPool2d(2)  -> (32, 7, 7)
    head:    flatten to 32 * 7 * 7 = 1568 values, Linear(1568 -> 10)

Padding (k - 1) / 2 = 2 keeps the 28x28 size through each 5x5 convolution;
each max-pool halves it. `forward` returns two things from one backbone:
the logits, for the loss, and the flattened 1568-d embedding, for the
t-SNE picture of what the network has learnt.

Contract (checked by cnn-grader): the attributes are named `conv1`, `conv2`
(each an nn.Sequential of Conv2d, ReLU, MaxPool2d) and `out`, 28,938
parameters in all, and `forward(x)` maps (N, 1, 28, 28) to
`(logits (N, 10), embedding (N, 1568))`.
"""

import torch
from torch import nn


class CNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        # BEGIN SOLUTION
        self.conv1 = nn.Sequential(
            nn.Conv2d(in_channels=1, out_channels=16, kernel_size=5, stride=1, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=2),
        )
        self.conv2 = nn.Sequential(
            nn.Conv2d(in_channels=16, out_channels=32, kernel_size=5, stride=1, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=2),
        )
        self.out = nn.Linear(32 * 7 * 7, 10)
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # BEGIN SOLUTION
        x = self.conv2(self.conv1(x))
        embedding = x.flatten(start_dim=1)  # (N, 32, 7, 7) -> (N, 1568), batch kept
        return self.out(embedding), embedding
        # END SOLUTION
