"""HOSTILE: a correct CNN that starts from weights trained at home.

The network is the contract's, so it trains and matches the reference; but its
"initialisation" loads weights that already classify the digits.
"""

import os

import numpy as np
import torch
from torch import nn


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(1, 16, 5, 1, 2), nn.ReLU(), nn.MaxPool2d(2))
        self.conv2 = nn.Sequential(nn.Conv2d(16, 32, 5, 1, 2), nn.ReLU(), nn.MaxPool2d(2))
        self.out = nn.Linear(32 * 7 * 7, 10)
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "answers.npz")
        with np.load(path) as answers:
            weights = {key[len("cnn/"):]: torch.from_numpy(answers[key]) for key in answers.files if key.startswith("cnn/")}
        self.load_state_dict(weights)

    def forward(self, x):
        flat = self.conv2(self.conv1(x)).flatten(1)
        return self.out(flat), flat
