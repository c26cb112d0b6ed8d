"""What the operating system lets us wrap a child in.

Preferred: `unshare` into new user, network, PID and mount namespaces, so the
child has no network and every process it starts dies with it. Where that
is not allowed (containers without user namespaces, macOS), the child runs
in its own session and process group only, and the report says so.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

UNSHARE_ARGS = (
    "--user", "--map-root-user", "--net", "--pid", "--fork", "--kill-child", "--mount-proc",
)  # fmt: skip


@dataclass(frozen=True)
class Isolation:
    """The wrapper command and what it guarantees."""

    prefix: tuple[str, ...]
    network_off: bool
    pid_namespace: bool
    description: str


NO_ISOLATION = Isolation((), False, False, "process group only (no namespaces available)")


def detect_isolation() -> Isolation:
    """Try the namespaces once; fall back to a bare process group."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return NO_ISOLATION
    try:
        probe = subprocess.run(
            [unshare, *UNSHARE_ARGS, "true"], capture_output=True, timeout=20, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return NO_ISOLATION
    if probe.returncode != 0:
        return NO_ISOLATION
    return Isolation(
        (unshare, *UNSHARE_ARGS),
        network_off=True,
        pid_namespace=True,
        description="unshare: own user, network, PID and mount namespaces",
    )


def as_dict(isolation: Isolation) -> dict[str, object]:
    return {
        "isolation": isolation.description,
        "network_off": isolation.network_off,
        "pid_namespace": isolation.pid_namespace,
    }
