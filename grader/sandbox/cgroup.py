"""A pids cgroup per part: a hard cap on processes and threads, and a sure way to find them all.

Root ignores RLIMIT_NPROC, and a process can leave its process group and
session, but not its cgroup. Where the grader may create cgroups (root on
Linux with the pids controller, version 1 or 2), the parent makes one per
part, the part's child joins it before any student code runs (through a
file descriptor the parent opens: inside the sandbox /sys is not visible),
and afterwards the parent kills everything still in it and removes it.
Elsewhere `find_pids_root` returns None and the zygote counts processes
itself (see `grader.sandbox.zygote`).
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from grader.sandbox.processes import kill

CGROUP_FS = Path("/sys/fs/cgroup")
GROUP_PREFIX = "cnn-grader-"
KILL_ROUNDS = 50  # a fork loop can outrun one round of kills; each round waits a little


def find_pids_root(base: Path = CGROUP_FS) -> Path | None:
    """The folder where we may create pids cgroups, or None (tried once, with a throwaway group)."""
    candidates = []
    if (base / "cgroup.controllers").is_file():  # version 2, unified
        try:
            if "pids" in (base / "cgroup.subtree_control").read_text().split():
                candidates.append(base)
        except OSError:
            pass
    if (base / "pids" / "cgroup.procs").is_file():  # version 1
        candidates.append(base / "pids")
    for root in candidates:
        probe = root / f"{GROUP_PREFIX}probe-{secrets.token_hex(4)}"
        try:
            probe.mkdir()
            (probe / "pids.max").write_text("8")
            probe.rmdir()
            return root
        except OSError:
            _remove(probe)
    return None


@dataclass(frozen=True)
class PartCgroups:
    """One pids cgroup per part under a fresh folder; `procs_fds` are for the children to join."""

    folder: Path
    groups: dict[str, Path]
    procs_fds: dict[str, int]

    @staticmethod
    def create(root: Path, parts: Iterable[str], max_tasks: int) -> "PartCgroups":
        folder = root / f"{GROUP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
        folder.mkdir()
        groups, fds = {}, {}
        try:
            for part in parts:
                group = folder / part
                group.mkdir()
                (group / "pids.max").write_text(str(max_tasks))
                groups[part] = group
                fds[part] = os.open(group / "cgroup.procs", os.O_WRONLY)
        except OSError:
            PartCgroups(folder, groups, fds).close()
            raise
        return PartCgroups(folder, groups, fds)

    def limit_hits(self, part: str) -> int:
        """How many times a fork or thread start failed on the part's pids.max."""
        try:
            text = (self.groups[part] / "pids.events").read_text()
        except (OSError, KeyError):
            return 0
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if key == "max" and value.strip().isdigit():
                return int(value)
        return 0

    def kill_all(self) -> None:
        """Kill every process still in any part's group, until the groups are empty."""
        for group in self.groups.values():
            killer = group / "cgroup.kill"
            if killer.exists():  # version 2: the kernel kills them all at once
                try:
                    killer.write_text("1")
                except OSError:
                    pass
            for _ in range(KILL_ROUNDS):
                pids = _members(group)
                if not pids:
                    break
                kill(pids)
                time.sleep(0.02)

    def close(self) -> None:
        """Kill what is left, then remove the groups (a group with members cannot be removed)."""
        for fd in self.procs_fds.values():
            try:
                os.close(fd)
            except OSError:
                pass
        self.kill_all()
        for group in self.groups.values():
            _remove(group)
        _remove(self.folder)


def _members(group: Path) -> list[int]:
    try:
        return [int(line) for line in (group / "cgroup.procs").read_text().split()]
    except (OSError, ValueError):
        return []


def _remove(folder: Path) -> None:
    # A cgroup folder is removed with rmdir even though it lists files; retry while it empties.
    for _ in range(20):
        try:
            folder.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.02)
