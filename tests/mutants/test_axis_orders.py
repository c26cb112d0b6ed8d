"""Every wrong axis order of the depth-to-space pattern loses points in `pixel_shuffle.matches_torch`.

The reference pattern is `... (c h2 w2) h w -> ... c (h h2) (w w2)`. A wrong
one may order the channel group differently (6 orders), put the factor
before the pixel in a composed axis (2 x 2), or move the channel axis in the
output (6 orders): 6 * 2 * 2 * 6 - 1 = 143 wrong patterns. Since h2 = w2 = r,
pairing h2 with w instead of h is one of these orders under other names.

Grading 143 submissions through the sandbox would take minutes, so the probes
run in this process on the same plan; the sandbox path is covered by the
pattern mutants in this folder (transposed factors, channels grouped last,
output order).
"""

from __future__ import annotations

from itertools import permutations
from pathlib import Path
from types import MappingProxyType

import pytest

from grader.checks.pixel_shuffle import matches_torch
from grader.checks.registry import evaluate
from grader.grading import Session
from grader.parts import pixel_shuffle as shuffle_part
from grader.observations import Seen
from grader.probes import probes_for
from grader.probes.common import ProbeContext
from grader.results import CheckResult
from grader.sandbox.protocol import ProbeResult, ProbeStatus
from grader.sandbox.runner import PartRun
from grader.schema import encode
from tests.conftest import plan_part

REFERENCE_PATTERN = "... (c h2 w2) h w -> ... c (h h2) (w w2)"
MODULE_TEXT = '''from einops import rearrange
from torch import nn


def pixel_shuffle(x, upscale_factor):
    return rearrange(x, "{pattern}", h2=upscale_factor, w2=upscale_factor)


class PixelShuffle(nn.Module):
    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, x):
        return pixel_shuffle(x, self.upscale_factor)
'''


def all_patterns() -> list[str]:
    patterns = []
    for group in permutations(("c", "h2", "w2")):
        for height in ("(h h2)", "(h2 h)"):
            for width in ("(w w2)", "(w2 w)"):
                for order in permutations(("c", height, width)):
                    patterns.append(f"... ({' '.join(group)}) h w -> ... {' '.join(order)}")
    return patterns


WRONG = [p for p in all_patterns() if p != REFERENCE_PATTERN]


def test_the_enumeration_is_complete() -> None:
    assert len(set(all_patterns())) == 144 and REFERENCE_PATTERN in all_patterns()
    assert len(WRONG) == 143


@pytest.fixture(scope="module")
def plan(fast_session: Session, tmp_path_factory: pytest.TempPathFactory) -> shuffle_part.ShufflePlan:
    folder = tmp_path_factory.mktemp("plan")
    (folder / "pixel_shuffle.py").write_text(MODULE_TEXT.format(pattern=REFERENCE_PATTERN), encoding="utf-8")
    return plan_part(fast_session, "pixel_shuffle", path=folder / "pixel_shuffle.py")


def forward_score(plan: shuffle_part.ShufflePlan, pattern: str, folder: Path, session: Session) -> float:
    """Import the module and run the `forward` probe here, then score `matches_torch` as a grade would."""
    result = forward_result(plan, pattern, folder, session)
    return result.score / result.max_score


def forward_result(plan: shuffle_part.ShufflePlan, pattern: str, folder: Path, session: Session) -> CheckResult:
    (folder / "pixel_shuffle.py").write_text(MODULE_TEXT.format(pattern=pattern), encoding="utf-8")
    ctx = ProbeContext(job=plan.job, inputs=plan.inputs, scratch=folder)
    probes = probes_for("pixel_shuffle")
    results = {}
    for name in ("import", "forward"):
        values, arrays = encode(probes[name](ctx))
        results[name] = ProbeResult(name, ProbeStatus.OK, MappingProxyType(values), MappingProxyType(arrays))
    run = PartRun("pixel_shuffle", MappingProxyType(results), "in process", False, "", "", 0.0)
    return evaluate(matches_torch, Seen(run), plan, session.rubric.spec("pixel_shuffle.matches_torch"))


def test_reference_pattern_scores_full_marks_in_process(plan, tmp_path: Path, fast_session: Session) -> None:
    assert forward_score(plan, REFERENCE_PATTERN, tmp_path, fast_session) == 1.0


@pytest.mark.parametrize("pattern", WRONG)
def test_wrong_axis_order_loses_points_and_is_named(plan, pattern: str, tmp_path: Path, fast_session: Session) -> None:
    result = forward_result(plan, pattern, tmp_path, fast_session)
    assert result.score < result.max_score
    # The diagnosis names an order that computes the same function (h2 and w2 are both r).
    assert result.diagnosis is not None and result.diagnosis.kind.startswith("pixel_shuffle."), result.output
    named = result.diagnosis.detail.split("`")[1]
    assert forward_result(plan, named, tmp_path, fast_session).output == result.output
    assert "likely mistake:" in result.output


@pytest.mark.parametrize(("pattern", "kind"), [
    ("... (c w2 h2) h w -> ... c (h h2) (w w2)", "pixel_shuffle.factors_swapped"),
    ("... (h2 w2 c) h w -> ... c (h h2) (w w2)", "pixel_shuffle.channel_split_order"),
    ("... (c h2 w2) h w -> ... c (w w2) (h h2)", "pixel_shuffle.transposed"),
    ("... (c h2 w2) h w -> ... c (h2 h) (w2 w)", "pixel_shuffle.factor_outside"),
])  # fmt: skip
def test_the_classic_mistakes_get_their_name(plan, pattern: str, kind: str, tmp_path: Path,
                                             fast_session: Session) -> None:  # fmt: skip
    result = forward_result(plan, pattern, tmp_path, fast_session)
    assert result.diagnosis is not None and result.diagnosis.kind == kind, result.diagnosis
