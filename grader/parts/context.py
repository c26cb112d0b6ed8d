"""What every part's planner needs: rubric, device, seed and the data (where the part's code is:
`grader.parts.source`)."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from grader.data.cache import DataCache
from grader.sandbox.protocol import Job

if TYPE_CHECKING:  # a type only: the checks read plans, and must not load the rubric's validation
    from grader.rubric import Rubric


@dataclass
class PlanContext:
    """Settings of one grade plus a cache of results that do not depend on the submission."""

    rubric: Rubric
    device: str
    seed: int
    data: DataCache
    memo: dict[Any, Any] = field(default_factory=dict)
    probes: frozenset[str] | None = None  # the probes that will run (`check` runs fewer); None: all

    def runs(self, probe: str) -> bool:
        """Whether `probe` will run, so that a planner can skip what only it needs."""
        return self.probes is None or probe in self.probes

    def seed_for(self, label: str, public: bool = False) -> int:
        """A seed for one use, derived from the rubric seed: other seeds, other inputs.

        `public` derives it from the self-check's public seed instead, for the
        visible checks whose inputs are the same in `grade` and `check`.

        >>> from grader.rubric import load_rubric
        >>> ctx = PlanContext(load_rubric(), "cpu", 1, DataCache())
        >>> ctx.seed_for("a") != ctx.seed_for("b")
        True
        """
        root = self.rubric.selfcheck.seed if public else self.seed
        sequence = np.random.SeedSequence([root, zlib.crc32(label.encode("utf-8"))])
        return int(sequence.generate_state(1, dtype=np.uint32)[0])

    def rng(self, label: str, public: bool = False) -> np.random.Generator:
        return np.random.default_rng(self.seed_for(label, public))

    def job(self, part: str, module: str, probes: tuple[str, ...], config: dict[str, Any]) -> Job:
        """The child's work order, with this grade's device, threads and limits."""
        return Job(
            part=part,
            module=module,
            probes=probes,
            config=config,
            device=self.device,
            threads=self.rubric.threads,
            memory_mb=self.rubric.limits.memory_mb,
            file_size_mb=self.rubric.limits.file_size_mb,
        )
