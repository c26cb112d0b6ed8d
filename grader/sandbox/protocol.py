"""What crosses between the grader and a child process, and how it is checked.

Everything is plain data in files of the part's io folder: `job.json` and,
one probe at a time, `in/NAME.npz` from the parent (see
`grader.sandbox.feed`); per probe `out/NAME.json` (status, values,
message, notes) and `out/NAME.npz` (arrays) from the child. The parent never
unpickles and never lets a file it reads raise: JSON is parsed with size and
depth limits, bare NaN refused and every string cleaned (`grader.text`);
an archive's directory is bounded before it is opened, each `.npy` header is
parsed and its declared shape checked against the member's size before any
array is allocated, and only plain numeric dtypes are accepted; no file is
followed through a link or read past its limit. Whatever is wrong becomes
`MalformedOutput`, and `read_probe` turns that into an ERROR result.

Student code runs in the same process as the probes, so it could write
these files itself: what they say is an observation to check, never a
score. The parent compares them with answers the child never receives.
"""

from __future__ import annotations

import io
import json
import math
import os
import stat
import struct
import zipfile
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Mapping

from grader.text import clean, decode

if TYPE_CHECKING:  # imported where arrays are decoded or encoded: `check` starts its sandbox before it needs numpy
    import numpy as np

JOB_FILE = "job.json"
FEED_DIR = "in"  # the probes' inputs, released one by one
OUT_DIR = "out"
STARTED_FILE = "started"
MAX_JSON_BYTES = 1 << 20
MAX_ARRAY_BYTES = 128 << 20  # per probe; honest results are a few MiB
MAX_ARRAYS = 1000
MAX_MESSAGE_CHARS = 4000
MAX_NOTES = 20
MAX_JSON_DEPTH = 32  # honest results nest 5 levels deep
MAX_DIRECTORY_BYTES = MAX_ARRAYS * 1024  # an .npz's central directory: about 100 bytes per array
MAX_NPY_HEADER = 10_000  # numpy's own default
MAX_DIMS = 32
PLAIN_KINDS = "biuf"  # bool, signed and unsigned integers, floats
END_OF_DIRECTORY = b"PK\x05\x06"
ZIP64_LOCATOR = b"PK\x06\x07"


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
    notes: tuple[str, ...] = ()  # what the child noticed besides the result, e.g. a thread request

    @property
    def ok(self) -> bool:
        return self.status is ProbeStatus.OK


class MalformedOutput(ValueError):
    """The child's output does not have the promised form."""


def write_job(io_dir: Path, job: Job) -> None:
    for folder in (OUT_DIR, FEED_DIR):
        (io_dir / folder).mkdir(parents=True, exist_ok=True)
    (io_dir / JOB_FILE).write_text(job.to_json(), encoding="utf-8")


def read_probe(io_dir: Path, name: str) -> ProbeResult | None:
    """The result the child wrote for probe `name`, or None if it wrote none; never raises.

    A result file that exists but breaks the rules becomes an ERROR result
    saying what was wrong, so a hostile child cannot crash the parent (nor
    the feeder thread that reads results while the part runs).
    """
    try:
        return _read_probe(io_dir, name)
    except MalformedOutput as exc:
        why = str(exc)
    except Exception as exc:  # noqa: BLE001 - the last net: a hostile file must cost one result, not the grade
        why = f"{type(exc).__name__}: {exc}"
    message = f"unreadable result from the child: {clean(why)}"
    return ProbeResult(name, ProbeStatus.ERROR, message=message[:MAX_MESSAGE_CHARS])


def _read_probe(io_dir: Path, name: str) -> ProbeResult | None:
    raw = read_out_file(io_dir, f"{name}.json", MAX_JSON_BYTES)
    if raw is None:
        return None
    meta = _parse_json(raw, f"{name}.json")
    arrays = load_arrays(io_dir, f"{name}.npz")
    try:
        status = ProbeStatus(meta.get("status"))
    except ValueError as exc:
        raise MalformedOutput(f"status {meta.get('status')!r} is not a probe status") from exc
    if status not in (ProbeStatus.OK, ProbeStatus.ERROR):
        raise MalformedOutput(f"status {status.value!r} cannot come from the child")
    values = meta.get("values", {})
    message = meta.get("message", "")
    notes = meta.get("notes", [])
    if not isinstance(values, dict) or not isinstance(message, str):
        raise MalformedOutput("values must be an object and message a string")
    if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
        raise MalformedOutput("notes must be a list of strings")
    return ProbeResult(
        name, status, MappingProxyType(values), MappingProxyType(arrays), message[:MAX_MESSAGE_CHARS],
        tuple(n[:MAX_MESSAGE_CHARS] for n in notes[:MAX_NOTES]),
    )  # fmt: skip


def started_probes(io_dir: Path) -> list[str]:
    try:
        raw = read_out_file(io_dir, STARTED_FILE, MAX_JSON_BYTES, truncate=True)
    except MalformedOutput:
        return []
    return [line.strip() for line in decode(raw or b"").splitlines() if line.strip()]


def read_out_file(io_dir: Path, name: str, limit: int, truncate: bool = False) -> bytes | None:
    """The bytes of `out/NAME`, or None if absent.

    Student code can write into the out folder, so nothing in it is
    followed: no symlinked folder or file, no FIFO or device (reading one
    could block or never end), nothing larger than `limit` bytes.
    """
    try:
        folder = os.open(io_dir / OUT_DIR, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise MalformedOutput(f"the out folder was replaced ({exc.strerror})") from exc
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise MalformedOutput(f"{name} cannot be opened ({exc.strerror})") from exc
    finally:
        os.close(folder)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise MalformedOutput(f"{name} is not a regular file")
        if info.st_size > limit and not truncate:
            raise MalformedOutput(f"{name} is larger than {limit} bytes")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read(limit)
    except OSError as exc:
        raise MalformedOutput(f"{name} cannot be read ({exc.strerror})") from exc
    finally:
        os.close(fd)


def load_arrays(io_dir: Path, name: str) -> dict[str, np.ndarray]:
    """Load `out/NAME` (.npz) of plain numeric arrays, refusing pickles, odd dtypes and bombs."""
    raw = read_out_file(io_dir, name, MAX_ARRAY_BYTES)
    if raw is None:
        return {}
    try:
        return _decode_npz(raw, name)
    except MalformedOutput:
        raise
    except Exception as exc:  # noqa: BLE001 - zipfile, zlib and numpy raise many kinds on hostile bytes
        raise MalformedOutput(f"{name} is not a readable .npz archive ({type(exc).__name__}: {exc})") from exc


def _decode_npz(raw: bytes, name: str) -> dict[str, np.ndarray]:
    _check_directory(raw, name)
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        members = archive.infolist()
        if len(members) > MAX_ARRAYS:
            raise MalformedOutput(f"{name} holds more than {MAX_ARRAYS} arrays")
        # Declared sizes bound the work: zipfile stops at a member's declared size (and checks its CRC).
        if sum(info.file_size for info in members) > MAX_ARRAY_BYTES:
            raise MalformedOutput(f"{name} expands to more than {MAX_ARRAY_BYTES >> 20} MiB")
        arrays = {}
        for info in members:
            key = clean(info.filename)
            if not key.endswith(".npy"):
                raise MalformedOutput(f"{name}: member {key!r} is not an .npy array")
            with archive.open(info) as member:
                data = member.read(info.file_size + 1)
            arrays[key[: -len(".npy")]] = _decode_npy(data, f"{name}: array {key[:-4]!r}")
    return arrays


def _check_directory(raw: bytes, name: str) -> None:
    """Bound the archive's central directory before zipfile reads it: zipfile makes one object
    per entry it finds, however many the end record admits to (found as zipfile finds it)."""
    tail = len(raw) - 22
    if tail >= 0 and raw[tail : tail + 4] == END_OF_DIRECTORY and raw[-2:] == b"\0\0":
        end = tail
    else:
        end = raw.rfind(END_OF_DIRECTORY, max(0, len(raw) - 22 - 0xFFFF))
    if end < 0 or end + 22 > len(raw):
        raise MalformedOutput(f"{name} is not an .npz archive")
    if end >= 20 and raw[end - 20 : end - 16] == ZIP64_LOCATOR:
        raise MalformedOutput(f"{name} is a ZIP64 archive, which results never need")
    entries, size = struct.unpack_from("<HI", raw, end + 10)  # total entries, directory bytes
    if entries > MAX_ARRAYS or size > MAX_DIRECTORY_BYTES:
        raise MalformedOutput(f"{name} holds more than {MAX_ARRAYS} arrays")


def _decode_npy(data: bytes, label: str) -> np.ndarray:
    """One `.npy` member: the header parsed and checked (plain dtype, a shape whose size is
    the member's size) before the array is made from the bytes already read."""
    import numpy as np

    stream = io.BytesIO(data)
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream, max_header_size=MAX_NPY_HEADER)
    elif version == (2, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream, max_header_size=MAX_NPY_HEADER)
    else:
        raise MalformedOutput(f"{label} has .npy format version {version}, expected 1.0 or 2.0")
    if dtype.kind not in PLAIN_KINDS or dtype.fields is not None or dtype.hasobject or dtype.subdtype:
        raise MalformedOutput(f"{label} has dtype {dtype}, not a plain number type")
    if len(shape) > MAX_DIMS or not all(isinstance(n, int) and n >= 0 for n in shape):
        raise MalformedOutput(f"{label} declares the shape {shape}")
    count = math.prod(shape)
    size = count * dtype.itemsize
    offset = stream.tell()
    if size > MAX_ARRAY_BYTES or offset + size != len(data):
        raise MalformedOutput(f"{label} declares {dtype} {shape} ({size} bytes) but holds {len(data) - offset} bytes")
    flat = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
    return flat.reshape(shape, order="F" if fortran else "C").copy()


def _parse_json(raw: bytes, name: str) -> dict[str, Any]:
    try:
        doc = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except RecursionError as exc:  # nesting deep enough to exhaust the parser's stack
        raise MalformedOutput(f"{name} is nested too deeply") from exc
    except ValueError as exc:  # not UTF-8, not JSON, a number of more than 4300 digits
        raise MalformedOutput(f"{name} is not valid JSON ({exc})") from exc
    if not isinstance(doc, dict):
        raise MalformedOutput(f"{name} must hold a JSON object")
    return _cleaned(doc, name, 0)


def _cleaned(value: Any, name: str, depth: int) -> Any:
    """The parsed document with every string cleaned (no lone surrogates), at most MAX_JSON_DEPTH deep."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, (dict, list)) and depth >= MAX_JSON_DEPTH:
        raise MalformedOutput(f"{name} is nested more than {MAX_JSON_DEPTH} levels deep")
    if isinstance(value, dict):
        return {clean(key): _cleaned(item, name, depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        return [_cleaned(item, name, depth + 1) for item in value]
    return value


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


def encode_arrays(arrays: Mapping[str, np.ndarray]) -> bytes:
    """Arrays as the bytes of an .npz archive, each made contiguous (views of student tensors are not)."""
    import numpy as np

    buffer = io.BytesIO()
    np.savez(buffer, **{key: np.ascontiguousarray(value) for key, value in arrays.items()})
    return buffer.getvalue()


def write_probe(io_dir: Path, name: str, status: str, values: Mapping[str, Any],
                arrays: Mapping[str, np.ndarray], message: str, notes: list[str] | None = None) -> None:
    """Child side: arrays first, then the JSON, each renamed into place when complete."""
    out = io_dir / OUT_DIR
    if arrays:
        tmp = out / f".{name}.npz"
        tmp.write_bytes(encode_arrays(arrays))
        os.replace(tmp, out / f"{name}.npz")
    doc = {"status": status, "values": encode_value(dict(values)), "message": message[:MAX_MESSAGE_CHARS],
           "notes": list(notes or [])}
    tmp = out / f".{name}.json"
    tmp.write_text(json.dumps(doc), encoding="utf-8")
    os.replace(tmp, out / f"{name}.json")
