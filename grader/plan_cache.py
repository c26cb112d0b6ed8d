"""Work that depends only on the seed, the rubric and the data, computed once and kept on disk.

A part's prepared plan (inputs, expected answers, the data it draws on) is
the same for every submission of a course; a batch computes it once, and
later runs find it in the user's cache folder, keyed by grader version (and
the grader's own code), rubric, seed, device and data. It is stored as data,
never pickled: a JSON skeleton that names each value's type, plus one `.npz`
of arrays read with `allow_pickle=False`. Only dataclasses and enums of the
`grader` package are rebuilt, so whatever a planner produces (its fields
change as the grader grows) round-trips without this module knowing it.

Nothing here imports torch: a batch whose plans are cached never loads it
in the parent.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import importlib
import io
import json
import os
import threading
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Mapping

import numpy as np

import grader

FORMAT = 1  # bump when the encoding below changes
ENV_VAR = "CNN_GRADER_CACHE"
_ARRAY, _TUPLE, _DICT, _CLASS, _ENUM = "__array__", "__tuple__", "__dict__", "__dataclass__", "__enum__"


class CacheFormatError(ValueError):
    """A stored entry that cannot be rebuilt (damaged, or from another grader); it is recomputed."""


def cache_root() -> Path:
    """`$CNN_GRADER_CACHE`, else `$XDG_CACHE_HOME/cnn-grader`, else `~/.cache/cnn-grader`."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cnn-grader"


def encode(value: Any, arrays: dict[str, np.ndarray]) -> Any:
    """A JSON-able skeleton of `value`; its arrays go into `arrays` under fresh names.

    >>> arrays = {}
    >>> encode((1, np.zeros(2)), arrays)
    {'__tuple__': [1, {'__array__': 'a0'}]}
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return {_ENUM: _type_name(type(value)), "value": encode(value.value, arrays)}
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            raise TypeError("object arrays are not data")
        name = f"a{len(arrays)}"
        arrays[name] = value
        return {_ARRAY: name}
    if isinstance(value, np.generic):
        return value.item()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: encode(getattr(value, f.name), arrays) for f in dataclasses.fields(value)}
        return {_CLASS: _type_name(type(value)), "fields": fields}
    if isinstance(value, tuple):
        return {_TUPLE: [encode(v, arrays) for v in value]}
    if isinstance(value, list):
        return [encode(v, arrays) for v in value]
    if isinstance(value, Mapping):
        # Pairs, not an object: keys may be ints (one answer per upscale factor).
        kind = "proxy" if isinstance(value, MappingProxyType) else "dict"
        return {_DICT: [[encode(k, arrays), encode(v, arrays)] for k, v in value.items()], "kind": kind}
    raise TypeError(f"cannot store a {type(value).__name__} in the plan cache")


def decode(doc: Any, arrays: Mapping[str, np.ndarray]) -> Any:
    """Rebuild what `encode` wrote; raises CacheFormatError for anything else."""
    if doc is None or isinstance(doc, (bool, int, float, str)):
        return doc
    if isinstance(doc, list):
        return [decode(v, arrays) for v in doc]
    if not isinstance(doc, dict):
        raise CacheFormatError(f"unexpected {type(doc).__name__} in a cached plan")
    if _ARRAY in doc:
        try:
            return arrays[doc[_ARRAY]]
        except (KeyError, TypeError) as exc:
            raise CacheFormatError(f"a cached plan names a missing array {doc[_ARRAY]!r}") from exc
    if _TUPLE in doc:
        return tuple(decode(v, arrays) for v in doc[_TUPLE])
    if _DICT in doc:
        mapping = {_hashable(decode(k, arrays)): decode(v, arrays) for k, v in doc[_DICT]}
        return MappingProxyType(mapping) if doc.get("kind") == "proxy" else mapping
    if _ENUM in doc:
        kind = _grader_type(doc[_ENUM])
        if not (isinstance(kind, type) and issubclass(kind, enum.Enum)):
            raise CacheFormatError(f"{doc[_ENUM]} is not an enum")
        return kind(decode(doc["value"], arrays))
    if _CLASS in doc:
        kind = _grader_type(doc[_CLASS])
        if not dataclasses.is_dataclass(kind):
            raise CacheFormatError(f"{doc[_CLASS]} is not a dataclass")
        values = {name: decode(v, arrays) for name, v in doc["fields"].items()}
        if set(values) != {f.name for f in dataclasses.fields(kind)}:
            raise CacheFormatError(f"the fields of {doc[_CLASS]} changed")
        return kind(**values)
    raise CacheFormatError("an object of unknown kind in a cached plan")


def _hashable(key: Any) -> Any:
    return tuple(_hashable(k) for k in key) if isinstance(key, (list, tuple)) else key


def _type_name(kind: type) -> str:
    return f"{kind.__module__}:{kind.__qualname__}"


def _grader_type(name: Any) -> Any:
    """Only the grader's own types: a damaged or planted file cannot name any other class."""
    if not isinstance(name, str) or ":" not in name:
        raise CacheFormatError(f"bad type name {name!r}")
    module_name, _, qualname = name.partition(":")
    if module_name != "grader" and not module_name.startswith("grader."):
        raise CacheFormatError(f"{name} is not a grader type")
    try:
        target: Any = importlib.import_module(module_name)
        for attribute in qualname.split("."):
            target = getattr(target, attribute)
    except (ImportError, AttributeError) as exc:
        raise CacheFormatError(f"{name} no longer exists") from exc
    return target


def dumps(value: Any) -> tuple[bytes, bytes]:
    """`value` as (JSON bytes, npz bytes)."""
    arrays: dict[str, np.ndarray] = {}
    skeleton = encode(value, arrays)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    npz = buffer.getvalue()
    doc = {"format": FORMAT, "arrays_sha256": hashlib.sha256(npz).hexdigest(), "value": skeleton}
    return json.dumps(doc).encode("utf-8"), npz


def loads(doc_bytes: bytes, npz: bytes) -> Any:
    try:
        doc = json.loads(doc_bytes.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise CacheFormatError(f"not JSON: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CacheFormatError("another cache format")
    if doc.get("arrays_sha256") != hashlib.sha256(npz).hexdigest():
        raise CacheFormatError("the arrays file does not match its entry")
    try:
        with np.load(io.BytesIO(npz), allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (OSError, ValueError, EOFError) as exc:
        raise CacheFormatError(f"unreadable arrays: {exc}") from exc
    return decode(doc.get("value"), arrays)


class PlanCache:
    """Prepared plans by key: in memory for this process, on disk across runs (when `folder`).

    Safe to share between the threads of a batch: each key is computed once.
    """

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._values: dict[str, Any] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self.hits = self.misses = 0  # disk hits and computations, for the batch's summary

    def get(self, key: str, make: Callable[[], Any]) -> Any:
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._values:
                value = self._read(key)
                if value is None:
                    value = make()
                    self.misses += 1
                    self._write(key, value)
                else:
                    self.hits += 1
                self._values[key] = value
            return self._values[key]

    def _paths(self, key: str) -> tuple[Path, Path]:
        assert self.folder is not None
        return self.folder / f"{key}.json", self.folder / f"{key}.npz"

    def _read(self, key: str) -> Any:
        if self.folder is None:
            return None
        doc_path, npz_path = self._paths(key)
        try:
            return loads(doc_path.read_bytes(), npz_path.read_bytes())
        except (OSError, CacheFormatError, TypeError, ValueError):
            return None  # absent or damaged: computed again and rewritten

    def _write(self, key: str, value: Any) -> None:
        if self.folder is None:
            return
        try:
            doc, npz = dumps(value)
            self.folder.mkdir(parents=True, exist_ok=True)
            doc_path, npz_path = self._paths(key)
            # The arrays first, the JSON entry last: an entry is complete once its JSON exists.
            for path, data in ((npz_path, npz), (doc_path, doc)):
                tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
                tmp.write_bytes(data)
                os.replace(tmp, path)
        except (OSError, TypeError):
            pass  # a read-only or full cache folder costs time, never a grade


def cache_key(parts: Mapping[str, Any]) -> str:
    """A key over the grader's version and code and the given settings (any JSON-able values)."""
    doc = {"grader": grader.__version__, "code": code_digest(), **parts}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode("utf-8")).hexdigest()[:32]


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """sha256 of the grader's own source files: a developer's edit invalidates cached plans."""
    root = Path(grader.__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode("utf-8"))
        digest.update(path.read_bytes())
    return digest.hexdigest()


def data_stamp(*roots: Path | None) -> list[Any]:
    """What the data a plan draws on is: the embedded sets' package versions, or each given
    folder's files with their sizes and modification times."""
    from importlib import metadata

    stamp: list[Any] = []
    for package in ("mlxtend", "scikit-image"):
        try:
            stamp.append([package, metadata.version(package)])
        except metadata.PackageNotFoundError:
            stamp.append([package, None])
    for root in roots:
        if root is None:
            stamp.append(None)
            continue
        files = []
        for path in sorted(Path(root).rglob("*")):
            try:
                info = path.stat()
            except OSError:
                continue
            if path.is_file():
                files.append([str(path.relative_to(root)), info.st_size, info.st_mtime_ns])
        stamp.append([str(Path(root).resolve()), files])
    return stamp
