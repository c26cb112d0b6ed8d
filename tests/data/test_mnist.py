"""The digit loaders: the embedded split, and torchvision's format on files written here."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from grader.data.errors import DataError
from grader.data.mnist import load_digits, load_embedded, load_torchvision


def write_idx(path: Path, array: np.ndarray) -> None:
    """The IDX format of the MNIST files: magic (dtype 0x08 = ubyte, ndim), sizes, bytes."""
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def write_mnist(root: Path, n_train: int = 12, n_test: int = 5) -> tuple[np.ndarray, np.ndarray]:
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    train = rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8)
    test = rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8)
    write_idx(raw / "train-images-idx3-ubyte", train)
    write_idx(raw / "train-labels-idx1-ubyte", np.arange(n_train) % 10)
    write_idx(raw / "t10k-images-idx3-ubyte", test)
    write_idx(raw / "t10k-labels-idx1-ubyte", np.arange(n_test) % 10)
    return train, test


def test_embedded_split_is_balanced_and_disjoint() -> None:
    digits = load_embedded()
    assert digits.train_images.shape == (4000, 28, 28) and digits.test_images.shape == (1000, 28, 28)
    assert digits.train_images.dtype == np.uint8 and digits.train_images.max() > 200
    assert np.bincount(digits.train_labels).tolist() == [400] * 10
    assert np.bincount(digits.test_labels).tolist() == [100] * 10
    train_rows = {row.tobytes() for row in digits.train_images}
    assert not any(row.tobytes() in train_rows for row in digits.test_images)


def test_torchvision_root_is_read_without_download(tmp_path: Path) -> None:
    train, test = write_mnist(tmp_path)
    digits = load_digits(tmp_path)
    assert np.array_equal(digits.train_images, train) and np.array_equal(digits.test_images, test)
    assert digits.train_labels.tolist() == [i % 10 for i in range(12)]
    assert digits.test_labels.dtype == np.int64
    assert "torchvision MNIST" in digits.source


def test_missing_or_broken_root_is_a_clear_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not a folder"):
        load_torchvision(tmp_path / "absent")
    with pytest.raises(DataError, match="train-images-idx3-ubyte"):
        load_torchvision(tmp_path)
    write_mnist(tmp_path)
    (tmp_path / "MNIST" / "raw" / "t10k-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x03 truncated")
    with pytest.raises(DataError):
        load_torchvision(tmp_path)
