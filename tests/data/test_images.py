"""Photos for super-resolution: bundled set, folders (BSDS300 and flat), Y channel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from grader.data.errors import DataError
from grader.data.images import TEST_PHOTOS, TRAIN_PHOTOS, load_bundled, load_folder, luminance


def write_photos(folder: Path, count: int, size: tuple[int, int] = (40, 30)) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(len(str(folder)))
    paths = []
    for i in range(count):
        path = folder / f"{i:03d}.jpg"
        Image.fromarray(rng.integers(0, 256, (*size[::-1], 3), dtype=np.uint8)).save(path)
        paths.append(path)
    return paths


def test_luminance_matches_pil_ycbcr_and_keeps_grey() -> None:
    rgb = np.array([[[255, 0, 0], [0, 255, 0]], [[0, 0, 255], [255, 255, 255]]], dtype=np.uint8)
    y = luminance(rgb)
    assert y.shape == (2, 2) and y.dtype == np.uint8
    # ITU-R 601 weights 0.299, 0.587, 0.114 in PIL's fixed-point arithmetic (0.587 * 255 -> 149)
    assert y.tolist() == [[76, 149], [29, 255]]
    grey = np.arange(6, dtype=np.uint8).reshape(2, 3)
    assert np.array_equal(luminance(grey), grey)
    assert luminance(np.zeros((2, 2, 4), dtype=np.uint8)).shape == (2, 2)  # RGBA


def test_bundled_photos_load_offline() -> None:
    photos = load_bundled()
    assert photos.test_names == TEST_PHOTOS and photos.train_names == TRAIN_PHOTOS
    assert all(p.dtype == np.uint8 and p.ndim == 2 for p in photos.train + photos.test)
    assert photos.test[0].shape == (512, 512)  # astronaut


def test_bsds300_layout(tmp_path: Path) -> None:
    write_photos(tmp_path / "BSDS300" / "images" / "train", 3)
    write_photos(tmp_path / "BSDS300" / "images" / "test", 2)
    photos = load_folder(tmp_path / "BSDS300")
    assert (len(photos.train), len(photos.test)) == (3, 2)
    assert photos.train[0].shape == (30, 40)


def test_flat_folder_sends_every_fourth_image_to_test(tmp_path: Path) -> None:
    write_photos(tmp_path, 8)
    (tmp_path / "notes.txt").write_text("not an image")
    photos = load_folder(tmp_path)
    assert photos.test_names == ("003.jpg", "007.jpg")
    assert len(photos.train_names) == 6


def test_bad_folders_are_data_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not a folder"):
        load_folder(tmp_path / "absent")
    write_photos(tmp_path / "one", 1)
    with pytest.raises(DataError, match="need images to train and to test"):
        load_folder(tmp_path / "one")
    (tmp_path / "broken").mkdir()
    for name in ("a.jpg", "b.jpg", "c.jpg", "d.jpg"):
        (tmp_path / "broken" / name).write_bytes(b"not a jpeg")
    with pytest.raises(DataError, match="cannot read image"):
        load_folder(tmp_path / "broken")
