"""How students install the grader: a wheel shipped with the release, or a requirement the course names.

A course's copy of cnn-grader is usually not on the package index, so a
release carries its own install line, used by the notebook's first cell and
by the CI workflow. By default it is a wheel built from this checkout and
shipped next to the notebook (`./cnn_grader-0.1.0-py3-none-any.whl`, pinned
by its version); a course that hosts the grader elsewhere names it instead:
a git URL (`git+https://git.example.edu/course/cnn-grader@v0.1.0`), a URL of
a wheel, a wheel file to ship, or `cnn-grader==0.1.0` where it is published.

The wheel holds the `grader` package only: no `reference/`, no tests.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import grader

DISTRIBUTION = "cnn-grader"
# Zip timestamps of the wheel (1980-01-01, the oldest a zip can hold): the same source gives
# the same bytes, so a re-release of unchanged content changes no file.
SOURCE_DATE_EPOCH = "315532800"
PROJECT_FILES = ("pyproject.toml", "README.md", "LICENSE")
WHEEL_NAME = re.compile(r"^cnn_grader-[0-9][^-]*-py3-none-any\.whl$")
URL_SCHEMES = ("git+", "http://", "https://", "file:")
BUILD_TIMEOUT_S = 300


class InstallError(ValueError):
    """A requirement that does not install cnn-grader, or a wheel that cannot be built."""


@dataclass(frozen=True)
class Wheel:
    """A wheel file to ship with the release, next to the notebook."""

    name: str
    data: bytes


@dataclass(frozen=True)
class InstallSource:
    """What `pip install` gets (`requirement`), and the wheel to ship with it, if any."""

    requirement: str
    wheel: Wheel | None = None

    @property
    def description(self) -> str:
        return f"the wheel {self.wheel.name}, shipped with the release" if self.wheel else self.requirement


def install_source(requirement: str | None, project: Path | None = None) -> InstallSource:
    """The course's install: `requirement` as given, or a wheel built from `project` (this checkout).

    >>> install_source("git+https://git.example.edu/course/cnn-grader@v0.1.0").requirement
    'cnn-grader @ git+https://git.example.edu/course/cnn-grader@v0.1.0'
    """
    if requirement is None:
        wheel = build_wheel(project or source_checkout())
        return InstallSource(f"./{wheel.name}", wheel)
    path = Path(requirement)
    if requirement.endswith(".whl") and "@" not in requirement and "://" not in requirement:  # a local file
        if not path.is_file():
            raise InstallError(f"{requirement}: no such wheel file")
        if not WHEEL_NAME.match(path.name):
            raise InstallError(f"{path.name} is not a cnn-grader wheel (cnn_grader-VERSION-py3-none-any.whl)")
        return InstallSource(f"./{path.name}", Wheel(path.name, path.read_bytes()))
    return InstallSource(checked_requirement(requirement))


def checked_requirement(text: str) -> str:
    """A pip requirement that installs cnn-grader; a bare URL gets the project's name.

    >>> checked_requirement("cnn-grader==0.1.0")
    'cnn-grader==0.1.0'
    >>> checked_requirement("torch")
    Traceback (most recent call last):
    ...
    grader.install.InstallError: the requirement 'torch' installs torch, not cnn-grader
    """
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    text = text.strip()
    if text.startswith(URL_SCHEMES):
        text = f"{DISTRIBUTION} @ {text}"
    if not text or "\n" in text or '"' in text:
        raise InstallError(f"{text!r} is not a single pip requirement")
    try:
        parsed = Requirement(text)
    except InvalidRequirement as exc:
        raise InstallError(f"{text!r} is not a pip requirement: {exc}") from exc
    if canonicalize_name(parsed.name) != DISTRIBUTION:
        raise InstallError(f"the requirement {text!r} installs {parsed.name}, not {DISTRIBUTION}")
    return text


def source_checkout() -> Path:
    """The project folder this grader runs from, which a wheel can be built from."""
    root = Path(grader.__file__).resolve().parents[1]
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file() or f'name = "{DISTRIBUTION}"' not in pyproject.read_text(encoding="utf-8"):
        raise InstallError(
            f"cnn-grader runs from {root}, which is not a source checkout, so no wheel can be built: "
            "pass --requirement (a git URL, a wheel file or URL, or cnn-grader==VERSION)"
        )
    return root


def build_wheel(project: Path) -> Wheel:
    """Build the wheel of `project` from a clean copy of its package files.

    A copy, because an in-tree build would reuse `build/lib`, where files
    deleted from the source can linger and end up in the wheel.
    """
    with tempfile.TemporaryDirectory(prefix="cnn-grader-wheel-") as scratch:
        source, out = Path(scratch) / "src", Path(scratch) / "dist"
        source.mkdir()
        for name in PROJECT_FILES:
            if (project / name).is_file():
                shutil.copy2(project / name, source / name)
        shutil.copytree(project / "grader", source / "grader",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))  # fmt: skip
        command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(out)]
        if _can_build_offline():
            command.append("--no-build-isolation")  # else pip fetches setuptools from the index
        env = {**os.environ, "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
        try:
            result = subprocess.run([*command, str(source)], capture_output=True, text=True, env=env,
                                    timeout=BUILD_TIMEOUT_S)  # fmt: skip
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise InstallError(f"building the wheel failed: {exc}") from exc
        wheels = sorted(out.glob("*.whl")) if out.is_dir() else []
        if result.returncode != 0 or len(wheels) != 1:
            tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-5:])
            raise InstallError(f"building the wheel with pip failed (exit {result.returncode}): {tail}")
        return Wheel(wheels[0].name, wheels[0].read_bytes())


def _can_build_offline() -> bool:
    """Whether setuptools can build a wheel here without fetching anything.

    setuptools 70.1 builds wheels itself; older versions need the `wheel` package.
    """
    from importlib.metadata import PackageNotFoundError, version as installed

    try:
        found = installed("setuptools")
    except PackageNotFoundError:
        return False
    version = tuple(int(p) for p in re.findall(r"\d+", found)[:2])
    return version >= (70, 1) or (version >= (64, 0) and importlib.util.find_spec("wheel") is not None)
