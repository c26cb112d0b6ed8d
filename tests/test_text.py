"""Text from submissions: one decoding policy, never a string that cannot be written."""

from __future__ import annotations

import os
import zipfile

from hypothesis import given
from hypothesis import strategies as st

from grader.text import REPLACEMENT, clean, decode, file_name, zip_member_name
from tests.strategies import any_char, hostile_text


@given(hostile_text)
def test_clean_text_always_encodes_and_is_idempotent(text: str) -> None:
    cleaned = clean(text)
    cleaned.encode("utf-8")
    assert clean(cleaned) == cleaned
    if not any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        assert cleaned == text  # only surrogates change


def test_lone_surrogates_become_the_replacement_character_and_pairs_join() -> None:
    assert clean("bad \ud83d") == f"bad {REPLACEMENT}"
    assert clean("\ude00 then \ud83d\ude00") == f"{REPLACEMENT} then \U0001f600"


@given(st.binary())
def test_any_bytes_decode(data: bytes) -> None:
    decode(data).encode("utf-8")


@given(st.binary(min_size=1).filter(lambda b: b"/" not in b and b"\0" not in b))
def test_any_file_name_has_one_writable_reading(raw: bytes) -> None:
    name = file_name(os.fsdecode(raw))
    name.encode("utf-8")
    assert name == file_name(raw)


def test_latin1_names_from_windows_read_as_windows_wrote_them() -> None:
    assert file_name(os.fsdecode("Übung_réseau_€.ipynb".encode("cp1252"))) == "Übung_réseau_€.ipynb"
    assert file_name("plain.py") == "plain.py"
    assert file_name(b"\x81\x8d") == "\x81\x8d"  # not Windows-1252 either: Latin-1, byte for byte
    assert file_name("\ud83d.py") == f"{REPLACEMENT}.py"  # not from a disk: cleaned


def test_zip_member_names_follow_the_flag_then_utf8_then_cp437() -> None:
    utf8_unflagged = zipfile.ZipInfo("réseau.py".encode("utf-8").decode("cp437"))
    assert zip_member_name(utf8_unflagged) == "réseau.py"
    oem = zipfile.ZipInfo("r\x82seau.py".encode("latin-1").decode("cp437"))  # é in code page 437/850
    assert zip_member_name(oem) == "réseau.py"
    flagged = zipfile.ZipInfo("bad\ud83d.py")
    flagged.flag_bits |= 0x800
    assert zip_member_name(flagged) == f"bad{REPLACEMENT}.py"


@given(st.text(any_char))
def test_zip_member_names_are_always_writable(name: str) -> None:
    zip_member_name(zipfile.ZipInfo(name)).encode("utf-8")
