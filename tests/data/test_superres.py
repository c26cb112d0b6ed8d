"""Patches, test images, the bicubic baseline and PSNR."""

from __future__ import annotations

import math

import numpy as np
import pytest

from grader.data.errors import DataError
from grader.data.superres import bicubic_upscale, downscale, make_patch_bank, make_test_images, psnr


def textured(shape: tuple[int, int], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def test_patch_bank_pairs_hr_crops_with_their_downscale() -> None:
    images = [textured((60, 70)), np.full((80, 80), 128, dtype=np.uint8)]
    bank = make_patch_bank(images, factor=3, low_size=5, count=20, min_std=10.0, seed=1)
    assert bank.low.shape == (20, 5, 5) and bank.high.shape == (20, 15, 15)
    assert all(h.std() >= 10.0 for h in bank.high)  # the flat image never contributes
    assert np.array_equal(bank.low[0], downscale(bank.high[0], 3))
    again = make_patch_bank(images, factor=3, low_size=5, count=20, min_std=10.0, seed=1)
    assert np.array_equal(bank.high, again.high)


def test_patch_bank_refuses_impossible_requests() -> None:
    with pytest.raises(DataError, match="at least"):
        make_patch_bank([textured((10, 10))], factor=3, low_size=5, count=1, min_std=0.0, seed=0)
    with pytest.raises(DataError, match="too flat"):
        make_patch_bank([np.zeros((40, 40), np.uint8)], factor=2, low_size=5, count=2, min_std=1.0, seed=0)


def test_test_images_too_small_for_a_psnr_are_refused() -> None:
    with pytest.raises(DataError, match="tiny is 20x20 pixels; the PSNR check needs at least 24"):
        make_test_images([textured((20, 20))], ["tiny"], factor=3, max_side=90)


def test_test_images_are_crops_with_a_fair_bicubic_baseline() -> None:
    (image,) = make_test_images([textured((100, 131))], ["noise"], factor=3, max_side=90)
    assert image.high.shape == (90, 90) and image.low.shape == (30, 30)
    assert image.bicubic.shape == image.high.shape
    assert 0.0 <= image.bicubic.min() and image.bicubic.max() <= 1.0
    assert psnr(image.bicubic, image.high) < psnr(image.high, image.high)


def test_bicubic_of_a_constant_is_the_constant() -> None:
    up = bicubic_upscale(np.full((4, 5), 0.25, np.float32), (12, 15))
    assert up.shape == (12, 15) and np.allclose(up, 0.25, atol=1e-6)


def test_psnr_values() -> None:
    a = np.zeros((4, 4))
    assert psnr(a, a) == math.inf
    assert psnr(a, np.full((4, 4), 0.1)) == pytest.approx(20.0)
    assert psnr(a, np.ones((4, 4))) == pytest.approx(0.0)
