"""Loads each data set once per grading session (a batch grades hundreds)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from grader.data.images import Photos, load_photos
from grader.data.mnist import Digits, load_digits
from grader.data.superres import PatchBank, TestImage, make_patch_bank, make_test_images


class DataCache:
    """Lazily loaded digits and photos, and the patch banks drawn from them."""

    def __init__(self, mnist_root: Path | None = None, sr_root: Path | None = None) -> None:
        self.mnist_root = mnist_root
        self.sr_root = sr_root
        self._banks: dict[tuple[int, int, int, float, int], PatchBank] = {}
        self._tests: dict[tuple[int, int], tuple[TestImage, ...]] = {}

    @cached_property
    def digits(self) -> Digits:
        return load_digits(self.mnist_root)

    @cached_property
    def photos(self) -> Photos:
        return load_photos(self.sr_root)

    def patch_bank(self, factor: int, low_size: int, count: int, min_std: float, seed: int) -> PatchBank:
        key = (factor, low_size, count, min_std, seed)
        if key not in self._banks:
            self._banks[key] = make_patch_bank(self.photos.train, factor, low_size, count, min_std, seed)
        return self._banks[key]

    def test_images(self, factor: int, max_side: int) -> tuple[TestImage, ...]:
        key = (factor, max_side)
        if key not in self._tests:
            photos = self.photos
            self._tests[key] = make_test_images(photos.test, photos.test_names, factor, max_side, photos.test_colour)
        return self._tests[key]
