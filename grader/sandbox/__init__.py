"""Running untrusted student code: a child process per part, limits, plain-data results."""

from grader.sandbox.isolation import Isolation, detect_isolation
from grader.sandbox.protocol import Job, MalformedOutput, ProbeResult, ProbeStatus
from grader.sandbox.runner import ChildSettings, PartRun, run_part

__all__ = [
    "ChildSettings",
    "Isolation",
    "Job",
    "MalformedOutput",
    "PartRun",
    "ProbeResult",
    "ProbeStatus",
    "detect_isolation",
    "run_part",
]
