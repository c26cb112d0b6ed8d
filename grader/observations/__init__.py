"""What each probe reports, declared once as a typed dataclass per probe.

The child builds these (`grader.probes`), `grader.schema` carries them across
the sandbox boundary, and the checks (`grader.checks`) read them through
`Seen`, which decodes and validates each probe's result once. A probe's
result that does not fit its declaration costs the checks that read it,
with a message saying what was wrong, and nothing else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, TypeVar

from grader.sandbox.protocol import MalformedOutput, ProbeResult, ProbeStatus
from grader.schema import decode

if TYPE_CHECKING:  # the parent's type; the probes in the child import this package too
    from grader.sandbox.runner import PartRun

T = TypeVar("T")


class ProbeFailed(Exception):
    """The probe a check reads did not finish: it raised, timed out, or was not run."""

    def __init__(self, result: ProbeResult) -> None:
        super().__init__(result.message or f"the step '{result.name}' failed")
        self.result = result


class Seen:
    """One part's probe results as typed observations, decoded on first use.

    >>> seen.of(CnnBuild).n_params   # doctest: +SKIP
    28938
    """

    def __init__(self, run: PartRun) -> None:
        self.run = run
        self._decoded: dict[str, Any] = {}
        self._derived: dict[str, Any] = {}

    def of(self, kind: type[T]) -> T:
        """The observation of the probe `kind.PROBE`; ProbeFailed or MalformedOutput otherwise."""
        name = kind.PROBE  # type: ignore[attr-defined]
        if name not in self.run.probes:  # a step this grade leaves out (`check` runs fewer)
            raise ProbeFailed(ProbeResult(name, ProbeStatus.NOT_RUN, message=f"the step '{name}' was not run"))
        result = self.run.probe(name)
        if result.status is not ProbeStatus.OK:
            raise ProbeFailed(result)
        if name not in self._decoded:
            try:
                self._decoded[name] = decode(kind, result.values, result.arrays)
            except MalformedOutput as exc:
                self._decoded[name] = exc
        value = self._decoded[name]
        if isinstance(value, MalformedOutput):
            raise value
        return value  # type: ignore[no-any-return]

    def derived(self, key: str, compute: Callable[[], T]) -> T:
        """What the parent computes from this part's observations, computed once per grade and shared
        by the checks that read it (e.g. the trained model's evaluation, `grader.trained`).
        An exception is kept too, and raised again to every check that asks."""
        if key not in self._derived:
            try:
                self._derived[key] = compute()
            except Exception as exc:  # noqa: BLE001 - each asking check turns it into its result
                self._derived[key] = _Raised(exc)
        value = self._derived[key]
        if isinstance(value, _Raised):
            raise value.error
        return value  # type: ignore[no-any-return]

    def cached(self, key: str) -> Any:
        """A derived value if some check computed it, else None (an exception counts as None)."""
        value = self._derived.get(key)
        return None if isinstance(value, _Raised) else value

    def get(self, kind: type[T]) -> T | None:
        """The observation, or None when its probe did not finish (a malformed one still raises)."""
        try:
            return self.of(kind)
        except ProbeFailed:
            return None


class _Raised:
    def __init__(self, error: Exception) -> None:
        self.error = error


__all__ = ["MalformedOutput", "ProbeFailed", "Seen"]
