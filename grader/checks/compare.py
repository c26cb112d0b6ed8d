"""Comparisons used by several checks, each returning a verdict and a sentence."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np


def allclose(observed: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> tuple[bool, str]:
    """Same shape, finite, and |obs - exp| <= atol + rtol * |exp| everywhere."""
    if observed.shape != expected.shape:
        return False, f"shape {observed.shape} instead of {expected.shape}"
    if observed.dtype.kind != "f":
        return False, f"dtype {observed.dtype} instead of {expected.dtype}"
    observed64 = observed.astype(np.float64)
    if not np.all(np.isfinite(observed64)):
        return False, f"{int(np.sum(~np.isfinite(observed64)))} values are NaN or infinite"
    diff = np.abs(observed64 - expected.astype(np.float64))
    ok = bool(np.all(diff <= atol + rtol * np.abs(expected)))
    return ok, f"max |difference| {diff.max():.3g} (tolerance {atol:g} + {rtol:g}*|expected|)"


def identical(observed: np.ndarray, expected: np.ndarray) -> tuple[bool, str]:
    """Bit for bit: same dtype, same shape, same bytes (NaNs compared by bits too)."""
    if observed.dtype != expected.dtype:
        return False, f"dtype {observed.dtype} instead of {expected.dtype}"
    if observed.shape != expected.shape:
        return False, f"shape {observed.shape} instead of {expected.shape}"
    if observed.tobytes() == expected.tobytes():
        return True, "identical"
    diff = np.abs(observed.astype(np.float64) - expected.astype(np.float64))
    return False, f"{int(np.count_nonzero(diff))} of {diff.size} values differ (max {np.nanmax(diff):.3g})"


def gradients_close(
    observed: Mapping[str, np.ndarray], expected: Mapping[str, np.ndarray], rtol: float, atol: float
) -> tuple[bool, str]:
    """Every parameter's gradient within `atol + rtol * max|expected|` of the expected one.

    The tolerance scales with each tensor's largest entry: a gradient is a sum
    over the batch and the pixels, so its small entries carry the rounding of
    the large ones.
    """
    problems = []
    for name, want in expected.items():
        if name not in observed:
            problems.append(f"{name}: no gradient reached it")
            continue
        scale = float(np.abs(want).max()) if want.size else 0.0
        ok, detail = allclose(observed[name], want, 0.0, atol + rtol * scale)
        if not ok:
            problems.append(f"{name}: {detail}")
    if problems:
        return False, "; ".join(problems[:3]) + (f"; and {len(problems) - 3} more" if len(problems) > 3 else "")
    return True, f"all {len(expected)} parameter gradients match"
