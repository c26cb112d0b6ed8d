"""On a GPU the parent and the children compute in IEEE float32, with cuBLAS's deterministic workspace."""

from __future__ import annotations

import torch

from grader.precision import CUBLAS_WORKSPACE, deterministic_cublas, full_float32
from grader.sandbox.runner import _zygote_env


def test_the_parent_asks_cublas_for_the_childrens_workspace_unless_the_user_chose_one() -> None:
    fresh: dict[str, str] = {}
    deterministic_cublas(fresh)
    assert fresh["CUBLAS_WORKSPACE_CONFIG"] == CUBLAS_WORKSPACE == _zygote_env("cuda", 1, "M=1")["CUBLAS_WORKSPACE_CONFIG"]
    chosen = {"CUBLAS_WORKSPACE_CONFIG": ":16:8"}
    deterministic_cublas(chosen)
    assert chosen == {"CUBLAS_WORKSPACE_CONFIG": ":16:8"}


def test_tf32_is_turned_off_in_convolutions_and_matrix_products() -> None:
    before = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = True
    try:
        full_float32(torch)
        assert (torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32) == (False, False)
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = before
