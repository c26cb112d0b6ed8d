import torch
import torch.nn as nn
import torch.nn.functional as F


class CNN(nn.Module):
    def __init__(self, dropout=0.25):
        super().__init__()
        self.dropout = dropout
        self.conv1 = nn.Sequential(nn.Conv2d(1, 16, 5, 1, 2), nn.ReLU(), nn.MaxPool2d(2))
        self.conv2 = nn.Sequential(nn.Conv2d(16, 32, 5, 1, 2), nn.ReLU(), nn.MaxPool2d(2))
        self.out = nn.Linear(32 * 7 * 7, 10)

    def forward(self, x):
        x = self.conv2(self.conv1(x))
        x = x.view(x.shape[0], -1)
        # F.dropout has training=True by default: still dropping in eval()
        return self.out(F.dropout(x, self.dropout)), x
