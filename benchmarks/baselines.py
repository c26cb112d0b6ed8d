"""The two training pipelines the grader's own loops are compared with, as their authors wrote them.

- `seed_loop`: the assignment's MNIST loop. torchvision's `MNIST` dataset (a PIL
  image made and `ToTensor()` applied per digit), a shuffling `DataLoader` of
  batch 64, AdamW, `CrossEntropyLoss`, the batch moved to the device each step.
- `examples_pipeline`: the PyTorch super-resolution example's data path
  (`DatasetFromFolder`): per item, the photo converted to YCbCr and its Y taken
  (`load_img`), cropped, resized down for the input (bicubic) and `ToTensor()`
  on both, in a `DataLoader`; Adam on MSE. The photos are decoded once and kept
  in memory (the example reads the file again for every item, which would only
  make it slower), and each item is a 33 x 33 crop like the grader's patches,
  at a position drawn once with the same texture rule.

Both train the same model class for the same number of steps, batch size and
learning rate as the grader's loop they are compared with, in this process, at
the torch thread count the caller set, on the device the caller names (the CPU
unless told). They return the wall time of the steps.
"""

from __future__ import annotations

import math
import struct
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader, Dataset


def write_idx(path: Path, array: np.ndarray) -> None:
    """An MNIST idx file (big-endian dims after a magic naming the dtype), as torchvision reads it."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.tobytes())


def seed_loop(model: nn.Module, images: np.ndarray, labels: np.ndarray, steps: int, batch_size: int, lr: float,
              seed: int, device: str = "cpu") -> float:  # fmt: skip
    """Seconds for `steps` steps of the assignment's loop over torchvision's MNIST dataset."""
    from torchvision import datasets, transforms

    with tempfile.TemporaryDirectory(prefix="bench-mnist-") as root:
        raw = Path(root) / "MNIST" / "raw"
        raw.mkdir(parents=True)
        write_idx(raw / "train-images-idx3-ubyte", images)
        write_idx(raw / "train-labels-idx1-ubyte", labels)
        write_idx(raw / "t10k-images-idx3-ubyte", images[:1])
        write_idx(raw / "t10k-labels-idx1-ubyte", labels[:1])
        train_set = datasets.MNIST(root, train=True, download=False, transform=transforms.ToTensor())
        loader = DataLoader(train_set, batch_size=batch_size, shuffle=True,
                            generator=torch.Generator().manual_seed(seed))  # fmt: skip
        model.to(device).train()
        optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
        criterion = nn.CrossEntropyLoss()
        started = time.perf_counter()
        _train(model, loader, steps, optimizer, lambda out, y: criterion(out[0], y), torch.device(device))
        return time.perf_counter() - started


class PatchesFromPhotos(Dataset):  # type: ignore[type-arg]
    """The example's `DatasetFromFolder`, one item per crop box of a photo."""

    def __init__(self, photos: list[Image.Image], boxes: list[tuple[int, int, int, int, int]], factor: int) -> None:
        self.photos, self.boxes, self.factor = photos, boxes, factor
        from torchvision.transforms import ToTensor

        self.to_tensor = ToTensor()

    def __len__(self) -> int:
        return len(self.boxes)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        photo, left, top, right, bottom = self.boxes[index]
        y, _, _ = self.photos[photo].convert("YCbCr").split()  # load_img
        target = y.crop((left, top, right, bottom))
        size = (right - left) // self.factor
        low = target.resize((size, size), Image.BICUBIC)
        return self.to_tensor(low), self.to_tensor(target)


def crop_boxes(photos: list[np.ndarray], count: int, size: int, min_std: float, seed: int) -> list[tuple[int, ...]]:
    """`count` textured crop boxes (photo, left, top, right, bottom), drawn as the grader's patch bank is."""
    rng = np.random.default_rng(seed)
    usable = [i for i, p in enumerate(photos) if p.shape[0] >= size and p.shape[1] >= size]
    boxes: list[tuple[int, ...]] = []
    while len(boxes) < count:
        index = usable[rng.integers(len(usable))]
        top = int(rng.integers(photos[index].shape[0] - size + 1))
        left = int(rng.integers(photos[index].shape[1] - size + 1))
        if photos[index][top : top + size, left : left + size].std() >= min_std:
            boxes.append((index, left, top, left + size, top + size))
    return boxes


def examples_pipeline(model: nn.Module, rgb_photos: list[np.ndarray], y_photos: list[np.ndarray], factor: int,
                      patch: int, bank_size: int, min_std: float, steps: int, batch_size: int, lr: float,
                      seed: int, device: str = "cpu") -> float:  # fmt: skip
    """Seconds for `steps` steps of the example's pipeline on crops of the photos."""
    boxes = crop_boxes(y_photos, bank_size, patch * factor, min_std, seed)
    dataset = PatchesFromPhotos([Image.fromarray(p) for p in rgb_photos], boxes, factor)  # type: ignore[arg-type]
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed))
    model.to(device).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    # The grader's schedule, so that the two runs differ by their data path only.
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 0.5 * (1.0 + math.cos(math.pi * s / steps)))
    criterion = nn.MSELoss()
    started = time.perf_counter()
    _train(model, loader, steps, optimizer, criterion, torch.device(device), schedule)
    return time.perf_counter() - started


def _train(model: nn.Module, loader: DataLoader, steps: int, optimizer: Any, loss_of: Any,  # type: ignore[type-arg]
           device: torch.device, schedule: Any = None) -> None:  # fmt: skip
    done = 0
    while done < steps:  # epochs, like `for epoch in range(...)`, until the step budget is spent
        for inputs, targets in loader:
            inputs, targets = inputs.to(device), targets.to(device)
            optimizer.zero_grad()
            loss = loss_of(model(inputs), targets)
            loss.backward()
            optimizer.step()
            if schedule is not None:
                schedule.step()
            done += 1
            if done == steps:
                if device.type == "cuda":
                    torch.cuda.synchronize()  # the clock stops when the GPU is done, not when it was asked
                return
