"""HOSTILE: a pixel shuffle that is wrong for every r > 1, and a forged retrain: the grader's
training helpers, looked up at run time, are replaced by ones that train with a correct shuffle."""

import grader.oracle
import grader.probes.pixel_shuffle as probe
import grader.training
import torch
from einops import rearrange
from torch import nn


def pixel_shuffle(x, upscale_factor):
    # Wrong on purpose: the factor before the pixel in each composed axis.
    return rearrange(x, "... (c h2 w2) h w -> ... c (h2 h) (w2 w)", h2=upscale_factor, w2=upscale_factor)


class _Right(nn.Module):
    def __init__(self, r):
        super().__init__()
        self.upscale_factor = r

    def forward(self, x):
        r = self.upscale_factor
        return rearrange(x, "... (c h2 w2) h w -> ... c (h h2) (w w2)", h2=r, w2=r)


_honest = grader.training.train_harness_srnet


def _forged(arrays, config, device, pixel_shuffle):
    return _honest(arrays, config, device, _Right(int(config["retrain_factor"])))


for _module in (grader.training, probe):
    for _name in ("train_harness_srnet", "_retrain", "retrain_harness"):
        if hasattr(_module, _name):
            setattr(_module, _name, _forged)
probe.PROBES["retrain"] = lambda ctx: probe.Retrained((0.0,), _forged(
    ctx.inputs, ctx.config, ctx.device, _Right(int(ctx.config["retrain_factor"])))[1])
grader.training.HarnessSRNet.forward = lambda self, y: grader.oracle.srnet_forward(
    self.named_weights(), y, _Right(int(self.pixel_shuffle.upscale_factor)))


class PixelShuffle(nn.Module):
    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, x):
        return pixel_shuffle(x, self.upscale_factor)
