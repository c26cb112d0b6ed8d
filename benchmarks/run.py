"""The performance figures of issue 12, measured side by side in one run on this machine.

    python benchmarks/run.py [--quick] [--json OUT.json] [--repeats N] [--submission DIR] [--rubric FILE] [--cuda-only]

Every figure is a median of `--repeats` fresh processes (3; `--quick`: 1, and the
training comparisons on a tenth of the steps), so that the ratios compare
things measured minutes apart on the same machine:

- `grade_seconds`: `cnn-grader grade SUBMISSION` as a whole process, with the
  course's plans already prepared (the first grade of a course prepares them:
  `grade_cold_seconds`), and its `phases` from report.json;
- `floor_seconds`: the FLOPs of the two trainings (forward and backward,
  counted on the reference's models) at the 2-thread matmul rate, plus
  `torch_import_seconds` (a fresh process that imports torch); and
  `grade_over_floor` (target <= 1.4);
- `check_seconds` (`cnn-grader check`, plans prepared; the first one:
  `check_cold_seconds`) and `check_over_torch_import` (target <= 1.5), the
  median check over the median `import torch` timed alternately with it
  (`check_torch_import_seconds`; at least 5 of each, two seconds apiece): the
  machine's speed drifts between figures taken a minute apart;
- `flop_fraction_of_matmul_peak`: the lower of the two trainings' FLOP rates
  (the grader's own loops, at the rubric's thread count) over a 2048^2 float32
  matmul's rate at that thread count (target >= 0.6);
- `mnist_speedup_vs_seed_loop` (target >= 1.3) and
  `sr_speedup_vs_examples_pipeline` (target >= 3): the grader's loops against
  the pipelines of `benchmarks/baselines.py`, same model, same steps;
- `accuracy` and `psnr_gain_db` the graded submission reached, and
  `peak_memory_mb` of the grade's process tree;
- where torch sees a GPU, `cuda`: the same grade with `--device cuda` (times,
  phases, score, accuracy, PSNR gain) and both trainings on the GPU against
  their baselines on the GPU (`--cuda-only` measures this line alone).

Run it on an idle machine: every figure is a wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
IMPORT_TORCH = [sys.executable, "-c", "import torch"]  # the floor of every command that grades
TARGETS = {  # key -> (comparison, bound) from issue 12
    "grade_over_floor": ("<=", 1.4),
    "check_over_torch_import": ("<=", 1.5),
    "flop_fraction_of_matmul_peak": (">=", 0.6),
    "mnist_speedup_vs_seed_loop": (">=", 1.3),
    "sr_speedup_vs_examples_pipeline": (">=", 3.0),
}


def timed(command: list[str], env: dict[str, str] | None = None) -> float:
    """Wall seconds of a process, start to exit; raises if it fails."""
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}: {done.stderr[-2000:]}")
    return seconds


def json_of(command: list[str]) -> dict[str, Any]:
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "grader", *args]


def grade_runs(submission: Path, rubric: Path | None, repeats: int, work: Path, device: str = "cpu") -> dict[str, Any]:
    """The first grade (it prepares the plans), then `repeats` grades as a course's later ones run."""
    env = {**os.environ, "CNN_GRADER_CACHE": str(work / f"cache-{device}")}
    extra = ["--rubric", str(rubric)] if rubric else []
    command = cli("grade", str(submission), "--out", str(work / "report"), "--device", device, "-q", *extra)
    cold = timed(command, env)
    walls, reports = [], []
    for _ in range(repeats):
        walls.append(timed(command, env))
        reports.append(json.loads((work / "report" / "report.json").read_text(encoding="utf-8")))
    # The memory is sampled in a run of its own: reading every process's smaps every 20 ms costs
    # the grade a few seconds of CPU, which the timed runs must not pay.
    _, peak = _with_peak_memory(command, env)
    phases = {key: median([r["timings"].get(key, 0.0) for r in reports]) for key in reports[-1]["timings"]}
    values = {t["name"]: t.get("value") for t in reports[-1]["tests"]}
    return {
        "grade_seconds": median(walls),
        "grade_cold_seconds": cold,
        "phases": phases,
        "score": reports[-1]["score"],
        "max_score": reports[-1]["max_score"],
        "accuracy": values.get("cnn.accuracy"),
        "psnr_gain_db": values.get("srnet.psnr"),
        "peak_memory_mb": peak,
    }


def _with_peak_memory(command: list[str], env: dict[str, str]) -> tuple[float, float | None]:
    """Wall seconds, and the process tree's peak memory in MB where `grader.memory` measures it."""
    try:
        from grader.memory import PeakMemory  # issue 14's sampler of a process tree
    except ImportError:
        return timed(command, env), None
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with PeakMemory(process.pid) as peak:
        _, err = process.communicate()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {process.returncode}: {err.decode()[-2000:]}")
    return seconds, peak.mb


def check_runs(submission: Path, repeats: int, work: Path) -> dict[str, float]:
    """`check`, and `import torch` in turn with it: the ratio's two sides under the same conditions."""
    env = {**os.environ, "CNN_GRADER_CACHE": str(work / "check-cache")}
    command = cli("check", str(submission), "-q")
    cold = timed(command, env)
    checks, imports = [], []
    for _ in range(max(repeats, 5)):
        imports.append(timed(IMPORT_TORCH))
        checks.append(timed(command, env))
    return {"check_seconds": median(checks), "check_cold_seconds": cold, "check_torch_import_seconds": median(imports)}


def torch_import(repeats: int) -> float:
    return median([timed(IMPORT_TORCH) for _ in range(repeats)])


def cuda_available() -> bool:
    done = subprocess.run([sys.executable, "-c", "import torch; print(torch.cuda.is_available())"],
                          capture_output=True, text=True)  # fmt: skip
    return done.stdout.strip() == "True"


def measure(args: argparse.Namespace) -> dict[str, Any]:
    from grader.rubric import load_rubric

    rubric = load_rubric(args.rubric)
    repeats = 1 if args.quick and args.repeats is None else (args.repeats or 3)
    fraction = 0.1 if args.quick else 1.0
    speed_script = [sys.executable, str(HERE / "training_speed.py"), "--threads", str(rubric.threads),
                    "--steps-fraction", str(fraction), "--repeats", str(repeats),
                    *(["--rubric", str(args.rubric)] if args.rubric else [])]  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="cnn-grader-bench-") as scratch:
        work = Path(scratch)
        results: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "threads_per_part": rubric.threads},
                                   "repeats": repeats, "quick": bool(args.quick)}  # fmt: skip
        results["torch_import_seconds"] = torch_import(max(repeats, 3))
        if not args.cuda_only:
            results.update(cpu_figures(args, rubric, repeats, work, speed_script, results["torch_import_seconds"]))
        if cuda_available():
            results["cuda"] = cuda_figures(args, repeats, work, speed_script)
        elif args.cuda_only:
            raise SystemExit("--cuda-only: torch sees no CUDA device here")
    return results


def cpu_figures(args: argparse.Namespace, rubric: Any, repeats: int, work: Path, speed_script: list[str],
                torch_import_seconds: float) -> dict[str, Any]:  # fmt: skip
    results = grade_runs(args.submission, args.rubric, repeats, work)
    results.update(check_runs(args.submission, repeats, work))
    # The trainings' FLOPs are those of the rubric's full budgets, whatever fraction is timed.
    speed = json_of(speed_script)
    two = json_of([sys.executable, str(HERE / "training_speed.py"), "--threads", "2", "--matmul-only"])
    cnn_spec, sr_spec = rubric.spec("cnn.accuracy"), rubric.spec("srnet.psnr")
    flops = {
        "cnn": speed["cnn"]["step_flops"] * cnn_spec.param("steps"),
        "srnet": speed["srnet"]["step_flops"] * sr_spec.param("steps"),
    }
    rate = speed["matmul_flops_per_s"]
    fractions = {part: speed[part]["step_flops"] * speed[part]["steps"] / speed[part]["seconds"] / rate
                 for part in ("cnn", "srnet")}  # fmt: skip
    floor = sum(flops.values()) / two["matmul_flops_per_s"] + torch_import_seconds
    results.update(
        floor_seconds=floor,
        grade_over_floor=results["grade_seconds"] / floor,
        check_over_torch_import=results["check_seconds"] / results["check_torch_import_seconds"],
        flop_fraction_of_matmul_peak=min(fractions.values()),
        mnist_speedup_vs_seed_loop=speed["cnn"]["baseline_seconds"] / speed["cnn"]["seconds"],
        sr_speedup_vs_examples_pipeline=speed["srnet"]["baseline_seconds"] / speed["srnet"]["seconds"],
        training={
            part: {**speed[part], "budget_flops": flops[part], "flop_fraction": fractions[part]}
            for part in ("cnn", "srnet")
        },
        matmul_flops_per_s={str(rubric.threads): rate, "2": two["matmul_flops_per_s"]},
    )
    return results


def cuda_figures(args: argparse.Namespace, repeats: int, work: Path, speed_script: list[str]) -> dict[str, Any]:
    """The GPU line: a whole grade with `--device cuda`, and both trainings on the GPU against their baselines there."""
    results = grade_runs(args.submission, args.rubric, repeats, work, "cuda")
    on_gpu = json_of([*speed_script, "--device", "cuda"])
    results.update(
        mnist_speedup_vs_seed_loop=on_gpu["cnn"]["baseline_seconds"] / on_gpu["cnn"]["seconds"],
        sr_speedup_vs_examples_pipeline=on_gpu["srnet"]["baseline_seconds"] / on_gpu["srnet"]["seconds"],
        training={part: on_gpu[part] for part in ("cnn", "srnet")},
        matmul_flops_per_s=on_gpu["matmul_flops_per_s"],
    )
    return results


def table(results: dict[str, Any]) -> str:
    lines = [f"{'figure':<34} {'value':>10}  target"]
    keys = ("grade_seconds", "grade_cold_seconds", "floor_seconds", "grade_over_floor", "torch_import_seconds",
            "check_seconds", "check_cold_seconds", "check_torch_import_seconds", "check_over_torch_import",
            "flop_fraction_of_matmul_peak", "mnist_speedup_vs_seed_loop", "sr_speedup_vs_examples_pipeline",
            "accuracy", "psnr_gain_db", "peak_memory_mb")  # fmt: skip
    for key in keys if "grade_seconds" in results else ("torch_import_seconds",):
        value = results.get(key)
        shown = "n/a" if value is None else f"{value:10.3f}"
        target = " ".join(map(str, TARGETS[key])) if key in TARGETS else ""
        met = "" if key not in TARGETS or value is None else (
            "  ok" if (value <= TARGETS[key][1] if TARGETS[key][0] == "<=" else value >= TARGETS[key][1]) else "  MISSED")
        lines.append(f"{key:<34} {shown:>10}  {target}{met}")
    lines.append("phases of the grade (s): " + ", ".join(f"{k} {v:.2f}" for k, v in results.get("phases", {}).items()))
    for part, figures in results.get("training", {}).items():
        lines.append(f"{part} training: {figures['steps']} steps in {figures['seconds']:.2f} s "
                     f"({figures['flop_fraction']:.2f} of the matmul rate); baseline {figures['baseline_seconds']:.2f} s")  # fmt: skip
    if "cuda" in results:
        cuda = results["cuda"]
        lines.append(f"cuda: grade {cuda['grade_seconds']:.2f} s (first {cuda['grade_cold_seconds']:.2f} s), "
                     f"score {cuda['score']:g} / {cuda['max_score']:g}, accuracy {cuda['accuracy']}, "
                     f"PSNR gain {cuda['psnr_gain_db']} dB")  # fmt: skip
        lines.append("cuda phases (s): " + ", ".join(f"{k} {v:.2f}" for k, v in cuda["phases"].items()))
        for part, figures in cuda["training"].items():
            lines.append(f"cuda {part} training: {figures['steps']} steps in {figures['seconds']:.2f} s; "
                         f"baseline {figures['baseline_seconds']:.2f} s")  # fmt: skip
        lines.append(f"cuda speedups: mnist {cuda['mnist_speedup_vs_seed_loop']:.2f}, "
                     f"sr {cuda['sr_speedup_vs_examples_pipeline']:.2f}")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="One run of each, training comparisons on 10%% of the steps.")
    parser.add_argument("--json", type=Path, default=None, help="Write every figure to this file.")
    parser.add_argument("--repeats", type=int, default=None, help="Runs per figure (default 3; --quick: 1).")
    parser.add_argument("--submission", type=Path, default=REPO / "reference")
    parser.add_argument("--rubric", type=Path, default=None)
    parser.add_argument("--cuda-only", action="store_true", help="Only the GPU line (and the torch import).")
    args = parser.parse_args()
    results = measure(args)
    print(table(results))
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
