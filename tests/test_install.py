"""How students install the grader: the requirement a release names, and the released wheel installed
into a fresh virtual environment, where it grades."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import venv
from pathlib import Path

import nbformat
import pytest

import grader
from grader.install import InstallError, checked_requirement, install_source
from grader.release import NOTEBOOK, notebook_for, solution_files
from grader.rubric import load_rubric
from grader.visibility import is_public
from tests.conftest import REFERENCE


@pytest.mark.parametrize(("given", "expected"), [
    ("cnn-grader==0.1.0", "cnn-grader==0.1.0"),
    ("git+https://git.example.edu/course/cnn-grader@v0.1.0", "cnn-grader @ git+https://git.example.edu/course/cnn-grader@v0.1.0"),
    ("cnn_grader @ https://example.edu/cnn_grader-0.1.0-py3-none-any.whl", "cnn_grader @ https://example.edu/cnn_grader-0.1.0-py3-none-any.whl"),
])  # fmt: skip
def test_a_requirement_that_installs_the_grader_is_kept(given: str, expected: str) -> None:
    assert install_source(given).requirement == expected and install_source(given).wheel is None


@pytest.mark.parametrize(("given", "message"), [
    ("torch==2.3", "installs torch, not cnn-grader"),
    ("cnn-grader===", "is not a pip requirement"),
    ('cnn-grader; python_version > "3"', "is not a single pip requirement"),
    ("missing/cnn_grader-0.1.0-py3-none-any.whl", "no such wheel file"),
])  # fmt: skip
def test_a_requirement_that_would_not_install_the_grader_is_refused(given: str, message: str) -> None:
    with pytest.raises(InstallError, match=re.escape(message)):
        install_source(given)


def test_a_wheel_file_given_is_shipped_under_its_own_name(tmp_path: Path) -> None:
    wheel = tmp_path / "cnn_grader-9.9-py3-none-any.whl"
    wheel.write_bytes(b"PK wheel")
    source = install_source(str(wheel))
    assert source.requirement == "./cnn_grader-9.9-py3-none-any.whl" and source.wheel.data == b"PK wheel"  # type: ignore[union-attr]
    other = tmp_path / "torch-2.0-py3-none-any.whl"
    other.write_bytes(b"PK")
    with pytest.raises(InstallError, match="is not a cnn-grader wheel"):
        install_source(str(other))
    assert checked_requirement(" cnn-grader ") == "cnn-grader"


# Run in the fresh environment: each requirement of the installed wheel that is not met there.
UNMET_REQUIREMENTS = """
from importlib.metadata import PackageNotFoundError, requires, version
from packaging.requirements import Requirement
for line in requires("cnn-grader"):
    req = Requirement(line)
    if req.marker is not None and not req.marker.evaluate({"extra": ""}):
        continue
    try:
        found = version(req.name)
    except PackageNotFoundError:
        found = None
    if found is None or not req.specifier.contains(found, prereleases=True):
        print(req, "found:", found)
"""


def shared_site_packages() -> list[str]:
    """The folders this interpreter imports installed packages from (torch, einops, ...)."""
    return [p for p in sys.path if Path(p).name in ("site-packages", "dist-packages") and Path(p).is_dir()]


def test_the_released_wheel_installs_in_a_fresh_venv_and_checks_a_notebook(tmp_path: Path) -> None:
    """Release, then do what the notebook's install cell does, in a new virtual environment.

    Honest limits: the fresh environment does not download torch and the other heavy packages
    (no network for them here, and they take minutes); a `.pth` file lets it import them from
    this interpreter's site-packages, and pip installs the wheel with `--no-index --no-deps`, so
    pip's resolver is not exercised. Instead the test checks that every dependency the wheel
    declares is importable there at a version the wheel accepts. `grader` itself, the
    `cnn-grader` command and the package metadata come from the wheel alone, as the test checks.
    """
    release = tmp_path / "release"
    result = subprocess.run([sys.executable, "-m", "grader", "release", "--reference", str(REFERENCE), "--out",
                             str(release)], capture_output=True, text=True, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr
    install_cell = nbformat.read(str(release / NOTEBOOK), as_version=4).cells[2].source
    requirement = re.search(r'%pip install -q "([^"]+)"', install_cell).group(1)  # type: ignore[union-attr]
    assert requirement == f"./cnn_grader-{grader.__version__}-py3-none-any.whl"

    env_dir = tmp_path / "fresh-venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    own_site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    (Path(own_site) / "shared-packages.pth").write_text("\n".join(shared_site_packages()) + "\n", encoding="utf-8")
    clean_env = {"PATH": f"{env_dir / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path), "PIP_NO_INDEX": "1",
                 "PIP_DISABLE_PIP_VERSION_CHECK": "1"}  # fmt: skip
    installed = subprocess.run([str(python), "-m", "pip", "install", "--no-index", "--no-deps", requirement],
                               cwd=release, capture_output=True, text=True, timeout=300, env=clean_env)  # fmt: skip
    assert installed.returncode == 0, installed.stdout + installed.stderr
    unmet = subprocess.run([str(python), "-c", UNMET_REQUIREMENTS], capture_output=True, text=True, env=clean_env)
    assert unmet.returncode == 0 and unmet.stdout == "", unmet.stdout + unmet.stderr

    where = subprocess.run([str(python), "-c", "import grader, importlib.metadata as m; print(grader.__file__); "
                            "print(m.distribution('cnn-grader').locate_file(''))"],
                           capture_output=True, text=True, cwd=tmp_path, env=clean_env, check=True)  # fmt: skip
    assert all(Path(line).resolve().is_relative_to(env_dir.resolve()) for line in where.stdout.split())

    filled = tmp_path / "student" / NOTEBOOK
    filled.parent.mkdir()
    filled.write_text(notebook_for(REFERENCE / "notebook.md", solution_files(REFERENCE), requirement),
                      encoding="utf-8")  # fmt: skip
    checked = subprocess.run([str(env_dir / "bin" / "cnn-grader"), "check", NOTEBOOK, "--out", "report"],
                             cwd=filled.parent, capture_output=True, text=True, timeout=300, env=clean_env)  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    public = sum(s.points for s in load_rubric().checks.values() if is_public(s.visibility))
    assert f"{public:g} / {public:g} on the public checks" in checked.stdout
    report = json.loads((filled.parent / "report" / "report.json").read_text(encoding="utf-8"))
    assert report["grader_version"] == grader.__version__
    assert [a["state"] for a in report["written_answers"]] == ["unanswered"] * 4
