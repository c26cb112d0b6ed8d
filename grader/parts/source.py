"""Where a part's code is, once the submission is staged: what staging hands the planners.

Its own module, free of numpy and the data: staging runs before `check` starts its sandbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PartSource:
    """Where a part's code is: a file of the staged submission folder.

    `combined` is true when one file holds all three parts (a notebook, a
    Colab export), so static reading must skip the other parts' classes.
    """

    module: str
    path: Path
    combined: bool = False
