"""cnn-grader: grades the 'Intro to CNNs in PyTorch' assignment without trusting it.

>>> from grader import grade, GradeOptions        # doctest: +SKIP
>>> report = grade("reference", GradeOptions())    # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["CheckResult", "GradeOptions", "Report", "Status", "__version__", "grade"]

if TYPE_CHECKING:
    from grader.grading import grade
    from grader.options import GradeOptions
    from grader.results import CheckResult, Report, Status


def __getattr__(name: str) -> Any:
    # Lazy: the child process imports this package and must not pay for torch twice.
    if name == "grade":
        from grader.grading import grade

        return grade
    if name == "GradeOptions":
        from grader.options import GradeOptions

        return GradeOptions
    if name in ("CheckResult", "Report", "Status"):
        from grader import results

        return getattr(results, name)
    raise AttributeError(f"module 'grader' has no attribute {name!r}")
