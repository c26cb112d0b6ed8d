"""What the red-team tests need: the expectations file, the submissions, the machine's state.

Each folder under `tests/hostile/` holds the files of one hostile submission
that differ from `reference/` (or, for zips, the name of a builder below)
and an `expect.toml` saying what the grader must still do with it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import stat
import struct
import time
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from grader.grading import Session
from grader.oracle import CNN_SHAPES, as_tensors, cnn_forward, random_params
from grader.results import PARTS
from grader.rubric import Rubric, rubric_from_dict, tomllib
from grader.sandbox.isolation import Isolation, detect_isolation
from grader.sandbox.processes import PROC, descendants, process_table
from grader.sandbox.runner import MARKER_VARIABLE
from grader.training import classifier_loss, classifier_recipe, epoch_order, fit
from tests.conftest import FAST_RUBRIC, REFERENCE

HOSTILE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Expectation:
    """An `expect.toml`: the situation (part, limits, isolation) and the outcome to assert."""

    part: str
    all_parts: bool = False
    file: str = "pixel_shuffle.py"
    isolation: str = "auto"  # "auto": the best this machine has; "unshare" or "none" to force a fallback
    cgroups: bool = True
    timeout_s: float | None = None
    limits: Mapping[str, int] = field(default_factory=dict)
    part_score: float | None = None
    max_part_score: float | None = None
    loses: tuple[str, ...] = ()
    status: Mapping[str, str] = field(default_factory=dict)
    output: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    log: Mapping[str, str] = field(default_factory=dict)
    zip: str = ""  # a zip builder below
    build: str = ""  # any builder below (zips, notebooks): the submission is what it returns
    submission: str = ""  # the name the report must give the submission
    submit: str = ""  # a file of the overlay to grade instead of the folder (a notebook next to the parts)
    secrets: bool = False
    canary: bool = False
    network: bool = False
    train_steps: int | None = None  # the training checks' budget, where the fast rubric's is not the point
    answers: bool = False  # the case gets `answers.npz`: the held-out data and its answers, "built at home"

    @staticmethod
    def read(folder: Path) -> "Expectation":
        doc = tomllib.loads((folder / "expect.toml").read_text(encoding="utf-8"))
        limits = {key: doc.pop(key) for key in ("memory_mb", "processes", "output_kb", "file_size_mb") if key in doc}
        doc["loses"] = tuple(doc.get("loses", ()))
        doc["notes"] = tuple(doc.get("notes", ()))
        return Expectation(limits=limits, **doc)

    @property
    def parts(self) -> tuple[str, ...]:
        return PARTS if self.all_parts else (self.part,)


def hostile_rubric(expect: Expectation) -> Rubric:
    """The fast test rubric, smaller still where full marks are not at stake, and the case's limits.

    Fewer PixelShuffle inputs and retraining steps (the reference still earns full marks);
    a short CNN training when only the CNN part is graded (the hostile CNNs cannot train).
    """
    doc: dict[str, Any] = tomllib.loads(FAST_RUBRIC.read_text(encoding="utf-8"))
    doc["checks"]["pixel_shuffle.matches_torch"].update(factors=[2, 3], channels=[1, 2], dims=[4, 5])
    doc["checks"]["pixel_shuffle.retrain_identical"].update(steps=2, bank_size=16)
    if expect.parts == ("cnn",):
        doc["checks"]["cnn.accuracy"].update(steps=10)
    if expect.train_steps is not None:
        doc["checks"]["cnn.accuracy"].update(steps=expect.train_steps)
        doc["checks"]["srnet.psnr"].update(steps=expect.train_steps)
    doc["limits"].update(expect.limits)
    if expect.timeout_s is not None:
        doc["limits"]["timeout_s"][expect.part] = expect.timeout_s
    return rubric_from_dict(doc, f"hostile rubric for {expect.part}")


def session_for(base: Session, expect: Expectation, isolations: dict[tuple[str, bool], Isolation]) -> Session:
    """The shared session (data and memo loaded once) with this case's rubric, parts and isolation."""
    key = (expect.isolation, expect.cgroups)
    if key not in isolations:
        kinds = ("bwrap", "unshare", "none") if expect.isolation == "auto" else (expect.isolation,)
        isolations[key] = detect_isolation(kinds, cgroups=expect.cgroups)
    options = replace(base.options, parts=expect.parts)
    return replace(base, rubric=hostile_rubric(expect), options=options, isolation=isolations[key])


def build_overlay(case: Path, dest: Path, hostile: Mapping[str, Any], extra: Mapping[str, bytes] | None = None) -> Path:
    """The reference with the case's files copied over byte for byte (some are not UTF-8),
    and any `extra` files the case asks the harness to make."""
    shutil.copytree(REFERENCE, dest, ignore=shutil.ignore_patterns("__pycache__"))
    for item in case.iterdir():
        if item.name != "expect.toml":
            shutil.copyfile(item, dest / item.name)
    (dest / "hostile.json").write_text(json.dumps(hostile), encoding="utf-8")
    for name, data in (extra or {}).items():
        (dest / name).write_bytes(data)
    return dest


def answers(session: Session) -> bytes:
    """`answers.npz`: what a student can prepare at home from the public data sets, as a file.

    The held-out digits' labels under a hash of their pixels (`digit_keys`, `digit_labels`), the
    held-out photos' low-resolution inputs and high-resolution Y at the test rubric's factor and
    crop (`photo_low{i}`, `photo_high{i}`, uint8), and CNN weights trained beforehand (`cnn/NAME`).
    """
    digits = session.data.digits
    keys = [digit_key(image) for image in digits.test_images]
    spec = session.rubric.spec("srnet.psnr")
    photos = session.data.test_images(int(spec.param("factor")), int(spec.param("max_side")))
    arrays = {"digit_keys": np.array(keys, dtype=np.int64), "digit_labels": digits.test_labels.astype(np.int64)}
    for index, photo in enumerate(photos):  # both are uint8 images / 255
        arrays[f"photo_low{index}"] = np.rint(photo.low * 255.0).astype(np.uint8)
        arrays[f"photo_high{index}"] = np.rint(photo.high * 255.0).astype(np.uint8)
    arrays.update({f"cnn/{name}": value for name, value in pretrained_cnn(session).items()})
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def digit_key(image: np.ndarray) -> int:
    """The key the hostile CNNs look digits up by: a hash of the uint8 pixels."""
    return int.from_bytes(hashlib.sha1(np.ascontiguousarray(image, dtype=np.uint8).tobytes()).digest()[:8], "little",
                          signed=True)  # fmt: skip


def pretrained_cnn(session: Session, steps: int = 150) -> dict[str, np.ndarray]:
    """The contract's CNN trained on the training digits: weights a student could bring along."""
    key = ("hostile-pretrained-cnn", steps)
    if key not in session.memo:
        digits = session.data.digits
        params = {name: t.requires_grad_() for name, t in as_tensors(random_params(CNN_SHAPES, seed=3)).items()}
        order = epoch_order(len(digits.train_images), steps, 64, seed=3)
        loss_of = classifier_loss(lambda x: cnn_forward(params, x), digits.train_images, digits.train_labels, "cpu")
        fit(loss_of, list(params.values()), classifier_recipe(1e-3, steps), order, "cpu")
        session.memo[key] = {name: t.detach().numpy().copy() for name, t in params.items()}
    return session.memo[key]


def tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_file() and not path.is_symlink():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def leftovers(token: str, markers: list[str], grace_s: float = 3.0) -> list[str]:
    """Live processes naming the case's token, or carrying the marker of a sandbox its grade started.

    Only this grade's: other grades may be running at the same time (a parallel test run).
    """
    deadline = time.monotonic() + grace_s
    while True:
        found = _sandbox_processes(token, markers)
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)  # processes killed a moment ago may still be exiting


def sandbox_markers(root: int) -> list[str]:
    """The sandbox markers (`CNN_GRADER_SANDBOX=...`) in the environments of `root`'s descendants:
    the sandboxes a grader process started and still runs, found from outside it."""
    prefix = f"{MARKER_VARIABLE}=".encode()
    found = set()
    for pid in descendants(process_table(), root):
        try:
            environ = (PROC / str(pid) / "environ").read_bytes()
        except OSError:
            continue
        found.update(entry.decode() for entry in environ.split(b"\0") if entry.startswith(prefix))
    return sorted(found)


def _sandbox_processes(token: str, markers: list[str]) -> list[str]:
    found = []
    entries = [marker.encode() + b"\0" for marker in markers]
    for pid, info in process_table().items():
        if info.zombie or pid == os.getpid():
            continue
        try:
            cmdline = (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            environ = b"\0" + (PROC / str(pid) / "environ").read_bytes()
        except OSError:
            continue
        if token in cmdline or any(b"\0" + entry in environ + b"\0" for entry in entries):
            found.append(f"{pid}: {cmdline[:200]}")
    return found


# ------------------------------------------------------------------ zip submissions


def _zip_with(dest: Path, extra: Callable[[zipfile.ZipFile], None], with_shuffle: bool = True) -> Path:
    """A zip of the reference's files plus whatever `extra` adds."""
    path = dest / "submission.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in sorted(REFERENCE.glob("*.py")):
            if with_shuffle or item.name != "pixel_shuffle.py":
                archive.write(item, item.name)
        extra(archive)
    return path


def zip_slip(dest: Path) -> Path:
    return _zip_with(dest, lambda z: z.writestr(zipfile.ZipInfo("../escaped.py"), "print('escaped')\n"))


def zip_absolute_path(dest: Path) -> Path:
    target = dest / "absolute-escape.py"
    return _zip_with(dest, lambda z: z.writestr(zipfile.ZipInfo(str(target)), "print('escaped')\n"))


def zip_symlink(dest: Path) -> Path:
    def add(archive: zipfile.ZipFile) -> None:
        link = zipfile.ZipInfo("pixel_shuffle.py")
        link.create_system = 3  # Unix: the mode bits below are read
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")

    return _zip_with(dest, add, with_shuffle=False)


def _zeros(archive: zipfile.ZipFile, name: str, size: int) -> None:
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w") as handle:
        chunk = bytes(1 << 20)
        for _ in range(size >> 20):
            handle.write(chunk)


def zip_bomb_ratio(dest: Path) -> Path:
    return _zip_with(dest, lambda z: _zeros(z, "weights.bin", 200 << 20))


def zip_bomb_one_entry(dest: Path) -> Path:
    return _zip_with(dest, lambda z: _zeros(z, "weights.bin", 20 << 20))


def zip_bomb_forged_size(dest: Path) -> Path:
    """50 MiB of zeros whose local and central headers both claim 1 KiB."""
    path = _zip_with(dest, lambda z: z.writestr(zipfile.ZipInfo("blob.bin"), bytes(50 << 20), zipfile.ZIP_DEFLATED))
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        offset = archive.getinfo("blob.bin").header_offset
    struct.pack_into("<I", data, offset + 22, 1024)  # local header: uncompressed size
    central = data.find(b"PK\x01\x02")
    while central >= 0:
        name_length = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46 : central + 46 + name_length] == b"blob.bin":
            struct.pack_into("<I", data, central + 24, 1024)  # central directory: uncompressed size
        central = data.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(data))
    return path


def zip_too_many_files(dest: Path) -> Path:
    def add(archive: zipfile.ZipFile) -> None:
        for index in range(2500):
            archive.writestr(f"notes/{index:04d}.txt", "x")

    return _zip_with(dest, add)


ZIP_BUILDERS: dict[str, Callable[[Path], Path]] = {
    "zip-slip": zip_slip,
    "zip-absolute-path": zip_absolute_path,
    "zip-symlink": zip_symlink,
    "zip-bomb-ratio": zip_bomb_ratio,
    "zip-bomb-one-entry": zip_bomb_one_entry,
    "zip-bomb-forged-size": zip_bomb_forged_size,
    "zip-too-many-files": zip_too_many_files,
}


# ------------------------------------------------------------------ notebook submissions


def _reference_cells() -> list[str]:
    return [path.read_text(encoding="utf-8") for path in sorted(REFERENCE.glob("*.py"))]


def _notebook(path: Path, cells: list[str], metadata: Any = None) -> Path:
    """A notebook of code cells, written as Jupyter writes it: JSON with ASCII escapes, so a
    lone surrogate in a cell is spelled `\\ud83d` in the file, as a half-emoji would be."""
    doc = {
        "cells": [{"cell_type": "code", "execution_count": None, "id": f"c{index}", "metadata": {}, "outputs": [],
                   "source": cell}
                  for index, cell in enumerate(cells)],
        "metadata": {} if metadata is None else metadata,
        "nbformat": 4,
        "nbformat_minor": 5,
    }  # fmt: skip
    path.write_text(json.dumps(doc, indent=1), encoding="ascii")
    return path


def notebook_lone_surrogate(dest: Path) -> Path:
    cells = _reference_cells()
    cells[-1] += "\n# half an emoji from a copy and paste: \ud83d\n"
    cells.append("print('done \ud83d')\n")
    return _notebook(dest / "submission.ipynb", cells)


def notebook_latin1_name(dest: Path) -> Path:
    name = os.fsdecode("Übung_réseau.ipynb".encode("cp1252"))  # as a Windows LMS export writes it
    return _notebook(dest / name, _reference_cells())


def notebook_deep_json(dest: Path) -> Path:
    """Notebook metadata nested 50,000 objects deep (deeper than any JSON parser's stack)."""
    path = _notebook(dest / "submission.ipynb", _reference_cells(), {"deep": "DEEP"})
    text = path.read_text(encoding="ascii").replace('"DEEP"', '{"a": ' * 50_000 + "{}" + "}" * 50_000)
    path.write_text(text, encoding="ascii")
    return path


def notebook_deep_code(dest: Path) -> Path:
    cells = _reference_cells()
    cells.insert(0, "x = " + "-" * 100_000 + "1\n")  # too deep for Python's parser
    cells.insert(1, "K = torch" + ".nn" * 900 + ".f()\n")  # parses; too deep for recursive helpers
    cells.insert(2, "y = " + "(" * 250 + "1" + ")" * 250 + "\n")  # past Python's own limit: a syntax error
    return _notebook(dest / "submission.ipynb", cells)


def notebook_huge_cell(dest: Path) -> Path:
    cells = _reference_cells()
    cells.append("".join(f"W{i} = {i}\n" for i in range(300_000)))  # 4.7 MiB of code in one cell
    return _notebook(dest / "submission.ipynb", cells)


def zip_backslash_paths(dest: Path) -> Path:
    """A zip written by a Windows tool: `folder\\cnn.py`, with a folder entry `folder\\`."""
    path = dest / "submission.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("alice\\"), b"")
        for item in sorted(REFERENCE.glob("*.py")):
            archive.write(item, f"alice\\{item.name}")
    return path


NOTEBOOK_BUILDERS: dict[str, Callable[[Path], Path]] = {
    "notebook-lone-surrogate": notebook_lone_surrogate,
    "notebook-latin1-name": notebook_latin1_name,
    "notebook-deep-json": notebook_deep_json,
    "notebook-deep-code": notebook_deep_code,
    "notebook-huge-cell": notebook_huge_cell,
}
BUILDERS: dict[str, Callable[[Path], Path]] = {
    **ZIP_BUILDERS, "zip-backslash-paths": zip_backslash_paths, **NOTEBOOK_BUILDERS,
}  # fmt: skip
