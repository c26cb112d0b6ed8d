"""`cnn-grader gradescope-bundle`: the autograder zip that Gradescope builds its image from.

The zip holds `setup.sh` (installs bubblewrap and the grader, from the wheel
inside the zip, into its own virtual environment, then prepares the course's
plans), `run_autograder` (grades `/autograder/submission` into
`/autograder/results`), the course's rubric with its seed, and the wheel.

It is made to fit Gradescope's default container (768 MB, half a vCPU, 10
minutes): the parts of a grade run one after another (`--workers 1`), and
the plans are prepared when the image is built, so the grading process never
loads torch; only the sandbox does, once. docs/gradescope.md has the figures.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import grader
from grader.rubric import default_rubric_text, load_rubric

VENV = "/opt/cnn-grader"
# Outside the virtual environment: the sandbox can read the environment, never this folder.
CACHE = "/autograder/cnn-grader-cache"
PUBLIC_SEED = 20261125  # the shipped rubric's seed, public with the grader

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
# CNN_GRADER_VENV, CNN_GRADER_CACHE, SKIP_APT and PIP_ARGS exist for testing the bundle elsewhere.
set -euo pipefail
SOURCE="$(cd "$(dirname "$0")" && pwd)"
VENV="${{CNN_GRADER_VENV:-{venv}}}"
export CNN_GRADER_CACHE="${{CNN_GRADER_CACHE:-{cache}}}"
if [ -z "${{SKIP_APT:-}}" ]; then
    apt-get update -qq
    # bubblewrap hides the grader's files from student code; python3-venv for the environment.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap python3 python3-pip python3-venv
fi
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet ${{PIP_ARGS:-}} "$SOURCE"/{wheel}
# The plans (inputs, expected answers) depend only on the rubric and its seed: prepared now,
# a grade only reads them, and its process never loads torch (memory: docs/gradescope.md).
"$VENV/bin/cnn-grader" prepare --rubric "$SOURCE/rubric.toml" --device cpu
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission; it reads results/results.json.
# AUTOGRADER_ROOT, CNN_GRADER_VENV and CNN_GRADER_CACHE exist for testing the bundle elsewhere.
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
VENV="${{CNN_GRADER_VENV:-{venv}}}"
export CNN_GRADER_CACHE="${{CNN_GRADER_CACHE:-{cache}}}"
mkdir -p "$ROOT/results"
# Parts one after another: the default container has 768 MB and half a CPU.
"$VENV/bin/cnn-grader" grade "$ROOT/submission" --out "$ROOT/results" --rubric "$ROOT/source/rubric.toml" \\
    --device cpu --workers 1 --quiet
status=$?
if [ ! -s "$ROOT/results/results.json" ]; then
    # The grader writes a report whatever the submission does; this covers a broken image.
    printf '{{"score": 0, "output": "The autograder failed (exit status %s); please tell your instructor.", "tests": []}}\\n' \\
        "$status" > "$ROOT/results/results.json"
fi
exit 0
"""


class BundleError(ValueError):
    """The bundle cannot be built; the message says why and what to do."""


def build_bundle(out: Path, rubric_path: Path | None = None, seed: int | None = None,
                 wheel: Path | None = None) -> tuple[Path, str]:  # fmt: skip
    """Write the autograder zip to `out`; return it and a warning ('' if none).

    The rubric is validated first; `seed` replaces its `[grading] seed`.
    """
    text = default_rubric_text() if rubric_path is None else Path(rubric_path).read_text(encoding="utf-8")
    if seed is not None:
        text = with_seed(text, seed)
    with tempfile.TemporaryDirectory() as scratch:
        checked = Path(scratch) / "rubric.toml"
        checked.write_text(text, encoding="utf-8")
        rubric = load_rubric(checked)  # RubricError for a bad one, before anything is built
        wheel = wheel or build_wheel(Path(scratch))
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bundle:
            _add(bundle, "setup.sh", SETUP_SH.format(venv=VENV, cache=CACHE, wheel=wheel.name))
            _add(bundle, "run_autograder", RUN_AUTOGRADER.format(venv=VENV, cache=CACHE))
            _add(bundle, "rubric.toml", text, executable=False)
            bundle.write(wheel, wheel.name)
    warning = ""
    if rubric.seed == PUBLIC_SEED:
        warning = ("the rubric's seed is the shipped, public one: students could compute the hidden inputs. "
                   "Pass --seed N (keep N secret) or a rubric with your own seed.")  # fmt: skip
    return out, warning


def with_seed(text: str, seed: int) -> str:
    """The rubric's text with `[grading] seed` replaced, comments and layout kept.

    >>> with_seed("[selfcheck]\\nseed = 1\\n[grading]\\nseed = 5  # secret\\n", 42)
    '[selfcheck]\\nseed = 1\\n[grading]\\nseed = 42  # secret\\n'
    """
    section = re.search(r"(?m)^\s*\[grading\]\s*$", text)
    found = re.compile(r"(?m)^(\s*seed\s*=\s*)-?\d+").search(text, section.end()) if section else None
    following = re.compile(r"(?m)^\s*\[").search(text, section.end()) if section else None
    if found is None or (following is not None and found.start() > following.start()):
        raise BundleError("the rubric has no `seed = N` line in [grading] to replace")
    return f"{text[:found.start()]}{found.group(1)}{seed}{text[found.end():]}"


def _add(bundle: zipfile.ZipFile, name: str, text: str, executable: bool = True) -> None:
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    bundle.writestr(info, text)


def build_wheel(dest: Path) -> Path:
    """A wheel of this grader, built with pip from a copy of its source tree (the tree stays
    clean; offline: no build isolation, the setuptools at hand)."""
    source = Path(grader.__file__).resolve().parent.parent
    if not (source / "pyproject.toml").is_file():
        raise BundleError("this grader was not installed from a source tree: pass --wheel with the wheel "
                          f"of cnn-grader {grader.__version__} to put in the bundle")  # fmt: skip
    project = dest / "source"
    shutil.copytree(source / "grader", project / "grader", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (source / name).is_file():
            shutil.copy(source / name, project / name)
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(dest), str(project)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    wheels = sorted(dest.glob("cnn_grader-*.whl"))
    if result.returncode != 0 or not wheels:
        raise BundleError(f"building the wheel failed: {result.stderr.strip()[-800:]}")
    return wheels[-1]
