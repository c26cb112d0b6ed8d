"""The calibration statistics, and the committed calibration data against the shipped rubric."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

from grader.calibration import (
    METRICS,
    Sample,
    fail_probability,
    read_samples,
    render_summary,
    std_upper_bound,
    summarize,
    write_samples,
)
from grader.rubric import Rubric, load_rubric
from tests.conftest import CORRECT, FAST_RUBRIC, REFERENCE, REPO

DOCS = REPO / "docs" / "calibration"
FALSE_FAIL_LIMIT = 1e-3


def test_fail_probability_of_a_normal_fit() -> None:
    assert fail_probability(0.0, 1.0, 0.0) == pytest.approx(0.5)
    assert fail_probability(3.09, 1.0, 0.0) == pytest.approx(1e-3, rel=0.01)
    assert fail_probability(1.0, 0.0, 0.5) == 0.0 and fail_probability(0.4, 0.0, 0.5) == 1.0
    assert fail_probability(math.nan, 1.0, 0.0) == 1.0


def test_std_upper_bound_matches_the_chi_square_bound() -> None:
    # sqrt(19 / chi2_0.05(19)) = sqrt(19 / 10.117) = 1.3704
    assert std_upper_bound(2.0, 20) == pytest.approx(2.0 * 1.3704, rel=2e-3)
    assert std_upper_bound(1.0, 100) < std_upper_bound(1.0, 20) < std_upper_bound(1.0, 5)


def test_samples_round_trip_and_summary(tmp_path: Path) -> None:
    samples = [Sample("ref", seed, "cnn.accuracy", 0.94 + 0.001 * seed) for seed in range(5)]
    path = write_samples(samples, tmp_path / "samples.csv")
    assert read_samples(path) == samples
    (summary,) = summarize(samples, load_rubric())
    assert summary.count == 5 and summary.mean == pytest.approx(0.942)
    assert summary.pessimistic_fail_probability >= summary.fail_probability
    assert "| ref | `cnn.accuracy` | 5 |" in render_summary([summary])


def calibrated(folder: Path, rubric: Rubric) -> list:
    samples = read_samples(folder / "samples.csv")
    names = {s.submission for s in samples}
    assert names == {"reference"} | {p.name for p in CORRECT.iterdir()}, "calibrate every correct variant"
    return summarize(samples, rubric)


@pytest.mark.parametrize(
    ("folder", "rubric", "seeds"),
    [(DOCS, load_rubric(), 20), (DOCS / "fast", load_rubric(FAST_RUBRIC), 10), (DOCS / "cuda", load_rubric(), 20)],
    ids=["default-rubric", "fast-rubric", "default-rubric-on-cuda"],
)
def test_shipped_thresholds_rarely_fail_a_correct_submission(folder: Path, rubric: Rubric, seeds: int) -> None:
    """docs/calibration/: every correct variant over the seeds, against the thresholds in force."""
    summaries = calibrated(folder, rubric)
    assert {s.check for s in summaries} == set(METRICS)
    assert all(s.count >= seeds for s in summaries)
    risky = [(s.submission, s.check, s.pessimistic_fail_probability) for s in summaries
             if s.pessimistic_fail_probability >= FALSE_FAIL_LIMIT]  # fmt: skip
    assert risky == []


def test_the_sr_check_asks_for_a_gain_over_bicubic() -> None:
    assert load_rubric().spec("srnet.psnr").param("threshold") > 0.0


# Training is deterministic on one machine, not across CPUs and torch builds: float rounding
# differs, and a few steps later so does a digit or a fraction of a decibel.
ACROSS_MACHINES = {"cnn.accuracy": 0.01, "srnet.psnr": 0.05}


def test_the_calibration_command_reproduces_the_committed_samples(tmp_path: Path) -> None:
    """One command regenerates the data (here the reference's first two seeds of the fast rubric),
    to the precision one training run carries from machine to machine."""
    command = [sys.executable, "-m", "grader", "calibrate", str(REFERENCE), "--seeds", "2",
               "--rubric", str(FAST_RUBRIC), "--device", "cpu", "--jobs", "2", "--out", str(tmp_path)]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    fresh = read_samples(tmp_path / "samples.csv")
    committed = [s for s in read_samples(DOCS / "fast" / "samples.csv") if s.submission == "reference" and s.seed < 2]
    assert len(fresh) == len(committed) == 2 * len(METRICS)
    assert [s.seed for s in fresh] == sorted(s.seed for s in fresh), "two grades at once, samples in seed order"
    key = lambda s: (s.seed, s.check)  # noqa: E731
    for new, old in zip(sorted(fresh, key=key), sorted(committed, key=key)):
        assert (new.submission, new.seed, new.check) == (old.submission, old.seed, old.check)
        assert new.value == pytest.approx(old.value, abs=ACROSS_MACHINES[new.check])
    assert (tmp_path / "summary.md").is_file()
