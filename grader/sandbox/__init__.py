"""Running untrusted student code: a child process per part, limits, plain-data results."""

from grader.sandbox.isolation import Isolation, detect_isolation
from grader.sandbox.protocol import Job, MalformedOutput, ProbeResult, ProbeStatus
from grader.sandbox.runner import PartJob, PartRun, SandboxSettings, Zygote

__all__ = [
    "Isolation",
    "Job",
    "MalformedOutput",
    "PartJob",
    "PartRun",
    "ProbeResult",
    "ProbeStatus",
    "SandboxSettings",
    "detect_isolation",
    "Zygote",
]
