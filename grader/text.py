"""Text from a submission, decoded once with a defined policy, so it can be held and written.

A Python string can hold what no file can: a lone UTF-16 surrogate (half an
emoji in a JSON escape, `"\\ud83d"`), or the escaped bytes of a file name that
is not UTF-8 (`os.fsdecode`). Writing either raises UnicodeEncodeError, so
every piece of text that comes from a submission (file names, zip member
names, notebook cells, the child's messages, notes and streams) passes
through one of these functions where it enters the grader:

- `clean(text)`: lone surrogates become U+FFFD; a proper surrogate pair
  becomes the character it encodes.
- `decode(data)`: bytes as UTF-8; each byte that is not UTF-8 becomes U+FFFD.
- `file_name(name)`: a name from the file system, read as UTF-8 if it is
  UTF-8, else as Windows-1252 (Windows LMS exports), else as Latin-1, so
  every byte sequence has one defined reading.
- `zip_member_name(info)`: UTF-8 when the zip says so or when the bytes are
  UTF-8, else the zip standard's code page 437.

Control characters are kept: here they are data. Each report writer escapes
for its own reader (`grader.report.escape`).
"""

from __future__ import annotations

import os
import zipfile

REPLACEMENT = "\ufffd"
ZIP_UTF8_FLAG = 0x800


def clean(text: str) -> str:
    """`text` with every lone surrogate replaced by U+FFFD; encodable as UTF-8.

    >>> clean("half an emoji \\ud83d"), clean("\\ud83d\\ude00")
    ('half an emoji \\ufffd', '😀')
    """
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        # UTF-16 with surrogatepass joins proper pairs; decoding with "replace" marks the lone ones.
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def decode(data: bytes) -> str:
    """Bytes as UTF-8 (a leading byte-order mark dropped); undecodable bytes become U+FFFD.

    >>> decode(b"caf\\xc3\\xa9 \\xff")
    'café \\ufffd'
    """
    return data.decode("utf-8-sig", errors="replace")


def file_name(name: str | bytes) -> str:
    """A file or folder name as text: UTF-8, else Windows-1252, else Latin-1.

    >>> file_name(b"r\\xe9seau.ipynb"), file_name(os.fsdecode(b"r\\xc3\\xa9seau.ipynb"))
    ('réseau.ipynb', 'réseau.ipynb')
    """
    if isinstance(name, str):
        try:
            raw = os.fsencode(name)
        except UnicodeEncodeError:  # surrogates that are not escaped bytes: not a name from disk
            return clean(name)
    else:
        raw = name
    for encoding in ("utf-8", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")  # total: every byte is a character


def zip_member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as its author saw it: zipfile reads names without the UTF-8 flag as
    code page 437, though most tools write UTF-8 without setting the flag.

    >>> zip_member_name(zipfile.ZipInfo("r\\u251c\\u2310seau.py"))  # UTF-8 bytes read as cp437
    'réseau.py'
    """
    if info.flag_bits & ZIP_UTF8_FLAG:
        return clean(info.filename)
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:  # a ZipInfo made in Python with a name cp437 cannot hold
        return clean(info.filename)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return info.filename
