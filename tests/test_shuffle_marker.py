"""The marker NaN of torch's disabled pixel shuffle: recognised after casts, never by accident."""

from __future__ import annotations

import numpy as np

from grader.shuffle_marker import BITS32, BITS64, carries_marker


def test_the_marker_survives_casts_and_negation() -> None:
    single = np.array([0.5, np.uint32(BITS32).view(np.float32)], dtype=np.float32)
    double = np.array([np.uint64(BITS64).view(np.float64)])
    assert carries_marker(single) and carries_marker(double)
    assert carries_marker(single.astype(np.float64)) and carries_marker(double.astype(np.float32))
    assert carries_marker(-single) and carries_marker(single * 2)


def test_ordinary_nans_and_numbers_are_not_the_marker() -> None:
    with np.errstate(invalid="ignore"):
        made = np.array([0.0, np.inf]) * np.array([np.inf, 0.0])  # NaNs the hardware makes
    assert np.isnan(made).all() and not carries_marker(made) and not carries_marker(made.astype(np.float32))
    assert not carries_marker(np.random.default_rng(0).standard_normal(1000))
    assert not carries_marker(np.zeros(3, np.int32)) and not carries_marker(None)
