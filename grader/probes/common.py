"""Child-side helpers shared by the probes: loading the student's module,
describing what their code returned, turning tensors into plain arrays.

Everything here runs inside the child process, next to untrusted code; the
parent re-checks whatever comes out of it.
"""

from __future__ import annotations

import importlib.util
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import torch
from torch import Tensor, nn

from grader.observations.common import Described, Imported
from grader.sandbox.limits import exception_hint, rlimits_mb
from grader.sandbox.protocol import Job
from grader.training import Checkpoint


class NotRun(Exception):
    """A probe that cannot run because an earlier one failed."""


@dataclass
class ProbeContext:
    """What the probes of one part share inside the child."""

    job: Job
    inputs: Mapping[str, np.ndarray]
    scratch: Path
    module: ModuleType | None = None
    import_error: str = ""
    notes: dict[str, Any] = field(default_factory=dict)
    io_dir: Path | None = None  # the part's io folder, for the progress notes

    @property
    def device(self) -> str:
        return self.job.device

    @property
    def config(self) -> Mapping[str, Any]:
        return self.job.config

    def array(self, key: str) -> np.ndarray:
        return self.inputs[key]

    def tensor(self, key: str) -> Tensor:
        return torch.from_numpy(np.array(self.inputs[key])).to(self.device)

    def step_reporter(self, probe: str) -> Callable[[int, int, float], None] | None:
        """Where a training loop reports its steps for the live display (None outside the sandbox)."""
        if self.io_dir is None:
            return None
        from grader.sandbox.progress_channel import StepReporter

        return StepReporter(self.io_dir, probe)

    def require(self, name: str) -> Any:
        """A name the student's module must define, or NotRun with the reason."""
        if self.module is None:
            raise NotRun(f"not run: {self.job.module} did not import ({self.import_error})")
        if not hasattr(self.module, name):
            raise NotRun(f"not run: {self.job.module} defines no {name}")
        return getattr(self.module, name)


# What a probe returns: one of the observation dataclasses of `grader.observations`.
Probe = Callable[[ProbeContext], Any]


def import_module(ctx: ProbeContext, names: tuple[str, ...]) -> Imported:
    """The `import` probe of every part: execute the module, look for the names."""
    path = ctx.scratch / ctx.job.module
    stem = path.stem
    try:
        spec = importlib.util.spec_from_file_location(stem, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {path.name}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[stem] = module
        spec.loader.exec_module(module)
    except BaseException as exc:
        ctx.import_error = describe_exception(exc, ctx.scratch).splitlines()[0]
        raise
    ctx.module = module
    found = {name: hasattr(module, name) for name in names}
    missing = [name for name, ok in found.items() if not ok]
    if missing:
        raise AttributeError(f"{ctx.job.module} defines no {', '.join(missing)}")
    return Imported(found)


def _shuffle_hint() -> str:
    """Why a comparison with torch's pixel shuffle failed, once the poisoned kernel ran (Part 3's child)."""
    try:
        poison = sys.modules.get("grader.probes.shuffle_poison")  # installed in Part 3's child only
        return str(poison.CALLED_HINT) if poison is not None and poison.called() else ""
    except Exception:  # noqa: BLE001 - student code may have replaced the module: no hint then
        return ""


def describe_exception(exc: BaseException, scratch: Path) -> str:
    """`Type: message` and the student's own frames, newest last, paths made relative."""
    head = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
    if isinstance(exc, NotImplementedError):
        head = f"not implemented yet ({head})"
    hints = [exception_hint(exc, *rlimits_mb()), _shuffle_hint()]
    for hint in filter(None, hints):  # on the first line: checks often show only that one
        head = f"{head} ({hint})"
    if isinstance(exc, SyntaxError) and exc.filename:
        name = Path(exc.filename).name
        line = (exc.text or "").rstrip()
        return f"SyntaxError: {exc.msg} ({name}, line {exc.lineno})" + (f"\n    {line}" if line else "")
    root = str(scratch)
    frames = [
        f"  at {Path(f.filename).relative_to(root)} line {f.lineno} in {f.name}"
        + (f": {f.line.strip()}" if f.line else "")
        for f in traceback.extract_tb(exc.__traceback__)
        if f.filename.startswith(root)
    ]
    return "\n".join([head, *frames[-5:]])


def describe(value: Any, depth: int = 0) -> Described:
    """What student code returned: type, shape, dtype, device (two levels of sequences)."""
    if isinstance(value, Tensor):
        return Described(
            kind="tensor",
            shape=tuple(int(s) for s in value.shape),
            dtype=str(value.dtype).replace("torch.", ""),
            device=value.device.type,
            class_name=type(value).__name__,
            exact_tensor=type(value) is Tensor or type(value) is nn.Parameter,
            requires_grad=bool(value.requires_grad),
            has_grad_fn=value.grad_fn is not None,
            contiguous=bool(value.is_contiguous()),
        )
    if isinstance(value, (tuple, list)) and depth < 2:
        items = tuple(describe(item, depth + 1) for item in list(value)[:8])
        return Described(kind=type(value).__name__, items=items, length=len(value))
    return Described(kind=type(value).__name__)


def to_array(value: Any) -> np.ndarray:
    """A plain numpy copy of a tensor (of any subclass), detached and on the CPU."""
    if not isinstance(value, Tensor):
        raise TypeError(f"expected a tensor, got {type(value).__name__}")
    plain = value.as_subclass(Tensor) if type(value) is not Tensor else value
    return np.array(plain.detach().cpu().resolve_conj().resolve_neg().numpy(), copy=True)


def parameter_shapes(model: nn.Module) -> dict[str, tuple[int, ...]]:
    return {name: tuple(int(s) for s in t.shape) for name, t in model.state_dict().items()}


def load_weights(model: nn.Module, weights: Mapping[str, Tensor]) -> str:
    """Load the grader's weights: by name when the names match, else by position.

    Returns how they were loaded, so the feedback can say so.
    """
    try:
        model.load_state_dict(dict(weights), strict=True)
        return "by name"
    except (RuntimeError, KeyError) as by_name:
        own = list(model.state_dict().items())
        given = list(weights.values())
        if len(own) != len(given) or any(t.shape != g.shape for (_, t), g in zip(own, given)):
            raise RuntimeError(f"cannot load the reference weights: {by_name}") from None
        with torch.no_grad():
            for (_, tensor), value in zip(own, given):
                tensor.copy_(value)
        return "by position (parameter names differ from the contract)"


def _contract_pairs(model: nn.Module, names: Sequence[str]) -> tuple[str, list[tuple[str, str]], int]:
    """How the model's state_dict entries match the contract's `names`, as (contract name, own
    name) pairs: by name when the names are the contract's, else by position; no pairs when the
    counts differ. Also the number of entries, for the message then."""
    own = list(model.state_dict())
    if set(own) == set(names):
        return "by name", [(name, name) for name in names], len(own)
    if len(own) == len(names):
        return "by position (parameter names differ from the contract)", list(zip(names, own)), len(own)
    return "", [], len(own)


def contract_parameters(model: Any, shapes: Mapping[str, tuple[int, ...]]) -> tuple[str, list[Tensor]]:
    """The model's parameters in the contract's order, matched as `load_weights` matches them:
    by name when the state_dict's names are the contract's, else by position.

    Returns how they were matched and the parameters, or why they cannot be (and none): the
    parent evaluates trained weights with its own network, which needs the contract's.
    """
    if not isinstance(model, nn.Module):
        return "the model is not a torch.nn.Module", []
    names = list(shapes)
    how, pairs, entries = _contract_pairs(model, names)
    if not pairs:
        return f"its state_dict has {entries} entries where the contract's network has {len(names)} parameters", []
    params = dict(model.named_parameters())
    matched: list[Tensor] = []
    for name, own_name in pairs:
        param = params.get(own_name)
        if param is None:
            return f"{own_name} is not a trainable parameter of its own", []
        if tuple(param.shape) != shapes[name] or param.dtype != torch.float32:
            return f"{own_name} is {tuple(param.shape)} {param.dtype}, the contract's {name} {shapes[name]} float32", []
        matched.append(param)
    return how, matched


def stacked_checkpoints(checkpoints: Sequence[Checkpoint]) -> tuple[np.ndarray | None, ...]:
    """Weights, first and second Adam moments: one row per checkpoint, the tensors flattened in order."""
    if not checkpoints:
        return None, None, None
    return tuple(
        np.stack([np.concatenate([a.ravel() for a in getattr(c, field)]) for c in checkpoints]).astype(np.float32)
        for field in ("weights", "exp_avg", "exp_avg_sq")
    )


def backward_from(output: Tensor, upstream: Tensor) -> None:
    """`output.backward(upstream)`: the same gradients, without its cost in a fresh child.

    torch imports its symbolic-shapes module (sympy with it) at the first backward given a
    gradient tensor: about 0.15 s in every part's child. Here the upstream gradient enters
    through a product summed to a scalar, whose backward hands `upstream` on exactly (ones
    times it); a shape that differs fails as torch would, without broadcasting.
    """
    if output.shape != upstream.shape:
        raise RuntimeError(f"Mismatch in shape: grad_output[0] has a shape of {upstream.shape} and "
                           f"output[0] has a shape of {output.shape}.")  # fmt: skip
    (output * upstream.to(output.device)).sum().backward()


def parameter_gradients(
    model: nn.Module, output: Any, upstream: Tensor, names: Sequence[str]
) -> tuple[str, dict[str, np.ndarray]]:
    """Backpropagate `upstream` from the output (its first item for a tuple) and return each
    parameter's gradient under the contract's `names`, matched as `load_weights` matched them.

    A parameter no gradient reached is left out; the first string says why nothing came back.
    """
    first = output[0] if isinstance(output, (tuple, list)) and output else output
    if not isinstance(first, Tensor) or first.grad_fn is None:
        return "the output is not connected to the parameters (detached, or computed under no_grad)", {}
    if first.shape != upstream.shape:
        return f"no gradients: the output has shape {tuple(first.shape)}, not {tuple(upstream.shape)}", {}
    model.zero_grad(set_to_none=True)
    try:
        backward_from(first, upstream.to(first.dtype))
    except Exception as exc:  # noqa: BLE001 - the forward values are still worth comparing
        return f"backward raised {type(exc).__name__}: {str(exc)[:200]}", {}
    _, pairs, entries = _contract_pairs(model, names)
    if not pairs:
        return f"{entries} state entries, expected {len(names)}", {}
    params = dict(model.named_parameters())
    grads = {}
    for name, own_name in pairs:
        parameter = params.get(own_name)
        if parameter is not None and parameter.grad is not None:
            grads[name] = to_array(parameter.grad)
    return "", grads
