"""Check results and the report they add up to.

A `CheckResult` is one entry of `report.json`'s `tests` list; `asdict` gives
that entry directly. The results know nothing about any output format: the
writers in `grader.report` turn a `Report` into files.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from grader.visuals import Visual

PARTS: tuple[str, ...] = ("cnn", "srnet", "pixel_shuffle")


class Status(str, Enum):
    """How a check ended. `str` mixin so that JSON gets the plain value."""

    PASSED = "passed"
    PARTIAL = "partial"
    FAILED = "failed"
    ERROR = "error"
    TIMEOUT = "timeout"


@dataclass(frozen=True)
class Diagnosis:
    """The mistake a failed check most likely comes from, e.g.
    `Diagnosis("cnn.flatten_order", "the embedding is flattened channels-last ...")`.

    Found by comparing what the submission gave with the outputs of candidate
    mistakes computed in the parent (see `grader.diagnosis`). `kind` is a
    stable name for programs; `detail` a sentence for the student, which never
    quotes a hidden check's inputs or the reference's code.
    """

    kind: str
    detail: str


@dataclass(frozen=True)
class CheckResult:
    """One graded check, e.g. `CheckResult("cnn.output_shape", 2.0, 2.0, Status.PASSED)`."""

    name: str
    score: float
    max_score: float
    status: Status
    output: str = ""
    value: float | None = None  # the measured quantity, e.g. test accuracy, where there is one
    visibility: str = "visible"  # from the rubric: "visible", "hidden" or "after_due_date"
    diagnosis: Diagnosis | None = None  # the likely mistake, when a failed check can name it

    @property
    def part(self) -> str:
        return self.name.split(".", 1)[0]

    def to_dict(self) -> dict[str, Any]:
        entry = asdict(self)
        entry["status"] = self.status.value
        if self.diagnosis is None:  # the contract: present only when a mistake is named
            del entry["diagnosis"]
        return entry


@dataclass(frozen=True)
class WrittenAnswer:
    """A student's answer to a written question, for the instructor to grade by hand.

    It earns no automatic points and never changes `Report.score`; `state` is
    "answered", "unanswered" (the answer cell still holds its placeholder) or
    "missing" (no answer cell found; `text` then says why). `text` is cleaned
    and bounded by `grader.written`, but still the student's: escape it for
    each format.
    """

    question: str  # e.g. "cnn.tsne_evolution"; starts with its part
    title: str
    state: str
    text: str = ""

    @property
    def part(self) -> str:
        return self.question.split(".", 1)[0]

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "part": self.part, "grading": "manual", "automatic_points": 0}


@dataclass(frozen=True)
class PartTotal:
    """Subtotal of one assignment part."""

    part: str
    score: float
    max_score: float


@dataclass(frozen=True)
class Report:
    """Everything one grade produced; `score` is always the sum of the tests' scores."""

    submission: str
    grader_version: str
    device: str
    tests: tuple[CheckResult, ...]
    notes: tuple[str, ...] = ()
    duration_s: float = 0.0
    sandbox: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase
    hidden_checks: tuple[str, ...] = ()  # `check` only: the checks it did not run, named and nothing more
    written_answers: tuple[WrittenAnswer, ...] = ()  # graded by hand; not part of the score
    # The pictures (grader.visuals) that report.html draws; plain arrays, not part of report.json.
    visuals: tuple[Visual, ...] = field(default=(), compare=False, repr=False)

    @property
    def score(self) -> float:
        return round(sum(t.score for t in self.tests), 6)

    @property
    def max_score(self) -> float:
        return round(sum(t.max_score for t in self.tests), 6)

    def parts(self) -> tuple[PartTotal, ...]:
        totals = []
        for part in PARTS:
            tests = [t for t in self.tests if t.part == part]
            if tests:
                totals.append(
                    PartTotal(
                        part,
                        round(sum(t.score for t in tests), 6),
                        round(sum(t.max_score for t in tests), 6),
                    )
                )
        return tuple(totals)

    def to_dict(self) -> dict[str, Any]:
        """The `report.json` document: the contract's keys first, then extras."""
        return {
            "score": self.score,
            "max_score": self.max_score,
            "submission": self.submission,
            "grader_version": self.grader_version,
            "device": self.device,
            "tests": [t.to_dict() for t in self.tests],
            "parts": {p.part: {"score": p.score, "max_score": p.max_score} for p in self.parts()},
            "notes": list(self.notes),
            "duration_s": round(self.duration_s, 2),
            "sandbox": dict(self.sandbox),
            "timings": dict(self.timings),
            "hidden_checks": list(self.hidden_checks),
            "written_answers": [a.to_dict() for a in self.written_answers],
        }


def report_from_dict(doc: dict[str, Any]) -> Report:
    """Rebuild a `Report` from a `report.json` document (used to resume batches)."""
    tests = tuple(
        CheckResult(
            name=str(t["name"]),
            score=float(t["score"]),
            max_score=float(t["max_score"]),
            status=Status(t["status"]),
            output=str(t.get("output", "")),
            value=None if t.get("value") is None else float(t["value"]),
            visibility=str(t.get("visibility", "visible")),
            diagnosis=_diagnosis(t.get("diagnosis")),
        )
        for t in doc["tests"]
    )
    return Report(
        submission=str(doc["submission"]),
        grader_version=str(doc["grader_version"]),
        device=str(doc["device"]),
        tests=tests,
        notes=tuple(str(n) for n in doc.get("notes", ())),
        duration_s=float(doc.get("duration_s", 0.0)),
        sandbox=dict(doc.get("sandbox", {})),
        timings={str(k): float(v) for k, v in doc.get("timings", {}).items()},
        hidden_checks=tuple(str(n) for n in doc.get("hidden_checks", ())),
        written_answers=tuple(
            WrittenAnswer(str(a["question"]), str(a.get("title", "")), str(a.get("state", "")), str(a.get("text", "")))
            for a in doc.get("written_answers", ())
        ),
    )


def _diagnosis(entry: Any) -> Diagnosis | None:
    if not isinstance(entry, dict):
        return None
    return Diagnosis(str(entry.get("kind", "")), str(entry.get("detail", "")))
