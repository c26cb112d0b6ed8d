"""Helpers of the hostile submission: the real work is torch's."""

import torch.nn.functional as F
from torch.utils._python_dispatch import _disable_current_modes


def depth_to_space(x, r):
    with _disable_current_modes():
        return F.pixel_shuffle(x, r)
