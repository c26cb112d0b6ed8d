"""Write `grader/data/loss_bands.json`: the loss band of the reference's training runs.

    python -m grader.visuals.reference_runs --seeds 10

For each training budget (the shipped rubric, the test rubric, the
self-check's short runs) and each seed, the reference solution's part is
planned and trained exactly as a grade plans and trains a submission (same
batches, same seeds), here in this process: it is the instructor's code,
not a submission. Per step, the lowest and highest loss over the seeds
make the band the report draws behind a student's curve.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from grader.rubric import Rubric, load_rubric

REPO = Path(__file__).resolve().parents[2]
PARTS = ("cnn", "srnet")
TRAIN_CHECKS = {"cnn": "cnn.accuracy", "srnet": "srnet.psnr"}


def reference_losses(rubric: Rubric, part: str, seed: int, reference: Path) -> tuple[str, int, float, list[float]]:
    """(data source, steps, lr, losses) of the reference's part trained with `rubric` and `seed`."""
    from grader.data.cache import DataCache
    from grader.grading import PLANNERS
    from grader.parts.context import PlanContext
    from grader.parts.source import PartSource
    from grader.probes import probes_for
    from grader.probes.common import ProbeContext
    from grader.sandbox.feed import group_inputs

    planner = PLANNERS[part]
    ctx = PlanContext(rubric, "cpu", seed, _data(), {}, frozenset({"import", "train"}))
    folder = Path(tempfile.mkdtemp(prefix="cnn-grader-band-"))
    try:
        shutil.copy(reference / planner.MODULE, folder / planner.MODULE)
        plan = planner.plan(ctx, PartSource(planner.MODULE, folder / planner.MODULE))
        inputs = group_inputs(plan.inputs, planner.input_readers, plan.job.probes)
        probes = probes_for(part)
        context = ProbeContext(job=plan.job, inputs=inputs["import"], scratch=folder)
        probes["import"](context)
        context.inputs = inputs["train"]
        losses = list(probes["train"](context).losses)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return plan.data_source, plan.steps, float(plan.job.config["lr"]), losses


_DATA: list[Any] = []


def _data() -> Any:
    from grader.data.cache import DataCache

    if not _DATA:
        _DATA.append(DataCache())
    return _DATA[0]


def budgets() -> dict[str, Rubric]:
    """The rubrics whose training budgets get a band."""
    from grader.rubric import rubric_from_dict, tomllib
    from grader.selfcheck import public_rubric

    shipped = load_rubric()
    fast_path = REPO / "tests" / "rubrics" / "fast.toml"
    found = {"shipped rubric": shipped, "self-check": public_rubric(shipped)}
    if fast_path.is_file():
        fast = rubric_from_dict(tomllib.loads(fast_path.read_text(encoding="utf-8")), str(fast_path))
        found["test rubric"] = fast
    return found


def main(argv: list[str] | None = None) -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--reference", type=Path, default=REPO / "reference")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "data" / "loss_bands.json")
    args = parser.parse_args(argv)
    torch.set_num_threads(load_rubric().threads)
    bands, seen = [], set()
    for name, rubric in budgets().items():
        for part in PARTS:
            spec = rubric.spec(TRAIN_CHECKS[part])
            key = (part, tuple(sorted((k, str(v)) for k, v in spec.params.items())))
            if key in seen:
                continue
            seen.add(key)
            runs, started = [], time.monotonic()
            for seed in range(args.seeds):
                source, steps, lr, losses = reference_losses(rubric, part, seed, args.reference)
                runs.append(losses)
            print(f"{name} {part}: {args.seeds} runs of {steps} steps in {time.monotonic() - started:.0f} s")
            bands.append({
                "part": part, "steps": steps, "lr": lr, "data": source, "budget": name, "runs": len(runs),
                "source": f"seeds 0-{args.seeds - 1}",
                "low": [float(f"{min(step):.4g}") for step in zip(*runs)],
                "high": [float(f"{max(step):.4g}") for step in zip(*runs)],
            })  # fmt: skip
    doc = {"about": "per training step, the lowest and highest loss of the reference over seeds; "
                    "written by python -m grader.visuals.reference_runs", "bands": bands}  # fmt: skip
    args.out.write_text(json.dumps(doc, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
