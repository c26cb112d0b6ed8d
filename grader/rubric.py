"""The rubric: points, thresholds, training budgets and limits, in one TOML file.

The default rubric ships with the package (`grader/rubric.toml`); an
instructor's own file replaces it with `--rubric FILE`. A rubric must name
every check the grader knows, with only the parameters that check declares,
so that a typo is an error instead of a silently ignored setting. Its
optional `[selfcheck]` table says how `cnn-grader check` runs the visible
checks (public seed, smaller budgets); without it the shipped one applies.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from grader.check_spec import CheckSpec
from grader.results import PARTS
from grader.sandbox.limits import Limits

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

VISIBILITIES = ("visible", "hidden", "after_due_date")
_GRADING_KEYS = {"seed": int, "threads": int, "workers": int}
_LIMIT_KEYS = {"memory_mb": int, "file_size_mb": int, "output_kb": int, "processes": int}
# Used where a rubric leaves a limit out: a few GiB of address space (torch alone maps about 3),
# files and output far beyond an honest submission's, room for data-loader workers.
LIMIT_DEFAULTS = {"memory_mb": 4096, "file_size_mb": 256, "output_kb": 64, "processes": 64}
DTYPES = ("float32", "float64")


class RubricError(ValueError):
    """A rubric that cannot be used; the message says which key and why."""


@dataclass(frozen=True)
class SelfCheck:
    """How `cnn-grader check` runs: its own public seed, a time limit per part,
    and check parameters replaced to make the training runs short."""

    seed: int
    timeout_s: float
    overrides: Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True)
class Rubric:
    """A validated rubric; build it with `load_rubric` or `rubric_from_dict`."""

    seed: int
    threads: int
    workers: int
    limits: Limits
    checks: Mapping[str, CheckSpec]
    source: str
    selfcheck: SelfCheck = SelfCheck(0, 60.0, MappingProxyType({}))

    def for_part(self, part: str) -> tuple[CheckSpec, ...]:
        return tuple(spec for spec in self.checks.values() if spec.part == part)

    def spec(self, name: str) -> CheckSpec:
        return self.checks[name]


def default_rubric_text() -> str:
    return resources.files("grader").joinpath("rubric.toml").read_text(encoding="utf-8")


def declared_params() -> Mapping[str, Mapping[str, type]]:
    """Check name -> its parameters and their types, in report order, as the shipped rubric has them.

    The shipped rubric is the schema of every other: a check it does not name
    does not exist, and a parameter takes the type of the shipped value. Read
    from the file, not from `grader.checks`, so that loading a rubric loads
    no check (tests/checks/test_declarations.py holds the two together).

    >>> declared_params()["cnn.accuracy"]["steps"]
    <class 'int'>
    """
    checks = tomllib.loads(default_rubric_text())["checks"]
    kinds = (bool, int, float, str, list)  # bool before int: TOML's true is not a number
    return MappingProxyType({
        name: MappingProxyType({key: next(k for k in kinds if isinstance(value, k))
                                for key, value in table.items() if key not in ("points", "visibility")})
        for name, table in checks.items()
    })  # fmt: skip


def load_rubric(path: Path | None = None) -> Rubric:
    """Read and validate a rubric file; `None` gives the shipped default.

    >>> load_rubric().spec("cnn.accuracy").points
    4.0
    """
    doc, source = read_rubric_doc(path)
    return rubric_from_dict(doc, source)


def read_rubric_doc(path: Path | None = None) -> tuple[dict[str, Any], str]:
    """The parsed TOML of a rubric file (`None`: the default) and its source name, not yet validated.

    >>> read_rubric_doc()[0]["grading"]["threads"]
    1
    """
    if path is None:
        text, source = default_rubric_text(), "default"
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise RubricError(f"cannot read rubric {path}: {exc}") from exc
        source = str(path)
    try:
        return tomllib.loads(text), source
    except tomllib.TOMLDecodeError as exc:
        raise RubricError(f"rubric {source} is not valid TOML: {exc}") from exc


def rubric_from_dict(doc: Mapping[str, Any], source: str = "<dict>") -> Rubric:
    """Validate a parsed rubric document against the checks the grader declares."""
    declared = declared_params()
    _only_keys(doc, {"grading", "limits", "checks", "selfcheck"}, "the rubric")
    grading = _table(doc, "grading")
    _only_keys(grading, set(_GRADING_KEYS), "[grading]")
    for key, kind in _GRADING_KEYS.items():
        _typed(grading, key, kind, "[grading]")
    if grading["threads"] < 1:
        raise RubricError("[grading] threads must be at least 1")
    if grading["workers"] < 0:
        raise RubricError("[grading] workers must be 0 (automatic) or more")
    limits = _limits(_table(doc, "limits"))
    checks_doc = _table(doc, "checks")
    unknown = sorted(set(checks_doc) - set(declared))
    if unknown:
        raise RubricError(f"unknown check(s) in [checks]: {', '.join(unknown)}")
    missing = [name for name in declared if name not in checks_doc]
    if missing:
        raise RubricError(f"missing check(s) in [checks]: {', '.join(missing)}")
    checks = {name: _check(name, checks_doc[name], declared[name]) for name in declared}
    selfcheck_doc = doc["selfcheck"] if "selfcheck" in doc else tomllib.loads(default_rubric_text())["selfcheck"]
    return Rubric(
        seed=grading["seed"],
        threads=grading["threads"],
        workers=grading["workers"],
        limits=limits,
        checks=MappingProxyType(checks),
        source=source,
        selfcheck=_selfcheck(selfcheck_doc, checks_doc, declared),
    )


def _selfcheck(table: Any, checks_doc: Mapping[str, Any], declared: Mapping[str, Mapping[str, type]]) -> SelfCheck:
    """Validate `[selfcheck]`; each override is checked as part of its check's table."""
    if not isinstance(table, Mapping):
        raise RubricError("[selfcheck] must be a table")
    _only_keys(table, {"seed", "timeout_s", "overrides"}, "[selfcheck]")
    _typed(table, "seed", int, "[selfcheck]")
    _typed(table, "timeout_s", float, "[selfcheck]")
    if table["timeout_s"] <= 0:
        raise RubricError("[selfcheck] timeout_s must be positive")
    overrides_doc = table.get("overrides", {})
    if not isinstance(overrides_doc, Mapping):
        raise RubricError("[selfcheck.overrides] must be a table")
    unknown = sorted(set(overrides_doc) - set(declared))
    if unknown:
        raise RubricError(f"unknown check(s) in [selfcheck.overrides]: {', '.join(unknown)}")
    overrides = {}
    for name, override in overrides_doc.items():
        where = f'[selfcheck.overrides."{name}"]'
        if not isinstance(override, Mapping):
            raise RubricError(f"{where} must be a table")
        _only_keys(override, set(declared[name]), where)
        try:
            merged = _check(name, {**checks_doc[name], **override}, declared[name])
        except RubricError as exc:
            raise RubricError(f"{where}: {exc}") from None
        overrides[name] = MappingProxyType({key: merged.params[key] for key in override})
    return SelfCheck(table["seed"], float(table["timeout_s"]), MappingProxyType(overrides))


def _limits(table: Mapping[str, Any]) -> Limits:
    _only_keys(table, set(_LIMIT_KEYS) | {"timeout_s"}, "[limits]")
    table = {**LIMIT_DEFAULTS, **table}
    for key, kind in _LIMIT_KEYS.items():
        _typed(table, key, kind, "[limits]")
        if table[key] <= 0:
            raise RubricError(f"[limits] {key} must be positive")
    timeouts = _table(table, "timeout_s", where="[limits]")
    _only_keys(timeouts, set(PARTS), "[limits.timeout_s]")
    for part in PARTS:
        _typed(timeouts, part, float, "[limits.timeout_s]")
        if timeouts[part] <= 0:
            raise RubricError(f"[limits.timeout_s] {part} must be positive")
    return Limits(
        timeout_s=MappingProxyType({p: float(timeouts[p]) for p in PARTS}),
        **{key: table[key] for key in _LIMIT_KEYS},
    )


def _check(name: str, table: Any, params: Mapping[str, type]) -> CheckSpec:
    where = f'[checks."{name}"]'
    if not isinstance(table, Mapping):
        raise RubricError(f"{where} must be a table")
    _only_keys(table, set(params) | {"points", "visibility"}, where)
    _typed(table, "points", float, where)
    if table["points"] < 0:
        raise RubricError(f"{where} points must not be negative, got {table['points']}")
    visibility = table.get("visibility", "visible")
    if visibility not in VISIBILITIES:
        raise RubricError(f"{where} visibility must be one of {', '.join(VISIBILITIES)}")
    for key, kind in params.items():
        _typed(table, key, kind, where)
    for key, kind in params.items():
        if kind is list:
            _check_list(table[key], key, where)
    values = {key: _plain(table[key], params[key]) for key in params}
    for key in POSITIVE & values.keys():
        if not values[key] > 0:
            raise RubricError(f"{where} {key} must be positive, got {values[key]!r}")
    if "floor" in values and "threshold" in values and values["floor"] >= values["threshold"]:
        raise RubricError(f"{where} floor must be below threshold")
    return CheckSpec(name, float(table["points"]), visibility, MappingProxyType(values))


POSITIVE = {"steps", "batch_size", "checkpoint_every", "replay_segments", "replay_tolerance"}


def _check_list(value: list[Any], key: str, where: str) -> None:
    """Lists hold positive ints, (N, H, W) triples for `sizes`, dtype names for `dtypes`."""
    if not value:
        raise RubricError(f"{where} {key} must not be empty")
    for item in value:
        if key == "dtypes":
            ok = item in DTYPES
        elif key == "sizes":
            ok = isinstance(item, list) and len(item) == 3 and all(_positive_int(v) for v in item)
        else:
            ok = _positive_int(item)
        if not ok:
            raise RubricError(f"{where} {key} has an invalid entry {item!r}")


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _plain(value: Any, kind: type) -> Any:
    if kind is float:
        return float(value)
    if kind is list:
        return tuple(tuple(v) if isinstance(v, list) else v for v in value)
    return value


def _table(doc: Mapping[str, Any], key: str, where: str = "the rubric") -> Mapping[str, Any]:
    value = doc.get(key)
    if not isinstance(value, Mapping):
        raise RubricError(f"{where} needs a [{key}] table")
    return value


def _only_keys(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise RubricError(f"unknown key(s) in {where}: {', '.join(unknown)}")


def _typed(table: Mapping[str, Any], key: str, kind: type, where: str) -> None:
    if key not in table:
        raise RubricError(f"{where} is missing {key}")
    value = table[key]
    ok = {
        int: isinstance(value, int) and not isinstance(value, bool),
        float: isinstance(value, (int, float)) and not isinstance(value, bool),
        str: isinstance(value, str),
        bool: isinstance(value, bool),
        list: isinstance(value, list),
    }[kind]
    if not ok:
        raise RubricError(f"{where} {key} must be {kind.__name__}, got {value!r}")
