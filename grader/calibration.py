"""Measure the training checks of known-correct submissions over many seeds,
and say how likely each threshold is to fail a correct submission.

`cnn-grader calibrate reference tests/fixtures/correct/... --seeds 20 --out DIR`
grades each submission once per seed (training parts only, in the sandbox,
exactly as a grade does) and writes `samples.csv` and `summary.md`. The
chance of a false fail is estimated from a normal fit of the observed
values: P(value < threshold) = Phi((threshold - mean) / std). A standard
deviation measured on 20 runs is itself uncertain, so the summary also gives
P with the standard deviation at its upper 95% confidence bound: the
pessimistic column is the one to keep below 1/1000.
"""

from __future__ import annotations

import csv
import math
import statistics
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Sequence

from grader.grading import Session, grade
from grader.rubric import Rubric

METRICS = ("cnn.accuracy", "srnet.psnr")


@dataclass(frozen=True)
class Sample:
    submission: str
    seed: int
    check: str
    value: float


@dataclass(frozen=True)
class Summary:
    submission: str
    check: str
    count: int
    mean: float
    std: float
    minimum: float
    maximum: float
    threshold: float
    fail_probability: float
    pessimistic_fail_probability: float

    @property
    def margin_in_std(self) -> float:
        return (self.mean - self.threshold) / self.std if self.std > 0 else math.inf


def collect(
    submissions: Sequence[Path],
    seeds: Sequence[int],
    session: Session,
    progress: Callable[[Sample], None] | None = None,
    jobs: int = 1,
) -> list[Sample]:
    """Grade every submission with every seed; keep the training checks' measured values.

    `jobs` grades run at once, in threads as `cnn-grader batch` runs them (each grade's
    student code is in its own sandbox); the samples come back in seed, then submission order.
    """
    tasks = [(seed, Path(path)) for seed in seeds for path in submissions]

    def measure(task: tuple[int, Path]) -> list[Sample]:
        seed, path = task
        seeded = replace(session, options=replace(session.options, seed=seed, parts=("cnn", "srnet"), pictures=False))
        report = grade(path, session=seeded)
        found = [Sample(path.name, seed, t.name, math.nan if t.value is None else t.value)
                 for t in report.tests if t.name in METRICS]  # fmt: skip
        for sample in found:
            if progress is not None:
                progress(sample)
        return found

    with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(tasks))), thread_name_prefix="calibrate") as pool:
        return [sample for found in pool.map(measure, tasks) for sample in found]


def summarize(samples: Sequence[Sample], rubric: Rubric) -> list[Summary]:
    summaries = []
    for submission in sorted({s.submission for s in samples}):
        for check in METRICS:
            values = [s.value for s in samples if s.submission == submission and s.check == check]
            if not values:
                continue
            mean = statistics.fmean(values)
            std = statistics.stdev(values) if len(values) > 1 else 0.0
            threshold = float(rubric.spec(check).param("threshold"))
            summaries.append(
                Summary(submission, check, len(values), mean, std, min(values), max(values), threshold,
                        fail_probability(mean, std, threshold),
                        fail_probability(mean, std_upper_bound(std, len(values)), threshold))  # fmt: skip
            )
    return summaries


def fail_probability(mean: float, std: float, threshold: float) -> float:
    """P(X < threshold) for X ~ N(mean, std^2); a NaN mean means always failing.

    >>> round(fail_probability(0.0, 1.0, -3.09), 4)
    0.001
    """
    if math.isnan(mean):
        return 1.0
    if std == 0:
        return 0.0 if mean >= threshold else 1.0
    return 0.5 * math.erfc((mean - threshold) / (std * math.sqrt(2)))


def std_upper_bound(std: float, count: int, confidence: float = 0.95) -> float:
    """The upper `confidence` bound of a normal population's standard deviation, from a sample's.

    sigma <= s * sqrt((n - 1) / chi2_{1 - confidence}(n - 1)), with the chi-square
    quantile from the Wilson-Hilferty approximation (within 2% for n >= 5).

    >>> round(std_upper_bound(1.0, 20), 2)
    1.37
    """
    if count < 2:
        return math.inf
    k = count - 1
    z = statistics.NormalDist().inv_cdf(1.0 - confidence)
    quantile = k * (1.0 - 2.0 / (9.0 * k) + z * math.sqrt(2.0 / (9.0 * k))) ** 3
    return std * math.sqrt(k / quantile)


def write_samples(samples: Sequence[Sample], path: Path) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["submission", "seed", "check", "value"])
        for s in samples:
            writer.writerow([s.submission, s.seed, s.check, f"{s.value:.6f}"])
    return path


def read_samples(path: Path) -> list[Sample]:
    """The samples a calibration wrote, e.g. to summarise them against another rubric."""
    with open(path, newline="", encoding="utf-8") as handle:
        return [Sample(row["submission"], int(row["seed"]), row["check"], float(row["value"]))
                for row in csv.DictReader(handle)]  # fmt: skip


def render_summary(summaries: Sequence[Summary]) -> str:
    lines = [
        "| submission | check | runs | mean | std | min | max | threshold | margin (std) | P(false fail) "
        "| P, pessimistic |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in summaries:
        lines.append(
            f"| {s.submission} | `{s.check}` | {s.count} | {s.mean:.4f} | {s.std:.4f} | {s.minimum:.4f} | "
            f"{s.maximum:.4f} | {s.threshold:.4f} | {s.margin_in_std:.1f} | {s.fail_probability:.1e} | "
            f"{s.pessimistic_fail_probability:.1e} |"
        )
    return "\n".join(lines) + "\n"
