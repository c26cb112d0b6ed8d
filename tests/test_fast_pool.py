"""The faster CPU max pooling returns torch's own values, indices, strides and gradients."""

from __future__ import annotations

from typing import Any, Callable

import pytest
import torch
import torch.nn.functional as F

from grader.fast_pool import install

Case = tuple[Callable[[torch.Generator], torch.Tensor], dict[str, Any]]


def relu_noise(*shape: int, dtype: torch.dtype = torch.float32) -> Callable[[torch.Generator], torch.Tensor]:
    return lambda g: torch.relu(torch.randn(*shape, generator=g)).to(dtype)  # zeros tie in most windows


def few_values(*shape: int) -> Callable[[torch.Generator], torch.Tensor]:
    return lambda g: torch.randint(0, 3, shape, generator=g).float()  # ties among positive values too


def with_nan_and_inf(*shape: int) -> Callable[[torch.Generator], torch.Tensor]:
    def make(g: torch.Generator) -> torch.Tensor:
        x = torch.randn(*shape, generator=g)
        x.view(-1)[::7] = float("nan")
        x.view(-1)[3::11] = float("-inf")
        return x

    return make


CASES: dict[str, Case] = {
    "the CNN's first pool": (relu_noise(64, 16, 28, 28), {"kernel_size": 2}),
    "the CNN's second pool": (relu_noise(64, 32, 14, 14), {"kernel_size": 2}),
    "ties among positive values": (few_values(8, 6, 10, 10), {"kernel_size": 2}),
    "NaN and -inf": (with_nan_and_inf(4, 5, 9, 9), {"kernel_size": 3, "stride": 2}),
    "padding, dilation, ceil mode": (relu_noise(3, 4, 13, 11), {"kernel_size": 3, "stride": 2, "padding": 1,
                                                                "dilation": 2, "ceil_mode": True}),
    "float64": (relu_noise(2, 3, 8, 8, dtype=torch.float64), {"kernel_size": 2}),
    "bfloat16": (relu_noise(2, 3, 8, 8, dtype=torch.bfloat16), {"kernel_size": 2}),
    "float16": (relu_noise(2, 3, 8, 8, dtype=torch.float16), {"kernel_size": 2}),
    "one channel": (relu_noise(4, 1, 8, 8), {"kernel_size": 2}),
    "no batch dimension": (relu_noise(3, 8, 8), {"kernel_size": 2}),
    "an empty batch": (relu_noise(0, 3, 8, 8), {"kernel_size": 2}),
    "a channels-last input": (lambda g: relu_noise(4, 6, 8, 8)(g).contiguous(memory_format=torch.channels_last),
                              {"kernel_size": 2}),
    "a transposed input": (lambda g: relu_noise(4, 6, 8, 8)(g).transpose(2, 3), {"kernel_size": 2}),
}  # fmt: skip


def pooled(x: torch.Tensor, options: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    leaf = x.detach().clone().requires_grad_(x.is_floating_point())
    values, indices = F.max_pool2d(leaf, return_indices=True, **options)
    grad = None
    if leaf.requires_grad and values.numel():
        weights = torch.arange(values.numel(), dtype=values.dtype).reshape(values.shape)  # a distinct grad each
        (values.nan_to_num(0.0) * weights).sum().backward()
        grad = leaf.grad
    return values.detach(), indices, grad


def same(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.stride() == b.stride() and torch.equal(
        torch.nan_to_num(a.float(), nan=123.0), torch.nan_to_num(b.float(), nan=123.0))  # fmt: skip


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_installed_kernel_matches_torch_s_own(name: str) -> None:
    make, options = CASES[name]
    x = make(torch.Generator().manual_seed(0))
    expected = pooled(x, options)
    installed = install()
    try:
        got = pooled(x, options)
    finally:
        installed.remove()
    for a, b in zip(expected, got):
        assert (a is None) == (b is None)
        if a is not None and b is not None:
            assert same(a, b), name


def test_remove_gives_torch_its_kernel_back() -> None:
    calls = []
    x = torch.rand(2, 3, 4, 4)
    installed = install()
    original = torch.Tensor.contiguous

    def spy(self: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
        calls.append(kwargs.get("memory_format"))
        return original(self, *args, **kwargs)

    torch.Tensor.contiguous = spy  # type: ignore[method-assign]
    try:
        F.max_pool2d(x, 2)
        installed.remove()
        seen = len(calls)
        F.max_pool2d(x, 2)
    finally:
        torch.Tensor.contiguous = original  # type: ignore[method-assign]
    assert torch.channels_last in calls[:seen] and len(calls) == seen


def test_threads_scoring_at_once_share_one_registration(monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch or a calibration scores several grades' parts in threads: each enters `installed`.
    Some torch versions (2.11) refuse a second Python kernel for the same key, others only warn:
    `install` here refuses it as the strict ones do."""
    import threading

    from grader import fast_pool

    live: list[Any] = []
    real_install = fast_pool.install

    def strict_install() -> Any:
        if live:
            raise RuntimeError("a kernel is already registered from Python for this key")
        handle = real_install()
        live.append(handle)
        real_remove = handle.remove

        def remove() -> None:
            live.remove(handle)
            real_remove()

        handle.remove = remove  # type: ignore[method-assign]
        return handle

    monkeypatch.setattr(fast_pool, "install", strict_install)
    inside = threading.Barrier(4, timeout=30)
    errors: list[BaseException] = []
    x = torch.rand(2, 3, 4, 4)

    def score() -> None:
        try:
            with fast_pool.installed():
                inside.wait()  # all four inside at once
                assert torch.equal(F.max_pool2d(x, 2), F.max_pool2d(x.contiguous(memory_format=torch.channels_last), 2))
                inside.wait()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=score) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and live == []  # one registration, removed when the last thread left
