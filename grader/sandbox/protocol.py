"""What crosses between the grader and a child process, and how it is checked.

Everything is plain data in files of the part's io folder: `job.json` and
`inputs.npz` from the parent; per probe `out/NAME.json` (status, values,
message) and `out/NAME.npz` (arrays) from the child. The parent never
unpickles: JSON is parsed with size limits, arrays are loaded with
`allow_pickle=False` and must have a plain numeric dtype.
"""

from __future__ import annotations

import json
import math
import os
import zipfile
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np

JOB_FILE = "job.json"
INPUTS_FILE = "inputs.npz"
OUT_DIR = "out"
STARTED_FILE = "started"
MAX_JSON_BYTES = 1 << 20
MAX_ARRAY_BYTES = 512 << 20
MAX_MESSAGE_CHARS = 4000
PLAIN_KINDS = "biuf"  # bool, signed and unsigned integers, floats


class ProbeStatus(str, Enum):
    OK = "ok"
    ERROR = "error"  # the student's code raised, or gave something unusable
    TIMEOUT = "timeout"  # the part's time ran out during this probe
    CRASHED = "crashed"  # the child process died during this probe
    NOT_RUN = "not_run"  # an earlier probe stopped the part


@dataclass(frozen=True)
class Job:
    """One part's work order for the child: which module, which probes, which settings."""

    part: str
    module: str  # file name inside the scratch folder, e.g. "cnn.py"
    probes: tuple[str, ...]
    config: Mapping[str, Any]
    device: str
    threads: int
    memory_mb: int
    file_size_mb: int

    def to_json(self) -> str:
        doc = {
            "part": self.part,
            "module": self.module,
            "probes": list(self.probes),
            "config": dict(self.config),
            "device": self.device,
            "threads": self.threads,
            "memory_mb": self.memory_mb,
            "file_size_mb": self.file_size_mb,
        }
        return json.dumps(doc)

    @staticmethod
    def from_json(text: str) -> "Job":
        doc = json.loads(text)
        return Job(
            part=doc["part"],
            module=doc["module"],
            probes=tuple(doc["probes"]),
            config=doc["config"],
            device=doc["device"],
            threads=int(doc["threads"]),
            memory_mb=int(doc["memory_mb"]),
            file_size_mb=int(doc["file_size_mb"]),
        )


@dataclass(frozen=True)
class ProbeResult:
    """What one probe observed, already validated as plain data."""

    name: str
    status: ProbeStatus
    values: Mapping[str, Any] = field(default_factory=dict)
    arrays: Mapping[str, np.ndarray] = field(default_factory=dict)
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status is ProbeStatus.OK


class MalformedOutput(ValueError):
    """The child's output does not have the promised form."""


def write_inputs(io_dir: Path, job: Job, arrays: Mapping[str, np.ndarray]) -> None:
    (io_dir / OUT_DIR).mkdir(parents=True, exist_ok=True)
    (io_dir / JOB_FILE).write_text(job.to_json(), encoding="utf-8")
    np.savez(io_dir / INPUTS_FILE, **{k: np.ascontiguousarray(v) for k, v in arrays.items()})


def read_probe(io_dir: Path, name: str) -> ProbeResult | None:
    """The result the child wrote for probe `name`, or None if it wrote none.

    A result file that exists but breaks the rules becomes an ERROR result
    saying what was wrong, so a hostile child cannot crash the parent.
    """
    meta_path = io_dir / OUT_DIR / f"{name}.json"
    if not meta_path.is_file():
        return None
    try:
        meta = _read_json(meta_path)
        arrays_path = io_dir / OUT_DIR / f"{name}.npz"
        arrays = load_arrays(arrays_path) if arrays_path.is_file() else {}
        status = ProbeStatus(meta.get("status"))
        if status not in (ProbeStatus.OK, ProbeStatus.ERROR):
            raise MalformedOutput(f"status {status.value!r} cannot come from the child")
        values = meta.get("values", {})
        message = meta.get("message", "")
        if not isinstance(values, dict) or not isinstance(message, str):
            raise MalformedOutput("values must be an object and message a string")
    except (MalformedOutput, ValueError, OSError) as exc:
        return ProbeResult(name, ProbeStatus.ERROR, message=f"unreadable result from the child: {exc}")
    return ProbeResult(
        name, status, MappingProxyType(values), MappingProxyType(arrays), message[:MAX_MESSAGE_CHARS]
    )


def started_probes(io_dir: Path) -> list[str]:
    path = io_dir / OUT_DIR / STARTED_FILE
    try:
        text = path.read_text(encoding="utf-8", errors="replace")[:MAX_JSON_BYTES]
    except OSError:
        return []
    return [line.strip() for line in text.splitlines() if line.strip()]


def load_arrays(path: Path) -> dict[str, np.ndarray]:
    """Load an .npz of plain numeric arrays, refusing pickles, odd dtypes and bombs."""
    if path.stat().st_size > MAX_ARRAY_BYTES:
        raise MalformedOutput(f"{path.name} is larger than {MAX_ARRAY_BYTES >> 20} MiB")
    try:
        with zipfile.ZipFile(path) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise MalformedOutput(f"{path.name} is not an .npz archive") from exc
    if expanded > MAX_ARRAY_BYTES:
        raise MalformedOutput(f"{path.name} expands to more than {MAX_ARRAY_BYTES >> 20} MiB")
    arrays = {}
    with np.load(path, allow_pickle=False) as archive:
        for key in archive.files:
            array = archive[key]
            if array.dtype.kind not in PLAIN_KINDS or array.dtype.fields is not None:
                raise MalformedOutput(f"array {key!r} has dtype {array.dtype}, not a plain number type")
            arrays[key] = array
    return arrays


def _read_json(path: Path) -> dict[str, Any]:
    if path.stat().st_size > MAX_JSON_BYTES:
        raise MalformedOutput(f"{path.name} is larger than {MAX_JSON_BYTES} bytes")
    doc = json.loads(path.read_text(encoding="utf-8"), parse_constant=_reject_constant)
    if not isinstance(doc, dict):
        raise MalformedOutput(f"{path.name} must hold a JSON object")
    return doc


def _reject_constant(name: str) -> float:
    # NaN and Infinity are spelled as strings by the child, so bare ones are forged.
    raise MalformedOutput(f"bare {name} in JSON")


def encode_value(value: Any) -> Any:
    """Make floats JSON-safe: NaN and infinities become the strings 'nan', 'inf', '-inf'."""
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {str(k): encode_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode_value(v) for v in value]
    return value


def write_probe(io_dir: Path, name: str, status: str, values: Mapping[str, Any],
                arrays: Mapping[str, np.ndarray], message: str) -> None:
    """Child side: arrays first, then the JSON, each renamed into place when complete."""
    out = io_dir / OUT_DIR
    if arrays:
        tmp = out / f".{name}.npz"
        with open(tmp, "wb") as handle:
            np.savez(handle, **{k: np.ascontiguousarray(v) for k, v in arrays.items()})
        os.replace(tmp, out / f"{name}.npz")
    doc = {"status": status, "values": encode_value(dict(values)), "message": message[:MAX_MESSAGE_CHARS]}
    tmp = out / f".{name}.json"
    tmp.write_text(json.dumps(doc), encoding="utf-8")
    os.replace(tmp, out / f"{name}.json")
