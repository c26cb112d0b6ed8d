"""HOSTILE: a CNN that cannot learn, with a patched training function that reports a
training run ending near weights trained at home.

The forged run starts from the real initialisation and walks towards the pretrained
weights in steps no longer than Adam could take, with plausible Adam moments and a
falling loss, so that nothing looks out of place checkpoint by checkpoint.
"""

import math
import os

import numpy as np
import torch
from torch import nn

import grader.probes.cnn as probe
from grader.training import Checkpoint, TrainLog

with np.load(os.path.join(os.path.dirname(os.path.abspath(__file__)), "answers.npz")) as _answers:
    _PRETRAINED = [_answers[f"cnn/{name}"] for name in
                   ("conv1.0.weight", "conv1.0.bias", "conv2.0.weight", "conv2.0.bias", "out.weight", "out.bias")]


def _forged_training(model, images, labels, order, lr, device, tracked=(), every=0, **progress):
    start = [p.detach().cpu().numpy().copy() for p in tracked]
    steps = len(order)
    current, saved = start, []
    for step in range(0, steps + 1):
        if step % every == 0 or step == steps:
            moments = tuple(np.full(w.shape, 1e-4, np.float32) for w in current)
            saved.append(Checkpoint(step, tuple(w.copy() for w in current), moments, moments))
        # 0.9 lr per step towards the pretrained weights: under what Adam could move
        current = [w + np.clip(p - w, -0.9 * lr, 0.9 * lr) for w, p in zip(current, _PRETRAINED)]
    losses = tuple(2.3 * math.exp(-step / 30) + 0.1 for step in range(steps))
    return TrainLog(losses), saved


probe.train_classifier = _forged_training


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(1, 16, 5, 1, 2), nn.ReLU(), nn.MaxPool2d(2))
        self.conv2 = nn.Sequential(nn.Conv2d(16, 32, 5, 1, 2), nn.ReLU(), nn.MaxPool2d(2))
        self.out = nn.Linear(32 * 7 * 7, 10)

    def forward(self, x):
        flat = self.conv2(self.conv1(x)).flatten(1)
        return self.out(flat) * 0.0, flat  # nothing to learn
