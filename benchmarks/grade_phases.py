"""Time one full default grade of the reference, phase by phase, next to the
same training budgets run bare in this process (no sandbox, no checks).

    python benchmarks/grade_phases.py [--submission reference] [--rubric FILE]

Prints the grade's phases (staging, planning per part, the sandbox and each
part's child, scoring: `score.PART` includes the parent's evaluation of the
trained weights and its replay of the training run), the bare training times,
and their ratios: what the isolation, the extra checks and the parent's oracle
cost on top of training.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path
from types import ModuleType

import torch

from grader.grading import grade, open_session
from grader.options import GradeOptions
from grader.rubric import Rubric, load_rubric
from grader.training import (
    epoch_order,
    predict_classifier,
    seed_everything,
    train_classifier,
    train_superres,
    upscale_images,
)

REPO = Path(__file__).resolve().parents[1]


def load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bare_training(submission: Path, rubric: Rubric, session_data) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """The training checks' budgets, run directly on the submission's classes."""
    torch.set_num_threads(rubric.threads)
    times = {}
    cnn_spec, sr_spec = rubric.spec("cnn.accuracy"), rubric.spec("srnet.psnr")
    digits = session_data.digits
    started = time.perf_counter()
    seed_everything(0)
    model = load(submission / "cnn.py").CNN()
    order = epoch_order(len(digits.train_images), cnn_spec.param("steps"), cnn_spec.param("batch_size"), 0)
    train_classifier(model, digits.train_images, digits.train_labels, order, cnn_spec.param("lr"), "cpu")
    predict_classifier(model, digits.test_images, "cpu")
    times["cnn training"] = time.perf_counter() - started
    factor = sr_spec.param("factor")
    bank = session_data.patch_bank(factor, sr_spec.param("patch"), sr_spec.param("bank_size"), sr_spec.param("min_std"), 0)
    tests = session_data.test_images(factor, sr_spec.param("max_side"))
    started = time.perf_counter()
    seed_everything(0)
    net = load(submission / "srnet.py").SuperResolutionNet(factor)
    order = epoch_order(len(bank.low), sr_spec.param("steps"), sr_spec.param("batch_size"), 0)
    train_superres(net, bank.low, bank.high, order, sr_spec.param("lr"), "cpu")
    upscale_images(net, [t.low for t in tests], "cpu")
    times["srnet training"] = time.perf_counter() - started
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submission", type=Path, default=REPO / "reference")
    parser.add_argument("--rubric", type=Path, default=None)
    args = parser.parse_args()
    rubric = load_rubric(args.rubric)
    session = open_session(GradeOptions(device="cpu"), rubric)
    session.data.digits, session.data.photos  # loaded once, outside both timings

    started = time.perf_counter()
    report = grade(args.submission, session=session)
    wall = time.perf_counter() - started
    print(f"grade of {args.submission.name}: {report.score:g} / {report.max_score:g} in {wall:.1f} s "
          f"({session.workers} part processes at once, {rubric.threads} torch thread each)")
    for phase, seconds in report.timings.items():
        print(f"  {phase:<22} {seconds:7.2f} s")

    bare = bare_training(args.submission, rubric, session.data)
    for phase, seconds in bare.items():
        print(f"bare {phase:<17} {seconds:7.2f} s")
    sequential = sum(bare.values())
    print(f"ratio grade / bare training (sequential): {wall / sequential:.2f}")
    print(f"ratio grade / bare training (longest part, as run in parallel): {wall / max(bare.values()):.2f}")
    assessed = sum(seconds for phase, seconds in report.timings.items() if phase.startswith("score."))
    print(f"ratio parent's evaluation and replay of the trained weights / bare training (sequential): "
          f"{assessed / sequential:.2f}")
    sys.exit(0 if report.score == report.max_score else 1)


if __name__ == "__main__":
    main()
