import torch
from torch import nn


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(1, 16, 5, 1, 2), nn.ReLU(), nn.MaxPool2d(kernel_size=2, stride=1))
        self.conv2 = nn.Sequential(nn.Conv2d(16, 32, 5, 1, 2), nn.ReLU(), nn.MaxPool2d(kernel_size=2, stride=1))
        self.out = nn.Linear(32 * 26 * 26, 10)  # printed x.shape to get 26

    def forward(self, x):
        x = self.conv2(self.conv1(x))
        x = x.view(x.size(0), -1)
        return self.out(x), x
