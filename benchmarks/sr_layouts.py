"""How the super-resolution training step could use two cores: three thread layouts side by side.

    python benchmarks/sr_layouts.py [--steps 300]

The SR training is the long pole of a grade (docs/performance.md). On the
reference's net with the rubric's batch (16 patches of 11 x 11 at r = 3) this
times, in one process, one after the other:

- `one_thread`: the grader's layout today, one torch thread;
- `two_threads`: two intra-op torch threads (results differ from one thread's
  by about 1e-6: the thread count is part of the rubric);
- `two_halves`: two Python threads, each with one torch thread, each taking the
  forward and backward pass of half the batch, the gradients summed in a fixed
  order. Its results do not depend on how many cores run it (one core runs the
  halves one after the other and gets the same bits), so it would keep
  determinism across machines; they differ from `one_thread`'s by rounding.

Prints one JSON object: milliseconds per step and FLOP rates for each layout,
with a 2048^2 float32 matmul's rate at 1 and 2 threads.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import threading
import time
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

REPO = Path(__file__).resolve().parents[1]


def reference_net(factor: int) -> torch.nn.Module:
    spec = importlib.util.spec_from_file_location("bench_srnet", REPO / "reference" / "srnet.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SuperResolutionNet(factor)


def matmul_rate(threads: int, size: int = 2048, repeats: int = 8) -> float:
    torch.set_num_threads(threads)
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b
    clock = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * size**3 * repeats / (time.perf_counter() - clock)


def time_steps(step: Any, steps: int) -> float:
    for _ in range(10):  # warm-up: kernels chosen, memory allocated
        step()
    clock = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - clock) / steps


def measure(steps: int, factor: int = 3, batch: int = 16, patch: int = 11) -> dict[str, Any]:
    torch.manual_seed(0)
    net = reference_net(factor)
    params = list(net.parameters())
    low = torch.rand(batch, 1, patch, patch)
    high = torch.rand(batch, 1, patch * factor, patch * factor)
    counter = FlopCounterMode(display=False)
    with counter:
        F.mse_loss(net(low), high).backward()
    flops = counter.get_total_flops()

    def whole() -> None:
        for p in params:
            p.grad = None
        F.mse_loss(net(low), high).backward()

    halves = [(low[: batch // 2], high[: batch // 2]), (low[batch // 2 :], high[batch // 2 :])]
    grads: list[Any] = [None, None]

    def half(index: int) -> None:
        x, y = halves[index]
        loss = F.mse_loss(net(x), y, reduction="sum") / y.numel() / 2  # each half's share of the batch mean
        grads[index] = torch.autograd.grad(loss, params)

    def split() -> None:
        other = threading.Thread(target=half, args=(1,))
        other.start()
        half(0)
        other.join()
        for p, g0, g1 in zip(params, grads[0], grads[1]):
            p.grad = g0 + g1  # a fixed order: the same bits on one core or two

    result: dict[str, Any] = {"step_flops": flops, "matmul_flops_per_s": {}}
    for threads in (1, 2):
        result["matmul_flops_per_s"][str(threads)] = matmul_rate(threads)
    torch.set_num_threads(1)
    result["one_thread_ms"] = 1e3 * time_steps(whole, steps)
    torch.set_num_threads(2)
    result["two_threads_ms"] = 1e3 * time_steps(whole, steps)
    torch.set_num_threads(1)
    result["two_halves_ms"] = 1e3 * time_steps(split, steps)
    for layout, threads in (("one_thread", 1), ("two_threads", 2), ("two_halves", 2)):
        rate = flops / (result[f"{layout}_ms"] / 1e3)
        result[f"{layout}_fraction_of_matmul_peak"] = rate / result["matmul_flops_per_s"][str(threads)]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    print(json.dumps(measure(parser.parse_args().steps), indent=2))


if __name__ == "__main__":
    main()
