"""Naming the likely mistake behind a failed check.

Each module computes, in the parent, the outputs of candidate mistakes on
the very weights and inputs the check used (the oracle with one thing
changed: a missing ReLU, another flatten order, another axis order), and
returns the `Diagnosis` whose output equals what the submission gave. The
candidates are the grader's own code; a diagnosis names the mistake in
words and never quotes the check's inputs or the reference's code.
"""

from __future__ import annotations

from typing import Callable, Iterable, Sequence

import numpy as np

from grader.results import Diagnosis

Candidate = tuple[Diagnosis, Callable[[], Sequence[np.ndarray | None]]]


def first_match(observed: Sequence[np.ndarray | None], candidates: Iterable[Candidate], rtol: float,
                atol: float) -> Diagnosis | None:  # fmt: skip
    """The first candidate whose outputs equal the observed ones (within the tolerance), where
    they were observed; a candidate that raises or gives other shapes matches nothing."""
    for diagnosis, outputs in candidates:
        try:
            expected = outputs()
        except Exception:  # noqa: BLE001 - a candidate that cannot run is simply not it
            continue
        pairs = [(o, e) for o, e in zip(observed, expected) if o is not None]
        if pairs and all(e is not None and close(o, e, rtol, atol) for o, e in pairs):
            return diagnosis
    return None


def close(observed: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> bool:
    if observed.shape != expected.shape or observed.dtype.kind != "f":
        return False
    a, b = observed.astype(np.float64), expected.astype(np.float64)
    return bool(np.all(np.isfinite(a)) and np.all(np.abs(a - b) <= atol + rtol * np.abs(b)))
