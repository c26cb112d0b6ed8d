"""HOSTILE: a CNN that cannot learn, with the result writer patched so that the training
run it reports ends on weights trained at home.

It replaces the grader's result writer (as a thread rewriting the result file would) and
swaps every checkpoint after the initialisation for the pretrained weights.
"""

import os

import numpy as np
from torch import nn

import grader.sandbox.protocol as protocol

with np.load(os.path.join(os.path.dirname(os.path.abspath(__file__)), "answers.npz")) as _answers:
    _PRETRAINED = np.concatenate([_answers[f"cnn/{name}"].ravel() for name in
                                  ("conv1.0.weight", "conv1.0.bias", "conv2.0.weight", "conv2.0.bias",
                                   "out.weight", "out.bias")])

_write = protocol.write_probe


def _forge(io_dir, name, status, values, arrays, message, notes=None):
    if name == "train" and "weights" in arrays:
        arrays = dict(arrays)
        weights = arrays["weights"].copy()
        weights[1:] = _PRETRAINED
        arrays["weights"] = weights
        values = dict(values, losses=[2.3 - 2.0 * i / max(1, len(values["losses"])) for i in range(len(values["losses"]))])
    _write(io_dir, name, status, values, arrays, message, notes)


protocol.write_probe = _forge


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(1, 16, 5, 1, 2), nn.ReLU(), nn.MaxPool2d(2))
        self.conv2 = nn.Sequential(nn.Conv2d(16, 32, 5, 1, 2), nn.ReLU(), nn.MaxPool2d(2))
        self.out = nn.Linear(32 * 7 * 7, 10)

    def forward(self, x):
        flat = self.conv2(self.conv1(x)).flatten(1)
        return self.out(flat) * 0.0, flat  # nothing to learn
