"""Super-resolved photos in colour, as the assignment shows them: the network works on Y
(of YCbCr), and the colour (Cb, Cr) comes from the bicubic upscale of the LR photo."""

from __future__ import annotations

import numpy as np
from PIL import Image


def as_rgb(image: np.ndarray) -> np.ndarray:
    """uint8 RGB (H, W, 3) from a grey, RGB or RGBA image, uint8 or float in [0, 1]."""
    array = np.asarray(image)
    if array.dtype != np.uint8:
        scale = 255.0 if array.size and float(np.nanmax(array)) <= 1.0 else 1.0
        array = np.clip(np.nan_to_num(array.astype(np.float64) * scale), 0, 255).round().astype(np.uint8)
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=2)
    return np.ascontiguousarray(array[..., :3])


def downscale_rgb(rgb: np.ndarray, factor: int) -> np.ndarray:
    """The LR photo: a bicubic downscale by `factor`, as the grader makes the LR input."""
    h, w = rgb.shape[:2]
    return np.asarray(Image.fromarray(rgb).resize((w // factor, h // factor), Image.BICUBIC))


def upscale_rgb(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The bicubic baseline in colour, (H, W) = `size`."""
    return np.asarray(Image.fromarray(rgb).resize((size[1], size[0]), Image.BICUBIC))


def with_luminance(y: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """`y` (float in [0, 1], (H, W)) as the Y of a photo whose Cb and Cr come from `colour` (uint8 RGB)."""
    luma = np.clip(np.nan_to_num(np.asarray(y, dtype=np.float64)) * 255.0, 0, 255).round().astype(np.uint8)
    _, cb, cr = Image.fromarray(colour).convert("YCbCr").split()
    merged = Image.merge("YCbCr", (Image.fromarray(luma, mode="L"), cb, cr))
    return np.asarray(merged.convert("RGB"))
