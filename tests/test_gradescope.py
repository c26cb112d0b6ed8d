"""Gradescope with no glue: the bundle installs and grades in a simulated /autograder, and a
grade fits the default container (768 MB, half a vCPU, 10 minutes)."""

from __future__ import annotations

import json
import os
import shutil
import site
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from grader.memory import PeakMemory
from tests.conftest import FAST_RUBRIC, REFERENCE

CONTAINER_MB = 768
CONTAINER_CPU = 0.5
CONTAINER_S = 600


def unzip(bundle: Path, dest: Path) -> None:
    with zipfile.ZipFile(bundle) as archive:
        for info in archive.infolist():
            target = Path(archive.extract(info, dest))
            if (info.external_attr >> 16) & stat.S_IXUSR:
                target.chmod(0o755)


def venv_reusing_these_packages(folder: Path) -> None:
    """A fresh virtual environment that sees this one's packages (torch etc.) through a .pth file,
    so the bundle's `pip install --no-deps --ignore-installed` of its wheel runs offline (the
    checkout's own grader is visible there too; the venv's copy from the wheel comes first). What
    it skips: downloading the dependencies, which Gradescope's image does from the package index."""
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True, timeout=300)
    packages = next(folder.glob("lib/python*/site-packages"))
    ours = [p for p in sys.path if p.endswith("site-packages")] + site.getsitepackages()
    (packages / "reuse-test-packages.pth").write_text("\n".join(dict.fromkeys(ours)) + "\n", encoding="utf-8")


def test_the_bundle_installs_and_grades_in_a_simulated_autograder(tmp_path: Path) -> None:
    bundle = tmp_path / "autograder.zip"
    built = subprocess.run([sys.executable, "-m", "grader", "gradescope-bundle", "--out", str(bundle),
                            "--rubric", str(FAST_RUBRIC), "--seed", "4242"],
                           capture_output=True, text=True, timeout=600)  # fmt: skip
    assert built.returncode == 0, built.stderr
    root = tmp_path / "autograder"
    unzip(bundle, root / "source")
    names = sorted(p.name for p in (root / "source").iterdir())
    assert names[:2] == ["cnn_grader-0.1.0-py3-none-any.whl", "rubric.toml"] and names[2:] == ["run_autograder",
                                                                                                 "setup.sh"]
    assert "seed = 4242" in (root / "source" / "rubric.toml").read_text(encoding="utf-8")
    shutil.copytree(REFERENCE, root / "submission", ignore=shutil.ignore_patterns("*.md", "__pycache__"))
    venv = tmp_path / "venv"
    venv_reusing_these_packages(venv)
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path), "CNN_GRADER_VENV": str(venv),
           "CNN_GRADER_CACHE": str(tmp_path / "cache"), "SKIP_APT": "1", "AUTOGRADER_ROOT": str(root),
           "PIP_ARGS": "--no-deps --no-index --ignore-installed"}  # fmt: skip
    # Run from the autograder's folder, as Gradescope does (not from this checkout, whose grader a
    # `python -c` would import first).
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], env=env, capture_output=True, text=True,
                           timeout=900, cwd=root)  # fmt: skip
    assert setup.returncode == 0, setup.stderr + setup.stdout
    installed = subprocess.run([str(venv / "bin" / "python"), "-c", "import grader; print(grader.__file__)"],
                               env=env, capture_output=True, text=True, timeout=300, cwd=root)  # fmt: skip
    assert str(venv) in installed.stdout  # the wheel's grader, not this checkout's
    assert list((tmp_path / "cache" / "plans").glob("*.json")), "setup.sh prepares the plans"
    run = subprocess.run([str(root / "source" / "run_autograder")], env=env, capture_output=True, text=True,
                         timeout=900, cwd=root)  # fmt: skip
    assert run.returncode == 0, run.stderr
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    assert results["score"] == sum(t["max_score"] for t in results["tests"]) == 30
    visibility = {t["name"]: t["visibility"] for t in results["tests"]}
    assert visibility["cnn.matches_reference"] == "visible" and visibility["srnet.psnr"] == "after_due_date"
    assert "sandbox" in results["output"]


def test_the_seed_goes_into_grading_only_and_a_bad_rubric_is_refused(tmp_path: Path) -> None:
    from grader.gradescope_bundle import BundleError, with_seed
    from grader.rubric import default_rubric_text

    text = with_seed(default_rubric_text(), 77)
    assert "seed = 77" in text and "seed = 1 " in text  # [selfcheck] keeps its public seed
    with pytest.raises(BundleError):
        with_seed("[grading]\nthreads = 1\n[selfcheck]\nseed = 1\n", 5)
    bad = tmp_path / "bad.toml"
    bad.write_text("[grading]\nseed = 1\n", encoding="utf-8")
    refused = subprocess.run([sys.executable, "-m", "grader", "gradescope-bundle", "--out", str(tmp_path / "a.zip"),
                              "--rubric", str(bad)], capture_output=True, text=True, timeout=300)  # fmt: skip
    assert refused.returncode == 2 and "Traceback" not in refused.stderr and not (tmp_path / "a.zip").exists()


def _join_cgroups(name: str) -> list[Path]:
    """A memory cgroup of 768 MB and a CPU quota of half a CPU, where this machine lets us
    (root, cgroup v1 or v2 writable); [] elsewhere (the peak is still measured)."""
    made = []
    v1 = {"memory": {"memory.limit_in_bytes": str(CONTAINER_MB << 20)},
          "cpu": {"cpu.cfs_period_us": "100000", "cpu.cfs_quota_us": str(int(100000 * CONTAINER_CPU))}}  # fmt: skip
    for controller, settings in v1.items():
        folder = Path("/sys/fs/cgroup") / controller / name
        try:
            folder.mkdir()
            for key, value in settings.items():
                (folder / key).write_text(value)
            made.append(folder)
        except OSError:
            continue
    return made


@pytest.mark.slow
def test_a_full_grade_fits_gradescopes_default_container(tmp_path: Path) -> None:
    """The default rubric, as run_autograder grades (plans prepared, parts one after another),
    inside a 768 MB memory cgroup with half a CPU where the machine allows it (root, cgroup v1,
    as Docker sets a container's limits): it finishes, in full, with nothing killed, in 10 minutes.
    The process tree's peak PSS is measured and printed (docs/gradescope.md quotes it)."""
    env = {**os.environ, "CNN_GRADER_CACHE": str(tmp_path / "cache")}
    prepare = subprocess.run([sys.executable, "-m", "grader", "prepare", "--device", "cpu"], env=env,
                             capture_output=True, text=True, timeout=600)  # fmt: skip
    assert prepare.returncode == 0, prepare.stderr
    cgroups = _join_cgroups(f"cnn-grader-test-{os.getpid()}")
    memory = next((c for c in cgroups if c.parent.name == "memory"), None)

    def enter() -> None:
        for folder in cgroups:
            (folder / "cgroup.procs").write_text(str(os.getpid()))

    started = time.monotonic()
    try:
        process = subprocess.Popen([sys.executable, "-m", "grader", "grade", str(REFERENCE), "--out",
                                    str(tmp_path / "results"), "--device", "cpu", "--workers", "1", "--quiet"],
                                   env=env, preexec_fn=enter, stdout=subprocess.DEVNULL)  # fmt: skip
        with PeakMemory(process.pid) as peak:
            process.wait(timeout=CONTAINER_S)
        elapsed = time.monotonic() - started
        kills = _oom_kills(memory)
        charged = int((memory / "memory.max_usage_in_bytes").read_text()) >> 20 if memory else None
    finally:
        for folder in cgroups:
            for _ in range(50):
                try:
                    folder.rmdir()
                    break
                except OSError:
                    time.sleep(0.1)
    report = json.loads((tmp_path / "results" / "report.json").read_text(encoding="utf-8"))
    print(f"\npeak of the tree {peak.mb:.0f} MB (PSS {peak.pss_mb:.0f} MB), private per process "
          f"{({k: v >> 20 for k, v in peak.by_process.items()})}; "
          f"cgroup peak charge {charged} MB; {elapsed:.0f} s; cgroups {[str(c) for c in cgroups]}")
    assert process.returncode == 0 and report["score"] == report["max_score"] == 30
    assert [t["name"] for t in report["tests"] if t["status"] != "passed"] == []
    assert kills == 0, "the kernel killed a process of the grade for memory"
    assert elapsed < CONTAINER_S


def _oom_kills(memory: Path | None) -> int:
    if memory is None:
        return 0
    for line in (memory / "memory.oom_control").read_text().splitlines():
        if line.startswith("oom_kill "):
            return int(line.split()[1])
    return 0
