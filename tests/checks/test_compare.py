"""Comparisons shared by the checks."""

from __future__ import annotations

import numpy as np

from grader.checks.compare import allclose, gradients_close, identical


def test_gradients_close_scales_the_tolerance_with_each_tensor() -> None:
    expected = {"w": np.array([1000.0, 0.0], dtype=np.float32), "b": np.array([1e-3], dtype=np.float32)}
    # 0.05 off on an entry of 0 is rounding next to an entry of 1000 ...
    assert gradients_close({"w": np.array([1000.0, 0.05], np.float32), "b": expected["b"]}, expected, 1e-4, 1e-5)[0]
    # ... but 1e-3 off on a tensor whose largest entry is 1e-3 is not.
    ok, detail = gradients_close({"w": expected["w"], "b": np.array([2e-3], np.float32)}, expected, 1e-4, 1e-5)
    assert not ok and detail.startswith("b:")


def test_gradients_close_names_the_missing_ones() -> None:
    expected = {name: np.ones(2, np.float32) for name in ("a", "b", "c", "d", "e")}
    ok, detail = gradients_close({"a": np.ones(2, np.float32)}, expected, 1e-4, 1e-5)
    assert not ok
    assert detail == "b: no gradient reached it; c: no gradient reached it; d: no gradient reached it; and 1 more"


def test_allclose_refuses_other_shapes_and_non_finite_values() -> None:
    assert not allclose(np.zeros((2, 3)), np.zeros((3, 2)), 1e-4, 1e-5)[0]
    assert not allclose(np.array([np.nan]), np.array([0.0]), 1e-4, 1e-5)[0]


def test_identical_is_bit_for_bit() -> None:
    assert identical(np.array([0.1], np.float32), np.array([0.1], np.float32))[0]
    assert not identical(np.array([0.1], np.float64), np.array([0.1], np.float32))[0]
    assert not identical(np.nextafter(np.float32(0.1), np.float32(1)).reshape(1), np.array([0.1], np.float32))[0]
