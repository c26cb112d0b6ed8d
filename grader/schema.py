"""Typed, bounded decoding of what a child reports: the one boundary for probe results.

Every probe declares its result as a frozen dataclass (see
`grader.observations`). The child encodes an instance into plain JSON
values plus numpy arrays (`encode`); the parent decodes the JSON and the
arrays it read back into the same dataclass (`decode`), checking every
field against its annotation. Nothing else of the child's output reaches
a check, so a key cannot drift between probe and check, and a value of the
wrong type, an unexpected key or array, a missing field, an oversized list
or a string with lone surrogates is caught here, once.

Supported annotations: `bool`, `int`, `float` (the child spells NaN and the
infinities as the strings "nan", "inf", "-inf"), `str`, `X | None`,
`Literal[...]`, `tuple[T, ...]`, `dict[str, T]`, nested dataclasses, and
`np.ndarray` (an array of the .npz, named by its path: `cases/3/value`),
also as `np.ndarray | None`, `tuple[np.ndarray, ...]` and
`dict[str, np.ndarray]`.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from functools import lru_cache
from typing import Any, Literal, Mapping, TypeVar, Union

import numpy as np

from grader.sandbox.protocol import MalformedOutput
from grader.text import clean

T = TypeVar("T")

MAX_TEXT = 4000  # characters of one string (messages are cut, not refused)
MAX_ITEMS = 200_000  # entries of one list or object
MAX_DEPTH = 8  # nesting of values; every observation is shallower
MAX_INT = 1 << 62
NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
_MISSING = object()


def clean_text(text: str, limit: int = MAX_TEXT) -> str:
    """The text policy of `grader.text.clean` (lone surrogates become U+FFFD), at most `limit` characters.

    >>> clean_text("ok \\ud83d")
    'ok \\ufffd'
    """
    return clean(text[:limit] + "…" if len(text) > limit else text)


def decode(kind: type[T], values: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> T:
    """Build a `kind` from the child's JSON `values` and `arrays`; MalformedOutput if they do not fit.

    >>> @dataclasses.dataclass(frozen=True)
    ... class Seen:
    ...     losses: tuple[float, ...]
    >>> decode(Seen, {"losses": [1, "nan"]}, {}).losses
    (1.0, nan)
    """
    used: set[str] = set()
    result = _dataclass(kind, dict(values), arrays, "", used, 0)
    extra = sorted(set(arrays) - used)
    if extra:
        raise MalformedOutput(f"{kind.__name__}: unexpected array(s) {', '.join(map(repr, extra[:3]))}")
    return result


def encode(observation: Any) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The child's side of `decode`: JSON values and the arrays, by path.

    >>> @dataclasses.dataclass(frozen=True)
    ... class Seen:
    ...     loss: float
    ...     out: np.ndarray
    >>> values, arrays = encode(Seen(float("nan"), np.zeros(2)))
    >>> values, list(arrays)
    ({'loss': 'nan'}, ['out'])
    """
    arrays: dict[str, np.ndarray] = {}
    values = _encode(observation, "", arrays)
    return values, arrays


# ------------------------------------------------------------------ decoding


@lru_cache(maxsize=None)
def _hints(kind: type) -> dict[str, Any]:
    return typing.get_type_hints(kind)


def _dataclass(kind: type, node: Any, arrays: Mapping[str, np.ndarray], path: str, used: set[str], depth: int) -> Any:
    where = path or kind.__name__
    if not isinstance(node, dict):
        raise MalformedOutput(f"{where} must be an object, got {_kind_of(node)}")
    hints = _hints(kind)
    fields = dataclasses.fields(kind)
    json_fields = {f.name for f in fields if not _array_only(hints[f.name])}
    unexpected = sorted(set(node) - json_fields, key=str)
    if unexpected:
        raise MalformedOutput(f"{where}: unexpected key(s) {', '.join(repr(clean_text(str(k), 40)) for k in unexpected[:3])}")
    kwargs = {}
    for field in fields:
        annotation = hints[field.name]
        child = f"{path}/{field.name}" if path else field.name
        if _array_only(annotation):
            kwargs[field.name] = _arrays(annotation, arrays, child, used)
        elif field.name in node:
            kwargs[field.name] = _value(annotation, node[field.name], arrays, child, used, depth + 1)
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise MalformedOutput(f"{where}: missing key {field.name!r}")
    return kind(**kwargs)


def _value(annotation: Any, node: Any, arrays: Mapping[str, np.ndarray], path: str, used: set[str],
           depth: int) -> Any:  # fmt: skip
    if depth > MAX_DEPTH:
        raise MalformedOutput(f"{path}: nested too deeply")
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if annotation is bool:
        if isinstance(node, bool):
            return node
    elif annotation is int:
        if isinstance(node, int) and not isinstance(node, bool) and abs(node) <= MAX_INT:
            return node
    elif annotation is float:
        if isinstance(node, (int, float)) and not isinstance(node, bool):
            return float(node)
        if isinstance(node, str) and node in NON_FINITE:
            return NON_FINITE[node]
    elif annotation is str:
        if isinstance(node, str):
            return clean_text(node)
    elif annotation is type(None):
        if node is None:
            return None
    elif origin in (Union, types.UnionType):
        for option in args:
            try:
                return _value(option, node, arrays, path, used, depth)
            except MalformedOutput:
                continue
    elif origin is Literal:
        if any(node == option and type(node) is type(option) for option in args):
            return node
    elif origin is tuple:
        if isinstance(node, list):
            _bounded(node, path)
            if len(args) == 2 and args[1] is Ellipsis:
                return tuple(_value(args[0], item, arrays, f"{path}/{i}", used, depth + 1) for i, item in enumerate(node))
            if len(node) == len(args):
                return tuple(_value(a, item, arrays, f"{path}/{i}", used, depth + 1)
                             for i, (a, item) in enumerate(zip(args, node)))  # fmt: skip
    elif origin is dict:
        if isinstance(node, dict):
            _bounded(node, path)
            return {clean_text(str(k), 200): _value(args[1], item, arrays, f"{path}/{k}", used, depth + 1)
                    for k, item in node.items()}  # fmt: skip
    elif dataclasses.is_dataclass(annotation):
        return _dataclass(annotation, node, arrays, path, used, depth)
    raise MalformedOutput(f"{path}: expected {_name(annotation)}, got {_kind_of(node)}")


def _array_only(annotation: Any) -> bool:
    """ndarray, ndarray | None, tuple[ndarray, ...], dict[str, ndarray]: held in the .npz only."""
    if annotation is np.ndarray:
        return True
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (Union, types.UnionType):
        return set(args) == {np.ndarray, type(None)}
    if origin is tuple:
        return args == (np.ndarray, Ellipsis)
    if origin is dict:
        return args == (str, np.ndarray)
    return False


def _arrays(annotation: Any, arrays: Mapping[str, np.ndarray], path: str, used: set[str]) -> Any:
    origin = typing.get_origin(annotation)
    if annotation is np.ndarray or origin in (Union, types.UnionType):
        if path in arrays:
            used.add(path)
            return arrays[path]
        if annotation is np.ndarray:
            raise MalformedOutput(f"missing array {path!r}")
        return None
    prefix = path + "/"
    found = {key[len(prefix) :]: value for key, value in arrays.items() if key.startswith(prefix)}
    if any("/" in key for key in found):
        raise MalformedOutput(f"{path}: array names nested too deeply")
    used.update(prefix + key for key in found)
    if origin is dict:
        return dict(sorted(found.items()))
    if set(found) != {str(i) for i in range(len(found))}:
        raise MalformedOutput(f"{path}: arrays must be numbered 0..{len(found) - 1}")
    return tuple(found[str(i)] for i in range(len(found)))


def _bounded(node: list[Any] | dict[Any, Any], path: str) -> None:
    if len(node) > MAX_ITEMS:
        raise MalformedOutput(f"{path}: more than {MAX_ITEMS} entries")


def _kind_of(node: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(node), "a number" if isinstance(node, (int, float)) else type(node).__name__)


def _name(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) or str(annotation).replace("typing.", "")


# ------------------------------------------------------------------ encoding


def _encode(value: Any, path: str, arrays: dict[str, np.ndarray]) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        doc = {}
        for field in dataclasses.fields(value):
            item = getattr(value, field.name)
            child = f"{path}/{field.name}" if path else field.name
            if _array_only(_hints(type(value))[field.name]):
                _encode_arrays(item, child, arrays)
            else:
                doc[field.name] = _encode(item, child, arrays)
        return doc
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {str(k): _encode(v, f"{path}/{k}", arrays) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v, f"{path}/{i}", arrays) for i, v in enumerate(value)]
    return value


def _encode_arrays(item: Any, path: str, arrays: dict[str, np.ndarray]) -> None:
    if item is None:
        return
    if isinstance(item, np.ndarray):
        arrays[path] = item
    elif isinstance(item, dict):
        arrays.update({f"{path}/{key}": value for key, value in item.items()})
    else:
        arrays.update({f"{path}/{i}": value for i, value in enumerate(item)})
