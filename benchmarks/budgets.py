"""How a grade's time grows with the training budgets and the test image size, and what each buys.

    python benchmarks/budgets.py [--submission reference] [--json OUT.json]

For each setting below, the shipped rubric with one value changed: the plans
are prepared first (`cnn-grader prepare`, as a course does once), then
`cnn-grader grade` runs as a whole process, and the table shows its wall
time, the part's own time from report.json, and the CNN's test accuracy or
the SR net's mean PSNR gain over bicubic it reached. Thresholds are those of
the shipped rubric, calibrated for its budgets only (docs/calibration.md):
changing a budget means recalibrating before grading with it.

Run it on an idle machine: every figure is a wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SETTINGS: list[tuple[str, str, Any]] = [  # (check, parameter, value); None: the shipped rubric
    ("", "", None),
    ("cnn.accuracy", "steps", 100),
    ("cnn.accuracy", "steps", 400),
    ("cnn.accuracy", "steps", 938),  # the assignment's "1 epoch" of full MNIST (60,000 / 64)
    ("srnet.psnr", "steps", 750),
    ("srnet.psnr", "steps", 3000),
    ("srnet.psnr", "max_side", 256),
    ("srnet.psnr", "max_side", 1024),
]


def rubric_with(check: str, key: str, value: Any, folder: Path) -> Path:
    """The shipped rubric's text with one parameter of one check replaced."""
    from grader.rubric import default_rubric_text

    lines = default_rubric_text().splitlines()
    if check:
        section = f'[checks."{check}"]'
        start = lines.index(section)
        for index in range(start + 1, len(lines)):
            if lines[index].split("=")[0].strip() == key:
                lines[index] = f"{key} = {value}"  # the line's comment goes with it
                break
        else:
            raise KeyError(f"{check}.{key}")
    path = folder / f"rubric-{check or 'shipped'}-{key}-{value}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def grade_once(submission: Path, rubric: Path, work: Path) -> dict[str, Any]:
    env = {**os.environ, "CNN_GRADER_CACHE": str(work / "cache")}
    cli = [sys.executable, "-m", "grader"]
    subprocess.run([*cli, "prepare", "--rubric", str(rubric), "--device", "cpu"], env=env, check=True,
                   capture_output=True)  # fmt: skip
    out = work / "report"
    started = time.perf_counter()
    subprocess.run([*cli, "grade", str(submission), "--out", str(out), "--rubric", str(rubric), "--device", "cpu",
                    "-q"], env=env, check=True, capture_output=True)  # fmt: skip
    wall = time.perf_counter() - started
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    values = {t["name"]: t.get("value") for t in report["tests"]}
    return {
        "grade_seconds": wall,
        "cnn_seconds": report["timings"].get("part.cnn"),
        "srnet_seconds": report["timings"].get("part.srnet"),
        "accuracy": values.get("cnn.accuracy"),
        "psnr_gain_db": values.get("srnet.psnr"),
        "score": report["score"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submission", type=Path, default=REPO / "reference")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="cnn-grader-budgets-") as scratch:
        for check, key, value in SETTINGS:
            work = Path(scratch) / f"{len(rows)}"
            work.mkdir()
            result = grade_once(args.submission, rubric_with(check, key, value, work), work)
            rows.append({"setting": f"{check} {key} = {value}" if check else "shipped rubric", **result})
            row = rows[-1]
            print(f"{row['setting']:<32} grade {row['grade_seconds']:6.2f} s  cnn {row['cnn_seconds'] or 0:6.2f} s  "
                  f"srnet {row['srnet_seconds'] or 0:6.2f} s  accuracy {row['accuracy']}  "
                  f"PSNR gain {row['psnr_gain_db']} dB  score {row['score']}", flush=True)  # fmt: skip
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
