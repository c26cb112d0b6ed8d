"""What the operating system lets us wrap student code in, best first.

1. bubblewrap (`bwrap`): new user, network, PID, IPC, UTS and mount
   namespaces, no capabilities, and a filesystem view that holds only what
   the child needs (see `grader.sandbox.filesystem`).
2. `unshare`: new user, network, PID and mount namespaces: no network, and
   every process dies with the zygote, but the whole filesystem is visible.
3. Nothing: the child runs in its own session and process group only; the
   zygote and the parent hunt down what it leaves (see `grader.sandbox.processes`).

Independently, a pids cgroup per part caps processes and threads where the
grader may create one (`grader.sandbox.cgroup`). The report states which
of these were in force.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from grader.sandbox.cgroup import find_pids_root
from grader.sandbox.filesystem import SandboxView, bwrap_args

KINDS = ("bwrap", "unshare", "none")
UNSHARE_ARGS = (
    "--user", "--map-root-user", "--net", "--pid", "--fork", "--kill-child", "--mount-proc",
)  # fmt: skip
PROBE_TIMEOUT_S = 120  # on CUDA the probe imports torch and starts the GPU


@dataclass(frozen=True)
class Isolation:
    """The wrapper around the zygote and what it guarantees."""

    kind: str  # one of KINDS
    program: str  # path of bwrap or unshare; "" for none
    network_off: bool
    pid_namespace: bool
    filesystem_hidden: bool
    description: str
    pids_cgroup: Path | None = None  # where per-part pids cgroups go; None: counted by the zygote

    def prefix(self, view: SandboxView) -> list[str]:
        """The command that runs a program inside this isolation, for one grade's folders."""
        if self.kind == "bwrap":
            return bwrap_args(self.program, view)
        if self.kind == "unshare":
            return [self.program, *UNSHARE_ARGS]
        return []


NO_ISOLATION = Isolation("none", "", False, False, False, "own session and process group only (no namespaces)")


def detect_isolation(kinds: tuple[str, ...] = KINDS, cgroups: bool = True, device: str = "cpu") -> Isolation:
    """The first of `kinds` that works here, plus a pids cgroup root when `cgroups` and allowed.

    On CUDA the probe also starts the GPU inside the isolation, since the
    view must hold the driver's device files.

    >>> detect_isolation(kinds=("none",), cgroups=False).network_off
    False
    """
    isolation = NO_ISOLATION
    for kind in kinds:
        found = _try_kind(kind, device)
        if found is not None:
            isolation = found
            break
    return replace(isolation, pids_cgroup=find_pids_root() if cgroups else None)


def _try_kind(kind: str, device: str) -> Isolation | None:
    if kind == "none":
        return NO_ISOLATION
    program = shutil.which(kind)
    if program is None:
        return None
    if kind == "bwrap":
        candidate = Isolation("bwrap", program, True, True, True,
                              "bubblewrap: own user, network, PID and mount namespaces, no capabilities, "
                              "only the Python installation and this grade's folders visible")  # fmt: skip
    else:
        candidate = Isolation("unshare", program, True, True, False,
                              "unshare: own user, network, PID and mount namespaces; "
                              "the filesystem is visible read-write as the grader sees it")  # fmt: skip
    return candidate if _works(candidate, device) else None


def _works(isolation: Isolation, device: str) -> bool:
    """Start Python inside the isolation once: namespaces may be forbidden (containers, policies)."""
    code = "import torch; torch.zeros(1, device='cuda')" if device == "cuda" else "import json"
    with tempfile.TemporaryDirectory(prefix="cnn-grader-probe-") as folder:
        view = SandboxView(Path(folder), (), device)
        command = [*isolation.prefix(view), sys.executable, "-I", "-c", code]
        try:
            probe = subprocess.run(command, capture_output=True, timeout=PROBE_TIMEOUT_S, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return False
    return probe.returncode == 0


def as_dict(isolation: Isolation) -> dict[str, object]:
    return {
        "isolation": isolation.description,
        "network_off": isolation.network_off,
        "pid_namespace": isolation.pid_namespace,
        "filesystem_hidden": isolation.filesystem_hidden,
        "process_limit": "pids cgroup" if isolation.pids_cgroup is not None else "counted by the sandbox",
    }
