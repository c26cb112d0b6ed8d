"""HOSTILE: messages written for the instructor's terminal, report.md and junit.xml: clear the
screen and print a fake score, write the clipboard (OSC 52), close report.md's code fence and
write a score and HTML of its own, and NUL and backspace, which XML 1.0 forbids."""

import torch
from torch import nn

FAKE = (
    "\x1b[2J\x1b[H\x1b[32mpixel_shuffle 10 / 10 passed\x1b[0m\r"
    "\x1b]52;c;cm0gLXJmIH4vKg==\x07"
    "\n```\n\n**Score: 30 / 30**\n\n<img src=x onerror=alert(1)>\n\n```\n"
    "NUL\x00 and backspace\x08\x08\x08 \u202eevil"
)


def pixel_shuffle(x: torch.Tensor, upscale_factor: int) -> torch.Tensor:
    raise RuntimeError(FAKE)


class PixelShuffle(nn.Module):
    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        print(FAKE, flush=True)
        raise RuntimeError(FAKE)
