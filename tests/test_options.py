"""Options: `--device auto` answers without torch where no GPU driver exists."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from grader.options import resolve_device

REPO = Path(__file__).resolve().parents[1]


def test_auto_is_cpu_without_importing_torch_where_no_gpu_driver_exists() -> None:
    code = ("import sys; from grader.options import resolve_device; "
            "print(resolve_device('auto', device_files=()), 'torch' in sys.modules)")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["cpu", "False"]


def test_auto_asks_torch_where_a_gpu_driver_exists(tmp_path: Path) -> None:
    import torch

    driver = tmp_path / "nvidiactl"
    driver.touch()
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto", device_files=(str(driver),)) == expected


def test_an_unknown_device_is_refused() -> None:
    with pytest.raises(ValueError, match="device must be one of"):
        resolve_device("tpu")

