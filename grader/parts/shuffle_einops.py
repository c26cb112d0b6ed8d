"""Does the submission write torch's pixel shuffle with einops? Decided in the parent.

`uses_einops` rests on the source alone: a `rearrange` / `Rearrange` call
that the entry points reach (`grader.source_scan`), whose pattern the parent
read from the AST (`grader.einops_patterns`). The parent evaluates that
pattern with its own einops on its own arrays, for r = 2 and 3, with and
without leading axes, and compares with torch's pixel shuffle (its axis
order, `grader.shuffle_orders.TORCH_ORDER`, in numpy: a parent whose plans
are cached never loads torch) value for value. No student code runs for it,
so a `rearrange` in dead code, or an identity pattern next to a reshape that
does the work, earns nothing.

The axis lengths the code computes at run time (`h2=upscale_factor`) are
tried as the factor r or as the output channel count; lengths the source
fixes (`h2=2`) are taken as written. A pattern the source does not show
(built by `str.format`, passed in by a caller, read from a file) cannot be
evaluated and earns no point: the feedback says how to write it so that the
grader can read it.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import numpy as np

from grader.einops_patterns import EinopsCall
from grader.shuffle_orders import TORCH_ORDER
from grader.source_scan import ShuffleScan

FACTORS = (2, 3)
CHANNELS, HEIGHT, WIDTH = 2, 3, 4  # distinct sizes: a pattern that swaps two axes cannot pass
MAX_PATTERNS = 24
MAX_TRIES = 64  # role assignments per pattern
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class EinopsVerdict:
    credit: float
    message: str


def judge(scan: ShuffleScan, module: str) -> EinopsVerdict:
    """The `uses_einops` verdict for a scanned part."""
    if scan.syntax_error:
        return EinopsVerdict(0.0, f"{module} does not parse: {scan.syntax_error}")
    unreadable: list[str] = []
    tried: list[str] = []
    for call in scan.einops_calls[:MAX_PATTERNS]:
        if not call.patterns:
            unreadable.append(call.where)
            continue
        for pattern in call.patterns:
            if is_pixel_shuffle(pattern, call):
                return EinopsVerdict(1.0, f"{call.where}: `{pattern}` gives torch's pixel shuffle "
                                          "(the grader read the pattern and evaluated it itself)")  # fmt: skip
            tried.append(f"{call.where}: `{pattern}`")
    if unreadable:
        return EinopsVerdict(0.0, f"the pattern of the rearrange at {', '.join(unreadable[:3])} cannot be read "
                                  "without running your code: write it as a string literal or a module-level "
                                  "constant so that the grader can check it")  # fmt: skip
    if tried:
        return EinopsVerdict(0.0, "no einops pattern the code runs gives torch's pixel shuffle: "
                                  + "; ".join(tried[:3]))  # fmt: skip
    if scan.unused_einops:
        return EinopsVerdict(0.0, f"the rearrange at {', '.join(scan.unused_einops[:3])} runs, but neither "
                                  "pixel_shuffle nor PixelShuffle uses it")  # fmt: skip
    if scan.unreached_einops:
        places = ", ".join(scan.unreached_einops[:3])
        return EinopsVerdict(0.0, f"rearrange appears only in code that never runs ({places}): after a return, "
                                  "under a condition that is never true, or in a function nothing calls")  # fmt: skip
    return EinopsVerdict(0.0, f"{module} never calls einops.rearrange")


def is_pixel_shuffle(pattern: str, call: EinopsCall) -> bool:
    """Whether `pattern` with the call's axis lengths is torch's pixel shuffle for r = 2 and 3."""
    left = pattern.split("->", 1)[0]
    ellipsis = "..." in left
    groups = _top_level_axes(left)
    if groups is None or (not ellipsis and len(groups) < 3):
        return False
    leads = [(), (2,)] if ellipsis else [(2,) * (len(groups) - 3)]
    for roles in _role_assignments(pattern, call):
        if all(_matches(pattern, roles, r, lead) for r in FACTORS for lead in leads):
            return True
    return False


def _top_level_axes(side: str) -> list[str] | None:
    groups, depth, current = [], 0, ""
    for char in side.strip() + " ":
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                return None
        if char == " " and depth == 0:
            if current.strip():
                groups.append(current.strip())
            current = ""
        else:
            current += char
    return groups if depth == 0 else None


def _role_assignments(pattern: str, call: EinopsCall) -> list[dict[str, object]]:
    """Each way to read the call's axis lengths: fixed ones as written, computed ones as r or C.

    With lengths the source does not show (`**kwargs`), any two axes of the pattern may be r.
    """
    fixed = {name: value for name, value in call.axes if value is not None}
    computed = [name for name, value in call.axes if value is None]
    options: list[dict[str, object]] = []
    for roles in itertools.product(("r", "c"), repeat=len(computed)):
        options.append({**fixed, **dict(zip(computed, roles))})
        if len(options) >= MAX_TRIES:
            break
    if call.open_axes:
        names = sorted(set(IDENTIFIER.findall(pattern)))
        options += [{**fixed, a: "r", b: "r"} for a, b in itertools.combinations(names, 2)][:MAX_TRIES]
    return options


def _matches(pattern: str, roles: dict[str, object], factor: int, lead: tuple[int, ...]) -> bool:
    sizes = {name: factor if role == "r" else CHANNELS if role == "c" else int(role)  # type: ignore[call-overload]
             for name, role in roles.items()}  # fmt: skip
    # Distinct values: a pattern that moves any element elsewhere cannot pass.
    x = np.arange(int(np.prod((*lead, CHANNELS * factor * factor, HEIGHT, WIDTH)))).reshape(
        *lead, CHANNELS * factor * factor, HEIGHT, WIDTH)
    try:
        import einops

        out = einops.rearrange(x, pattern, **sizes)
    except Exception:  # noqa: BLE001 - any pattern einops refuses is simply not a pixel shuffle
        return False
    expected = TORCH_ORDER.apply(x, factor)
    return isinstance(out, np.ndarray) and expected is not None and out.shape == expected.shape and bool(
        np.array_equal(out, expected))
