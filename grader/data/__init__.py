"""Data sets for the training checks: embedded by default, real folders on request."""

from grader.data.errors import DataError

__all__ = ["DataError"]
