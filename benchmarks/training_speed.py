"""Training speed at one torch thread count, in a fresh process: the grader's loops next to
the pipelines they replace, their FLOP rates, and a large matmul's rate for comparison.

    python benchmarks/training_speed.py --threads 1 [--rubric FILE] [--steps-fraction 0.1] [--device cuda]

Prints one JSON object: per training (`cnn`, `srnet`) the steps run, the FLOPs of
one step (forward and backward, counted by torch's FlopCounterMode on the
reference's model), the seconds of the grader's loop and of its baseline
(`benchmarks/baselines.py`), and `matmul_flops_per_s` at this thread count (on
`--device cuda`: both loops and the matmul on the GPU, the clocks read after it finished).
`benchmarks/run.py` runs it; it is a script of its own so that the thread count
is set once, before anything runs, as in a grading child.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from grader.data.cache import DataCache
from grader.data.images import TRAIN_PHOTOS, rgb
from grader.rubric import load_rubric
from grader.fast_pool import installed as fast_pool
from grader.training import epoch_order, seed_everything, train_classifier, train_superres

sys.path.insert(0, str(Path(__file__).resolve().parent))
import baselines  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
MATMUL_SIZE = 2048


def load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def matmul_rate(seconds: float = 1.0, device: str = "cpu") -> float:
    """FLOP/s of a float32 (2048 x 2048) @ (2048 x 2048) product: the median over about `seconds`."""
    a, b = (torch.randn(MATMUL_SIZE, MATMUL_SIZE, device=device) for _ in range(2))
    settle(device, lambda: a @ b)  # warm-up: threads started, code paged in, GPU kernels loaded
    rates, started = [], time.perf_counter()
    while time.perf_counter() - started < seconds or len(rates) < 5:
        clock = time.perf_counter()
        settle(device, lambda: a @ b)
        rates.append(2 * MATMUL_SIZE**3 / (time.perf_counter() - clock))
    return statistics.median(rates)


def settle(device: str, work: Callable[[], Any]) -> Any:
    """`work()`, returning once a GPU has finished what it queued (its kernels run asynchronously)."""
    result = work()
    if device == "cuda":
        torch.cuda.synchronize()
    return result


def seconds_of(device: str, work: Callable[[], Any]) -> float:
    settle(device, lambda: None)
    clock = time.perf_counter()
    settle(device, work)
    return time.perf_counter() - clock


def step_flops(model: torch.nn.Module, inputs: torch.Tensor, loss: Callable[[Any], torch.Tensor]) -> int:
    """FLOPs of one training step's forward and backward (convolutions and matrix products)."""
    counter = FlopCounterMode(display=False)
    with counter:
        loss(model(inputs)).backward()
    model.zero_grad()
    return int(counter.get_total_flops())


def measure(fraction: float, rubric_path: Path | None, repeats: int, device: str = "cpu") -> dict[str, Any]:
    rubric = load_rubric(rubric_path)
    cnn_spec, sr_spec = rubric.spec("cnn.accuracy"), rubric.spec("srnet.psnr")
    data = DataCache()
    digits = data.digits
    cnn_module, sr_module = load(REPO / "reference" / "cnn.py"), load(REPO / "reference" / "srnet.py")
    result: dict[str, Any] = {"threads": torch.get_num_threads(), "device": device,
                              "matmul_flops_per_s": matmul_rate(device=device)}  # fmt: skip

    steps, batch, lr = max(1, round(cnn_spec.param("steps") * fraction)), cnn_spec.param("batch_size"), cnn_spec.param("lr")
    order = epoch_order(len(digits.train_images), steps, batch, 0)
    x = torch.from_numpy(digits.train_images[:batch]).float().div(255).unsqueeze(1)
    y = torch.from_numpy(digits.train_labels[:batch])
    flops = step_flops(cnn_module.CNN(), x, lambda out: F.cross_entropy(out[0], y))
    runs = repeats + (device == "cuda")  # on a GPU the first run also loads kernels and cuDNN: not counted
    ours, theirs = [], []
    for _ in range(runs):
        seed_everything(0)
        model = cnn_module.CNN()
        with fast_pool():  # as the grader's children and replays run (grader.fast_pool); the baseline without
            ours.append(seconds_of(device, lambda: train_classifier(model, digits.train_images, digits.train_labels,
                                                                    order, lr, device)))  # fmt: skip
        seed_everything(0)
        theirs.append(baselines.seed_loop(cnn_module.CNN(), digits.train_images, digits.train_labels, steps, batch, lr, 0,
                                          device))  # fmt: skip
    result["cnn"] = {"steps": steps, "step_flops": flops, "seconds": statistics.median(ours[runs - repeats :]),
                     "baseline_seconds": statistics.median(theirs[runs - repeats :])}  # fmt: skip

    factor, patch = sr_spec.param("factor"), sr_spec.param("patch")
    steps, batch, lr = max(1, round(sr_spec.param("steps") * fraction)), sr_spec.param("batch_size"), sr_spec.param("lr")
    bank = data.patch_bank(factor, patch, sr_spec.param("bank_size"), sr_spec.param("min_std"), 0)
    order = epoch_order(len(bank.low), steps, batch, 0)
    low = torch.from_numpy(bank.low[:batch]).float().div(255).unsqueeze(1)
    high = torch.from_numpy(bank.high[:batch]).float().div(255).unsqueeze(1)
    flops = step_flops(sr_module.SuperResolutionNet(factor), low, lambda out: F.mse_loss(out, high))
    import skimage.data

    colour = [rgb(np.asarray(getattr(skimage.data, name)())) for name in TRAIN_PHOTOS]
    ours, theirs = [], []
    for _ in range(runs):
        seed_everything(0)
        net = sr_module.SuperResolutionNet(factor)
        with fast_pool():
            ours.append(seconds_of(device, lambda: train_superres(net, bank.low, bank.high, order, lr, device)))
        seed_everything(0)
        theirs.append(baselines.examples_pipeline(
            sr_module.SuperResolutionNet(factor), colour, list(data.photos.train), factor, patch,
            sr_spec.param("bank_size"), sr_spec.param("min_std"), steps, batch, lr, 0, device))  # fmt: skip
    result["srnet"] = {"steps": steps, "step_flops": flops, "seconds": statistics.median(ours[runs - repeats :]),
                       "baseline_seconds": statistics.median(theirs[runs - repeats :])}  # fmt: skip
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--rubric", type=Path, default=None)
    parser.add_argument("--steps-fraction", type=float, default=1.0, help="Of the rubric's training steps.")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--matmul-only", action="store_true")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.matmul_only:
        print(json.dumps({"threads": torch.get_num_threads(), "matmul_flops_per_s": matmul_rate(device=args.device)}))
        return
    print(json.dumps(measure(args.steps_fraction, args.rubric, args.repeats, args.device)))


if __name__ == "__main__":
    main()
