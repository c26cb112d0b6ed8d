"""Super-resolution data: HR crops, their bicubic-downscaled LR inputs, and the
bicubic baseline, all on the Y channel in [0, 1] as in the PyTorch example.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from PIL import Image

from grader.data.errors import DataError

MIN_TEST_SIDE = 8  # low-resolution pixels per side: a PSNR over fewer says nothing


@dataclass(frozen=True)
class PatchBank:
    """Training pairs: uint8 LR patches (K, p, p) and HR patches (K, r*p, r*p)."""

    low: np.ndarray
    high: np.ndarray
    upscale_factor: int


@dataclass(frozen=True)
class TestImage:
    """One held-out image: LR input, HR target and the bicubic upscale, float32 in [0, 1]."""

    name: str
    low: np.ndarray
    high: np.ndarray
    bicubic: np.ndarray
    colour: np.ndarray | None = None  # the HR crop in colour (uint8 RGB), for the report's pictures


def downscale(high: np.ndarray, factor: int) -> np.ndarray:
    """Bicubic downscale of a uint8 image by an integer factor (the example's Resize)."""
    h, w = high.shape
    return np.asarray(Image.fromarray(high).resize((w // factor, h // factor), Image.BICUBIC))


def bicubic_upscale(low: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bicubic upscale of a float image in [0, 1] to (H, W), clipped to [0, 1]."""
    image = Image.fromarray(np.asarray(low, dtype=np.float32), mode="F")
    up = np.asarray(image.resize((size[1], size[0]), Image.BICUBIC), dtype=np.float32)
    return np.clip(up, 0.0, 1.0)


def make_patch_bank(
    images: Sequence[np.ndarray],
    factor: int,
    low_size: int,
    count: int,
    min_std: float,
    seed: int,
) -> PatchBank:
    """Random HR crops of `low_size * factor` pixels with some texture (std >= min_std).

    Flat crops (sky, background) teach little about edges, so they are skipped;
    the draw is seeded, so the bank is the same for a given seed.
    """
    rng = np.random.default_rng(seed)
    size = low_size * factor
    usable = [im for im in images if im.shape[0] >= size and im.shape[1] >= size]
    if not usable:
        raise DataError(f"no training image is at least {size}x{size} pixels (the PSNR check's HR patches)")
    lows, highs, tries = [], [], 0
    while len(highs) < count:
        tries += 1
        if tries > 50 * count:
            raise DataError(f"the training images are too flat to draw {count} textured patches from "
                            f"(standard deviation at least {min_std:g})")
        image = usable[rng.integers(len(usable))]
        top = rng.integers(image.shape[0] - size + 1)
        left = rng.integers(image.shape[1] - size + 1)
        crop = image[top : top + size, left : left + size]
        if crop.std() < min_std:
            continue
        highs.append(crop)
        lows.append(downscale(crop, factor))
    return PatchBank(np.stack(lows), np.stack(highs), factor)


def make_test_images(
    images: Sequence[np.ndarray], names: Sequence[str], factor: int, max_side: int,
    colour: Sequence[np.ndarray] = (),
) -> tuple[TestImage, ...]:
    """Centre crops (at most `max_side`, a multiple of `factor`) with LR and bicubic versions;
    `colour`, the same photos in RGB, gives each its crop in colour."""
    tests = []
    for index, (name, image) in enumerate(zip(names, images)):
        if min(image.shape[:2]) < MIN_TEST_SIDE * factor:
            raise DataError(f"test image {name} is {image.shape[1]}x{image.shape[0]} pixels; the PSNR check "
                            f"needs at least {MIN_TEST_SIDE * factor} on each side at r = {factor}")  # fmt: skip
        h = min(image.shape[0], max_side) // factor * factor
        w = min(image.shape[1], max_side) // factor * factor
        top, left = (image.shape[0] - h) // 2, (image.shape[1] - w) // 2
        high = image[top : top + h, left : left + w]
        low = downscale(high, factor).astype(np.float32) / 255.0
        rgb = colour[index][top : top + h, left : left + w] if index < len(colour) else None
        if rgb is not None and rgb.shape[:2] != high.shape:
            rgb = None
        tests.append(
            TestImage(name, low, high.astype(np.float32) / 255.0, bicubic_upscale(low, (h, w)), rgb)
        )
    return tuple(tests)


def psnr(prediction: np.ndarray, target: np.ndarray) -> float:
    """PSNR in dB for images in [0, 1]: 10 log10(1 / MSE).

    >>> round(psnr(np.full((2, 2), 0.5), np.full((2, 2), 0.6)), 2)
    20.0
    """
    mse = float(np.mean((np.asarray(prediction, np.float64) - np.asarray(target, np.float64)) ** 2))
    return math.inf if mse == 0 else 10.0 * math.log10(1.0 / mse)
