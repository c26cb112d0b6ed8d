"""Batch throughput, side by side in one run: the same submissions at `--jobs 1`,
`--jobs 2` and on a Dask LocalCluster with 2 workers; the cost per submission
outside training; the peak memory of one grade as Gradescope runs it.

    python benchmarks/batch_throughput.py [--submissions 8] [--rubric FILE] [--out benchmarks/out]

The class is the reference and the correct variants of tests/fixtures/correct
(different code, same scores), repeated up to `--submissions`. Plans are
prepared once before the timed runs (they are cached per course), so each
run measures grading. Prints submissions per hour for each setting, the
ratio of `--jobs 2` to `--jobs 1`, the projection for 300 submissions on one
16-core node, and `peak_memory_mb`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grader.batch import grade_batch
from grader.grading import open_session, prepare_plans
from grader.memory import PeakMemory
from grader.options import GradeOptions, cpu_count
from grader.rubric import load_rubric, rubric_from_dict, tomllib

REPO = Path(__file__).resolve().parents[1]
CORRECT = REPO / "tests" / "fixtures" / "correct"


def make_class(folder: Path, count: int) -> Path:
    sources = [REPO / "reference", *sorted(p for p in CORRECT.iterdir() if p.is_dir())]
    for i in range(count):
        source, target = sources[i % len(sources)], folder / f"student{i:02d}"
        shutil.copytree(REPO / "reference", target, ignore=shutil.ignore_patterns("*.md", "__pycache__"))
        for file in source.glob("*.py"):
            shutil.copy(file, target / file.name)
    return folder


def timed_batch(course: Path, out: Path, session, **kwargs) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    grade_batch(course, out, session, **kwargs)
    return time.perf_counter() - started


def no_training(rubric_path: Path | None):  # type: ignore[no-untyped-def]
    """The same rubric with one training step per training check: what a grade costs besides training."""
    text = (rubric_path.read_text(encoding="utf-8") if rubric_path else
            (REPO / "grader" / "rubric.toml").read_text(encoding="utf-8"))  # fmt: skip
    doc = tomllib.loads(text)
    for name in ("cnn.accuracy", "srnet.psnr", "pixel_shuffle.retrain_identical"):
        doc["checks"][name]["steps"] = 1
    return rubric_from_dict(doc, "no-training")


def peak_of_one_grade(cache: Path, rubric_path: Path | None) -> float:
    """One grade as run_autograder runs it (plans prepared, parts one after another), measured."""
    env = {**os.environ, "CNN_GRADER_CACHE": str(cache)}
    rubric = ["--rubric", str(rubric_path)] if rubric_path else []
    with tempfile.TemporaryDirectory() as out:
        process = subprocess.Popen([sys.executable, "-m", "grader", "grade", str(REPO / "reference"), "--out", out,
                                    "--device", "cpu", "--workers", "1", "--quiet", *rubric],
                                   env=env, stdout=subprocess.DEVNULL)  # fmt: skip
        with PeakMemory(process.pid) as peak:
            process.wait()
    print(f"  one grade: peak {peak.mb:.0f} MB (private pages of each process + shared ones once; "
          f"PSS {peak.pss_mb:.0f} MB); private at the peak:",
          {name: f"{size >> 20} MB" for name, size in peak.by_process.items()})  # fmt: skip
    return peak.mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=8)
    parser.add_argument("--rubric", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "out" / "batch")
    args = parser.parse_args()
    cache = Path(tempfile.mkdtemp(prefix="cnn-grader-bench-cache-"))
    os.environ["CNN_GRADER_CACHE"] = str(cache)  # the Dask workers inherit it: plans prepared once
    shutil.rmtree(args.out, ignore_errors=True)
    course = make_class(args.out / "course", args.submissions)
    rubric = load_rubric(args.rubric)
    session = open_session(GradeOptions(device="cpu"), rubric)
    started = time.perf_counter()
    prepare_plans(session)
    print(f"plans prepared once in {time.perf_counter() - started:.1f} s (cached for later runs)")

    n = args.submissions
    runs = {
        "--jobs 1": timed_batch(course, args.out / "jobs1", session, jobs=1),
        "--jobs 2": timed_batch(course, args.out / "jobs2", session, jobs=2),
        "LocalCluster, 2 workers": timed_batch(course, args.out / "dask2", session, jobs=2, scheduler="local"),
    }
    light = open_session(GradeOptions(device="cpu"), no_training(args.rubric))
    prepare_plans(light)
    overhead = timed_batch(course, args.out / "overhead", light, jobs=1) / n
    peak = peak_of_one_grade(cache, args.rubric)

    print(f"\n{n} submissions, {cpu_count()} CPUs, rubric {rubric.source}, threads per child {rubric.threads}")
    for name, seconds in runs.items():
        print(f"  {name:<26} {seconds:7.1f} s   {3600 * n / seconds:6.0f} submissions/hour")
    ratio = runs["--jobs 1"] / runs["--jobs 2"]
    print(f"  --jobs 2 / --jobs 1: {ratio:.2f} x")
    print(f"  per submission outside training (1 step per training check, --jobs 1): {overhead:.1f} s")
    per_core_hour = 3600 * n / runs["--jobs 2"] / min(2, cpu_count())
    hours = 300 / (per_core_hour * 16)
    print(f"  projection, 300 submissions on one 16-core node (--jobs 16, linear in cores): "
          f"{hours * 60:.0f} min ({per_core_hour * 16:.0f}/hour)")
    print(f"  peak_memory_mb (one grade, parts one after another, plans prepared): {peak:.0f}")
    (args.out / "results.json").write_text(json.dumps({
        "submissions": n, "cpus": cpu_count(), "seconds": runs, "jobs2_over_jobs1": round(ratio, 3),
        "overhead_s": round(overhead, 2), "projection_300_on_16_cores_min": round(hours * 60, 1),
        "peak_memory_mb": round(peak),
    }, indent=2) + "\n")  # fmt: skip
    shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
