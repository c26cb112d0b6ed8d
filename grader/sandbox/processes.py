"""Finding and killing the processes a submission started, from /proc.

Used by the zygote (to count a part's processes and threads and to kill
processes that detached from their part) and by the parent (to sweep up
whatever is left when no namespace or cgroup did it). Linux only; where
there is no /proc the functions find nothing.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

PROC = Path("/proc")


@dataclass(frozen=True)
class ProcessInfo:
    """One line of /proc/PID/stat, the fields we use."""

    pid: int
    ppid: int
    pgrp: int
    session: int
    threads: int
    zombie: bool


def read_process(pid: int) -> ProcessInfo | None:
    """The process's /proc entry, or None when it is gone."""
    try:
        text = (PROC / str(pid) / "stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    # The command name is in parentheses and may itself hold spaces and parentheses.
    fields = text[text.rfind(")") + 2 :].split()
    try:
        return ProcessInfo(pid, int(fields[1]), int(fields[2]), int(fields[3]), int(fields[17]), fields[0] == "Z")
    except (IndexError, ValueError):
        return None


def process_table() -> dict[int, ProcessInfo]:
    """Every process this /proc shows (a PID namespace shows only its own)."""
    table = {}
    try:
        names = os.listdir(PROC)
    except OSError:
        return {}
    for name in names:
        if name.isdigit():
            info = read_process(int(name))
            if info is not None:
                table[info.pid] = info
    return table


def descendants(table: dict[int, ProcessInfo], root: int) -> set[int]:
    """`root` and every process below it (by parent links at the time of the table)."""
    children: dict[int, list[int]] = {}
    for info in table.values():
        children.setdefault(info.ppid, []).append(info.pid)
    found, stack = {root}, [root]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def task_count(table: dict[int, ProcessInfo], pids: Iterable[int]) -> int:
    """Threads of the given processes, which is what a pids cgroup counts too."""
    return sum(table[pid].threads for pid in pids if pid in table and not table[pid].zombie)


def in_sessions(table: dict[int, ProcessInfo], sessions: set[int]) -> set[int]:
    """Processes whose session or process group is one of `sessions` (a part's leaders)."""
    return {info.pid for info in table.values() if info.session in sessions or info.pgrp in sessions}


def with_marker(table: dict[int, ProcessInfo], marker: str) -> set[int]:
    """Processes whose starting environment holds `marker` (e.g. `CNN_GRADER_SANDBOX=abc`)."""
    needle = marker.encode("utf-8")
    found = set()
    for pid in table:
        try:
            environ = (PROC / str(pid) / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            found.add(pid)
    return found


def kill(pids: Iterable[int]) -> None:
    """SIGKILL each process; those already gone are skipped."""
    for pid in pids:
        if pid <= 1 or pid == os.getpid():
            continue
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _prctl(option: int, value: int) -> bool:
    """prctl(2) through libc; False where there is none (not Linux)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(option, value, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def become_subreaper() -> bool:
    """Processes that detach from our children are re-parented to us instead of init,
    so that we see them, kill them and reap them."""
    return _prctl(36, 1)  # PR_SET_CHILD_SUBREAPER


def die_with_parent() -> bool:
    """SIGKILL this process when its parent dies (a killed zygote takes its parts along)."""
    return _prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL


def set_dumpable(dumpable: bool) -> bool:
    """PR_SET_DUMPABLE. A process that is not dumpable cannot be traced, and its /proc entries
    (fd/, mem, environ) are closed to every process without CAP_SYS_PTRACE over it: the zygote
    clears it so that no child can reopen its event pipe through /proc/ZYGOTE/fd/1."""
    return _prctl(4, 1 if dumpable else 0)


def no_new_privileges() -> bool:
    """PR_SET_NO_NEW_PRIVS: no execve can grant privileges again (set-user-ID files, or the
    capabilities that root regains on every execve)."""
    return _prctl(38, 1)


def drop_capabilities() -> bool:
    """Empty this process's effective, permitted and inheritable capabilities (capset(2)).

    Where the sandbox leaves the child capabilities (`unshare` makes it root of its own user
    namespace; no isolation as root), CAP_SYS_PTRACE would still open the zygote's /proc
    entries. Call `no_new_privileges` too, or root's next execve brings them back.
    """
    try:
        import ctypes

        class Header(ctypes.Structure):
            _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

        class Data(ctypes.Structure):
            _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                        ("inheritable", ctypes.c_uint32)]  # fmt: skip

        libc = ctypes.CDLL(None, use_errno=True)
        header = Header(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3: two Data structs, all zero
        return libc.capset(ctypes.byref(header), (Data * 2)()) == 0
    except (OSError, AttributeError):
        return False


def capabilities() -> int:
    """The effective capability set of this process, from /proc/self/status (0: none)."""
    try:
        for line in (PROC / "self" / "status").read_text(encoding="utf-8").splitlines():
            if line.startswith("CapEff:"):
                return int(line.split()[1], 16)
    except (OSError, ValueError):
        pass
    return 0
