"""Photos for super-resolution, reduced to their luminance (Y of YCbCr).

Embedded default: real photos bundled in the scikit-image wheel. Test on
astronaut, camera, coffee and chelsea (the assignment's kind of natural
photo); train on the other real photos that need no download. `cat` is
chelsea again and `horse`, `logo`, `colorwheel` and `shepp_logan_phantom`
are drawings, so none of them is used.

A folder given with `--sr-root` is either BSDS300 (`images/train`,
`images/test`), a folder with `train/` and `test/`, or a flat folder whose
sorted images are split: every fourth (the 4th, 8th, ...) tests, the rest train.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from grader.data.errors import DataError

TEST_PHOTOS = ("astronaut", "camera", "coffee", "chelsea")
TRAIN_PHOTOS = (
    "rocket", "coins", "moon", "page", "text", "brick", "grass", "gravel", "clock",
    "hubble_deep_field", "immunohistochemistry", "retina", "cell", "microaneurysms",
)  # fmt: skip
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")


@dataclass(frozen=True)
class Photos:
    """uint8 luminance images (H, W), each with its name."""

    train: tuple[np.ndarray, ...]
    test: tuple[np.ndarray, ...]
    train_names: tuple[str, ...]
    test_names: tuple[str, ...]
    source: str
    # The test photos in colour (uint8 RGB), for the report's pictures; () where unknown.
    test_colour: tuple[np.ndarray, ...] = ()


def luminance(image: np.ndarray) -> np.ndarray:
    """The Y channel of an RGB(A) or grey uint8 image, as PIL's YCbCr gives it.

    >>> luminance(np.zeros((2, 2, 3), np.uint8)).shape
    (2, 2)
    """
    if image.dtype != np.uint8:
        image = np.clip(np.asarray(image, dtype=np.float64) * (255 if image.max() <= 1 else 1), 0, 255)
        image = image.astype(np.uint8)
    if image.ndim == 2:
        return image
    rgb = Image.fromarray(np.ascontiguousarray(image[..., :3]))
    return np.asarray(rgb.convert("YCbCr"))[..., 0].copy()


def load_photos(root: Path | None = None) -> Photos:
    """The bundled scikit-image photos, or the images under `root`."""
    return load_bundled() if root is None else load_folder(root)


def load_bundled() -> Photos:
    import skimage.data

    def raw(name: str) -> np.ndarray:
        try:
            return np.asarray(getattr(skimage.data, name)())
        except Exception as exc:  # skimage raises many kinds for a missing file
            raise DataError(f"scikit-image photo {name!r} is not available: {exc}") from exc

    tests = [raw(n) for n in TEST_PHOTOS]
    return Photos(
        tuple(luminance(raw(n)) for n in TRAIN_PHOTOS),
        tuple(luminance(t) for t in tests),
        TRAIN_PHOTOS,
        TEST_PHOTOS,
        "scikit-image photos",
        tuple(rgb(t) for t in tests),
    )


def rgb(image: np.ndarray) -> np.ndarray:
    """A uint8 RGB copy of a grey, RGB or RGBA uint8 image.

    >>> rgb(np.zeros((2, 2), np.uint8)).shape
    (2, 2, 3)
    """
    image = np.asarray(image)
    if image.dtype != np.uint8:
        image = np.clip(np.asarray(image, dtype=np.float64) * (255 if image.max() <= 1 else 1), 0, 255)
        image = image.astype(np.uint8)
    if image.ndim == 2:
        return np.repeat(image[..., None], 3, axis=2)
    return np.ascontiguousarray(image[..., :3])


def load_folder(root: Path) -> Photos:
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"--sr-root {root} is not a folder")
    for base in (root / "images", root):
        if (base / "train").is_dir() and (base / "test").is_dir():
            train, test = _images_in(base / "train"), _images_in(base / "test")
            break
    else:
        found = _images_in(root)
        test = found[3::4]
        train = [p for p in found if p not in test]
    if not train or not test:
        raise DataError(
            f"--sr-root {root}: need images to train and to test; found {len(train)} and "
            f"{len(test)} (use BSDS300's images/train and images/test, or train/ and test/)"
        )
    colour = tuple(_read(p, "RGB") for p in test)
    return Photos(
        tuple(_read(p) for p in train),
        tuple(_read(p) for p in test),
        tuple(p.name for p in train),
        tuple(p.name for p in test),
        f"images at {root}",
        colour,
    )


def _images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def _read(path: Path, mode: str = "Y") -> np.ndarray:
    """The Y channel of the image at `path`, or with mode="RGB" the image in colour."""
    try:
        with Image.open(path) as image:
            if mode == "RGB":
                return np.asarray(image.convert("RGB")).copy()
            return np.asarray(image.convert("YCbCr"))[..., 0].copy()
    except (OSError, UnidentifiedImageError) as exc:
        raise DataError(f"cannot read image {path}: {exc}") from exc
