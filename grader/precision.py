"""Exact float32 on a GPU, the same in the parent and in every child.

On CUDA, torch lets cuDNN's convolutions run in TF32 (a 10-bit mantissa) unless told
otherwise: outputs then differ from the CPU's by about 1e-4 and gradients by about 1e-2,
far beyond the equivalence checks' tolerances, and trained weights drift from the values
the thresholds were calibrated on. The grader asks for IEEE float32 everywhere. cuBLAS
also needs a fixed workspace to be deterministic, and picks its kernels by that size: the
parent replays a child's training run on the same device, so both give it the same one.
"""

from __future__ import annotations

import warnings
from typing import Any, MutableMapping

CUBLAS_WORKSPACE = ":4096:8"  # what torch's deterministic mode asks of cuBLAS


def deterministic_cublas(environ: MutableMapping[str, str]) -> None:
    """Ask cuBLAS for the workspace its deterministic mode needs, unless the user chose one.

    cuBLAS reads it once, when torch first uses it; the children get the same value
    (`grader.sandbox.runner`).

    >>> env = {}; deterministic_cublas(env); env
    {'CUBLAS_WORKSPACE_CONFIG': ':4096:8'}
    """
    environ.setdefault("CUBLAS_WORKSPACE_CONFIG", CUBLAS_WORKSPACE)


def full_float32(torch: Any) -> None:
    """No TF32 in convolutions or matrix products (torch's process-wide switches)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # newer torch prefers its fp32_precision settings; both still work
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
