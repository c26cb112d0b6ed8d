"""Child-side observations, one module per assignment part.

Each module maps probe names to functions `probe(ctx) -> (values, arrays)`;
the child runs them in the order the job lists, one failure not stopping
the next.
"""

from __future__ import annotations

from grader.probes.common import Probe


def probes_for(part: str) -> dict[str, Probe]:
    """The probe table of one part (imported lazily: each child needs one part only)."""
    if part == "cnn":
        from grader.probes import cnn as module
    elif part == "srnet":
        from grader.probes import srnet as module
    elif part == "pixel_shuffle":
        from grader.probes import pixel_shuffle as module
    else:
        raise ValueError(f"unknown part {part!r}")
    return dict(module.PROBES)


def prepare_child(part: str) -> None:
    """What a part's child sets up before any student code runs: for Part 3, torch's own
    pixel shuffle poisoned at the dispatcher (`grader.probes.shuffle_poison`)."""
    if part == "pixel_shuffle":
        from grader.probes.shuffle_poison import install

        install()
