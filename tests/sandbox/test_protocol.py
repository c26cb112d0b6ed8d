"""Reading the child's results: whatever is in the out folder, the parent gets a verdict, never a crash."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

from grader.sandbox.protocol import (
    MAX_ARRAYS,
    MAX_JSON_BYTES,
    OUT_DIR,
    ProbeStatus,
    read_probe,
    started_probes,
    write_probe,
)


@pytest.fixture()
def io_dir(tmp_path: Path) -> Path:
    (tmp_path / OUT_DIR).mkdir()
    return tmp_path


def _meta(io_dir: Path, text: str, name: str = "forward") -> None:
    (io_dir / OUT_DIR / f"{name}.json").write_text(text, encoding="utf-8")


def _unreadable(io_dir: Path, name: str = "forward") -> str:
    result = read_probe(io_dir, name)
    assert result is not None and result.status is ProbeStatus.ERROR
    assert result.message.startswith("unreadable result from the child")
    return result.message


def test_an_honest_result_round_trips(io_dir: Path) -> None:
    arrays = {"out0": np.arange(6, dtype=np.float32).reshape(2, 3)}
    write_probe(io_dir, "forward", "ok", {"x": float("nan"), "n": 3}, arrays, "", ["a note"])
    result = read_probe(io_dir, "forward")
    assert result is not None and result.ok
    assert result.values == {"x": "nan", "n": 3}  # NaN travels as a string, bare NaN is refused
    assert np.array_equal(result.arrays["out0"], arrays["out0"]) and result.arrays["out0"].dtype == np.float32
    assert result.notes == ("a note",)


def test_a_missing_result_is_none(io_dir: Path) -> None:
    assert read_probe(io_dir, "forward") is None


@pytest.mark.parametrize(
    "text, why",
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"status": "ok", "values": {"x": NaN}}', "bare NaN"),
        ('{"status": "ok", "values": {"x": Infinity}}', "bare Infinity"),
        ('{"status": "timeout"}', "cannot come from the child"),
        ('{"status": "ok", "values": []}', "values must be an object"),
        ('{"status": "ok", "notes": [1, 2]}', "notes must be a list of strings"),
        ('["not", "an", "object"]', "must hold a JSON object"),
        ('{"status": "ok", "values": {"n": ' + "9" * 5000 + "}}", "digits"),
    ],
)
def test_malformed_json_becomes_an_error_result(io_dir: Path, text: str, why: str) -> None:
    _meta(io_dir, text)
    assert why in _unreadable(io_dir)


def test_json_that_is_not_utf8_is_refused(io_dir: Path) -> None:
    (io_dir / OUT_DIR / "forward.json").write_bytes(b'{"status": "ok", "message": "\xff\xfe"}')
    assert "utf-8" in _unreadable(io_dir)


def test_huge_json_is_refused_unread(io_dir: Path) -> None:
    _meta(io_dir, json.dumps({"status": "ok", "values": {"pad": "x" * MAX_JSON_BYTES}}))
    assert "larger than" in _unreadable(io_dir)


def test_result_files_are_not_followed_through_links(io_dir: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.json"
    secret.write_text('{"status": "ok", "values": {}}', encoding="utf-8")
    (io_dir / OUT_DIR / "forward.json").symlink_to(secret)
    assert "cannot be opened" in _unreadable(io_dir)


def test_a_fifo_in_place_of_a_result_does_not_block(io_dir: Path) -> None:
    os.mkfifo(io_dir / OUT_DIR / "forward.json")
    assert "not a regular file" in _unreadable(io_dir)


def test_an_out_folder_replaced_by_a_link_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "forward.json").write_text('{"status": "ok"}', encoding="utf-8")
    io_dir = tmp_path / "io"
    io_dir.mkdir()
    (io_dir / OUT_DIR).symlink_to(elsewhere)
    assert "out folder was replaced" in _unreadable(io_dir)
    assert started_probes(io_dir) == []


def _npz(io_dir: Path, **arrays: np.ndarray) -> None:
    _meta(io_dir, '{"status": "ok", "values": {}}')
    with open(io_dir / OUT_DIR / "forward.npz", "wb") as handle:
        np.savez(handle, **arrays)  # allows pickles when writing, as a hostile child might


@pytest.mark.parametrize(
    "array, why",
    [
        (np.array([{"a": 1}], dtype=object), "pickled"),
        (np.zeros(2, dtype=[("a", "f4"), ("b", "i4")]), "not a plain number type"),
        (np.array(["a", "b"]), "not a plain number type"),
        (np.zeros(2, dtype=np.complex64), "not a plain number type"),
    ],
)
def test_arrays_that_are_not_plain_numbers_are_refused(io_dir: Path, array: np.ndarray, why: str) -> None:
    _npz(io_dir, out0=array)
    message = _unreadable(io_dir)
    assert why in message or "Object arrays cannot be loaded" in message


def test_too_many_arrays_are_refused(io_dir: Path) -> None:
    _npz(io_dir, **{f"a{i}": np.zeros(1) for i in range(MAX_ARRAYS + 1)})
    assert "more than" in _unreadable(io_dir)


def test_an_npz_whose_headers_claim_a_huge_size_is_refused(io_dir: Path) -> None:
    _meta(io_dir, '{"status": "ok", "values": {}}')
    path = io_dir / OUT_DIR / "forward.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("out0.npy", b"\0" * 16)
    data = bytearray(path.read_bytes())
    central = data.find(b"PK\x01\x02")
    data[central + 24 : central + 28] = (0xFFFFFFF0).to_bytes(4, "little")  # uncompressed size: 4 GiB
    path.write_bytes(bytes(data))
    assert "expands to more than" in _unreadable(io_dir)


def test_a_non_zip_npz_is_refused(io_dir: Path) -> None:
    _meta(io_dir, '{"status": "ok", "values": {}}')
    (io_dir / OUT_DIR / "forward.npz").write_bytes(b"\x80\x04\x95pickle")
    assert "not an .npz archive" in _unreadable(io_dir)


def test_messages_and_notes_are_capped(io_dir: Path) -> None:
    write_probe(io_dir, "forward", "error", {}, {}, "m" * 10_000, ["n" * 10_000] * 100)
    result = read_probe(io_dir, "forward")
    assert result is not None
    assert len(result.message) <= 4000 and len(result.notes) <= 20 and all(len(n) <= 4000 for n in result.notes)
