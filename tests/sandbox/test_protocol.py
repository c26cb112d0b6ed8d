"""Reading the child's results: whatever is in the out folder, the parent gets a verdict, never a crash."""

from __future__ import annotations

import io
import json
import os
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.sandbox.protocol import (
    MAX_ARRAYS,
    MAX_JSON_BYTES,
    MAX_JSON_DEPTH,
    OUT_DIR,
    ProbeStatus,
    read_probe,
    started_probes,
    write_probe,
)
from tests.strategies import hostile_text


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
        (np.array([{"a": 1}], dtype=object), "dtype object"),
        (np.zeros(2, dtype=[("a", "f4"), ("b", "i4")]), "not a plain number type"),
        (np.array(["a", "b"]), "not a plain number type"),
        (np.zeros(2, dtype=np.complex64), "not a plain number type"),
    ],
)
def test_arrays_that_are_not_plain_numbers_are_refused(io_dir: Path, array: np.ndarray, why: str) -> None:
    _npz(io_dir, out0=array)
    assert why in _unreadable(io_dir)


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


# ------------------------------------------------------------------ hostile files the child can leave


def _npz_bytes(**arrays: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _raw_npz(io_dir: Path, data: bytes) -> None:
    _meta(io_dir, '{"status": "ok", "values": {}}')
    (io_dir / OUT_DIR / "forward.npz").write_bytes(data)


def _npy_header(shape: tuple[int, ...], dtype: str = "<f8") -> bytes:
    header = repr({"descr": dtype, "fortran_order": False, "shape": shape}).encode("latin-1")
    header += b" " * (63 - (len(header) + 10) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header


def test_a_member_with_a_bad_checksum_is_unreadable(io_dir: Path) -> None:
    data = bytearray(_npz_bytes(out0=np.arange(1000.0)))
    data[200] ^= 0xFF  # inside the stored array
    _raw_npz(io_dir, bytes(data))
    assert "CRC" in _unreadable(io_dir)


def test_an_npy_header_declaring_a_huge_shape_is_refused_before_allocating(io_dir: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("out0.npy", _npy_header((1 << 40, 1 << 20)) + bytes(64))
    _raw_npz(io_dir, buffer.getvalue())
    message = _unreadable(io_dir)
    assert "declares float64 (1099511627776, 1048576)" in message and "holds 64 bytes" in message


@pytest.mark.parametrize(
    "header",
    [b"\x93NUMPY\x09\x00", b"\x93NUMPY\x01\x00\xff\xff{'descr': '<f8', ", _npy_header((-1,)),
     _npy_header((2,), "|O"), b"\x93NUMPY\x01\x00\x20\x00" + b"(" * 32, b"not numpy at all"],
    ids=["version", "truncated", "negative", "object", "nested", "magic"],
)  # fmt: skip
def test_malformed_npy_headers_are_unreadable(io_dir: Path, header: bytes) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("out0.npy", header + bytes(16))
    _raw_npz(io_dir, buffer.getvalue())
    _unreadable(io_dir)


def test_a_member_whose_headers_understate_its_size_is_unreadable(io_dir: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("out0.npy", _npy_header((1 << 20,)) + bytes(8 << 20))
    data = bytearray(buffer.getvalue())
    struct.pack_into("<I", data, 22, 1024)  # local header: uncompressed size
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 1024)  # central directory: uncompressed size
    _raw_npz(io_dir, bytes(data))
    assert "CRC" in _unreadable(io_dir) or "declares" in _unreadable(io_dir)


def test_a_directory_claiming_more_entries_than_allowed_is_refused_before_parsing(io_dir: Path) -> None:
    data = bytearray(_npz_bytes(out0=np.zeros(2)))
    end = data.rfind(b"PK\x05\x06")
    struct.pack_into("<HI", data, end + 10, 1, 50 << 20)  # one entry in a 50 MiB directory
    _raw_npz(io_dir, bytes(data))
    assert "more than 1000 arrays" in _unreadable(io_dir)


def test_members_that_are_not_npy_arrays_are_refused(io_dir: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.pkl", b"\x80\x04N.")
    _raw_npz(io_dir, buffer.getvalue())
    assert "not an .npy array" in _unreadable(io_dir)


def test_fortran_order_and_big_endian_arrays_round_trip(io_dir: Path) -> None:
    array = np.asfortranarray(np.arange(12, dtype=">i4").reshape(3, 4))
    _raw_npz(io_dir, _npz_bytes(out0=array))
    result = read_probe(io_dir, "forward")
    assert result is not None and result.ok
    assert np.array_equal(result.arrays["out0"], array) and result.arrays["out0"].flags.writeable


def test_lone_surrogates_in_the_child_json_become_replacement_characters(io_dir: Path) -> None:
    write_probe(io_dir, "forward", "error", {"class": "\ud83d", "\udce9": ["\ud800x"]}, {}, "bad \ud83d",
                ["note \udfff"])  # fmt: skip
    result = read_probe(io_dir, "forward")
    assert result is not None and result.message == "bad \ufffd" and result.notes == ("note \ufffd",)
    assert result.values == {"class": "\ufffd", "\ufffd": ["\ufffdx"]}
    json.dumps(dict(result.values), ensure_ascii=False).encode("utf-8")


def test_json_nested_past_the_depth_limit_is_refused(io_dir: Path) -> None:
    _meta(io_dir, '{"status": "ok", "values": ' + "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1) + "}")
    assert f"more than {MAX_JSON_DEPTH} levels" in _unreadable(io_dir)


def test_an_unreadable_result_file_is_an_error_not_an_exception(io_dir: Path) -> None:
    (io_dir / OUT_DIR / "forward.json").mkdir()  # a folder where the file should be
    assert "not a regular file" in _unreadable(io_dir)


VALID_NPZ = _npz_bytes(out0=np.arange(6, dtype=np.float32).reshape(2, 3), out1=np.array([True, False]))


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=4096), st.integers(0, len(VALID_NPZ) - 1), st.binary(min_size=1, max_size=64), hostile_text)
def test_the_reader_never_raises_on_any_bytes(io_dir: Path, noise: bytes, at: int, patch: bytes, text: str) -> None:
    """Random JSON bytes, random archives and valid archives with bytes overwritten: always a
    ProbeResult, OK only with plain arrays, every string writable."""
    mutated = VALID_NPZ[:at] + patch + VALID_NPZ[at + len(patch):]
    meta = json.dumps({"status": "ok", "values": {text: [text]}, "message": text, "notes": [text]})
    for json_bytes, npz_bytes in ((noise, None), (meta.encode("utf-8", "surrogatepass"), noise),
                                  (meta.encode("utf-8", "surrogatepass"), mutated)):  # fmt: skip
        (io_dir / OUT_DIR / "forward.json").write_bytes(json_bytes)
        npz = io_dir / OUT_DIR / "forward.npz"
        npz.unlink(missing_ok=True)
        if npz_bytes is not None:
            npz.write_bytes(npz_bytes)
        result = read_probe(io_dir, "forward")
        assert result is not None
        json.dumps([result.message, list(result.notes), dict(result.values)], ensure_ascii=False).encode("utf-8")
        for array in result.arrays.values():
            assert type(array) is np.ndarray and array.dtype.kind in "biuf"
