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
        raise NotImplementedError("your code here")

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError("your code here")
