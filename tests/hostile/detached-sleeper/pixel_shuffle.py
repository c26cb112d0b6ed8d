"""HOSTILE: starts a detached sleeper at import, then works."""

import json
import os
import subprocess
import sys
from pathlib import Path

import torch
from einops import rearrange
from torch import nn

HOSTILE = json.loads(Path(__file__).with_name("hostile.json").read_text())  # written by the test


def _detach():
    """Double fork, new session, exec a sleeper that ignores SIGTERM, has an empty environment
    and names the test's token on its command line."""
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"
            subprocess.Popen([sys.executable, "-c", code, HOSTILE["token"]], start_new_session=True, env={},
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os._exit(0)


_detach()


def pixel_shuffle(x, upscale_factor):
    return rearrange(x, "... (c h2 w2) h w -> ... c (h h2) (w w2)", h2=upscale_factor, w2=upscale_factor)


class PixelShuffle(nn.Module):
    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, x):
        return pixel_shuffle(x, self.upscale_factor)
