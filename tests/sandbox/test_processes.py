"""Finding the processes a submission started: by parent links, session, marker and cgroup."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.sandbox.cgroup import PartCgroups, find_pids_root
from grader.sandbox.processes import (
    descendants,
    in_sessions,
    kill,
    process_table,
    read_process,
    task_count,
    with_marker,
)
from tests.conftest import REPO

SLEEP = [sys.executable, "-c", "import time; time.sleep(60)"]


def _gone(pid: int, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = read_process(pid)
        if info is None or info.zombie:
            return True
        time.sleep(0.05)
    return False


def test_the_table_sees_this_process_and_its_children() -> None:
    child = subprocess.Popen(SLEEP)
    try:
        table = process_table()
        me = table[os.getpid()]
        assert me.threads >= 1 and not me.zombie
        assert child.pid in descendants(table, os.getpid())
        assert task_count(table, [child.pid]) >= 1
    finally:
        child.kill()
        child.wait()


def test_a_new_session_is_found_by_its_leader_and_by_its_marker() -> None:
    env = {**os.environ, "CNN_GRADER_SANDBOX": "test-marker-1"}
    child = subprocess.Popen(SLEEP, start_new_session=True, env=env)
    try:
        time.sleep(0.2)
        table = process_table()
        assert child.pid in in_sessions(table, {child.pid})
        assert child.pid in with_marker(table, "CNN_GRADER_SANDBOX=test-marker-1")
        assert child.pid not in with_marker(table, "CNN_GRADER_SANDBOX=another")
        kill([child.pid])
        assert _gone(child.pid)
    finally:
        child.kill()
        child.wait()


def test_kill_spares_this_process_and_init() -> None:
    kill([os.getpid(), 1, 0])  # would end the test run if it did not


def test_no_pids_cgroup_where_the_files_are_not_cgroup_files(tmp_path: Path) -> None:
    (tmp_path / "pids").mkdir()
    (tmp_path / "pids" / "cgroup.procs").write_text("")
    # A plain folder: the probe group keeps the pids.max it wrote, so it cannot be removed as a cgroup.
    assert find_pids_root(tmp_path) is None


def test_a_part_cgroup_caps_forks_and_leaves_nothing() -> None:
    root = find_pids_root()
    if root is None:
        pytest.skip("no writable pids cgroup here; the zygote's own count is tested by the fork-bomb cases")
    groups = PartCgroups.create(root, ["cnn"], max_tasks=4)
    code = (
        "import os, sys, time\n"
        "os.write(int(sys.argv[1]), b'0')\n"
        "pids = []\n"
        "for _ in range(10):\n"
        "    try:\n"
        "        pid = os.fork()\n"
        "    except OSError:\n"
        "        print('refused', flush=True); break\n"
        "    if pid == 0:\n"
        "        os.setsid(); time.sleep(60); os._exit(0)\n"
        "    pids.append(pid)\n"
        "print(len(pids), flush=True)\n"
        "time.sleep(60)\n"
    )
    fd = groups.procs_fds["cnn"]
    child = subprocess.Popen([sys.executable, "-c", code, str(fd)], pass_fds=(fd,), stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "refused"
        assert child.stdout.readline().strip() == "3"  # 4 tasks: the parent and 3 setsid()'d children
        assert groups.limit_hits("cnn") >= 1
    finally:
        groups.close()
        child.wait(timeout=30)
    assert not groups.folder.exists()


def test_a_child_can_drop_every_capability_for_good() -> None:
    code = (
        "from grader.sandbox.processes import capabilities, drop_capabilities, no_new_privileges\n"
        "before = capabilities()\n"
        "assert no_new_privileges() and drop_capabilities()\n"
        "print(before, capabilities())\n"
    )
    before, after = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                   cwd=REPO).stdout.split()  # fmt: skip
    assert after == "0"
