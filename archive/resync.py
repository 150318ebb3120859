"""Finding the next record header after damage, so reading can go on past it.

A gzipped WARC holds one gzip member per record (WARC 1.1 annex D.2): the next record
starts at a gzip header (RFC 1952 section 2.3) whose data begins with ``WARC/``. In an
uncompressed WARC it starts at a line ``WARC/1.x``. ARC files are not resynchronised.
"""

from __future__ import annotations

import re
import zlib
from typing import BinaryIO

__all__ = ["format_at", "next_record_start"]

_WINDOW = 1024 * 1024
_OVERLAP = 16
_GZIP_MAGIC = re.compile(rb"\x1f\x8b\x08")
_WARC_LINE = re.compile(rb"\nWARC/(?:1\.[01]|0\.1[78])\r?\n")


_ARC_START = re.compile(rb"(?:filedesc|https?|dns|ftp)://\S*\s[0-9.:a-fA-F]+\s\d{12,}")


def _head(fh: BinaryIO, offset: int, gzipped: bool) -> bytes:
    fh.seek(offset)
    head = fh.read(4096)
    if not gzipped:
        return head
    try:
        return zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(head, 256)
    except zlib.error:
        return b""


def format_at(fh: BinaryIO, offset: int, gzipped: bool) -> str | None:
    """``"warc"`` or ``"arc"`` if a record header starts at ``offset`` (after blank lines)."""
    head = _head(fh, offset, gzipped).lstrip(b"\r\n")
    if head.startswith(b"WARC/"):
        return "warc"
    if _ARC_START.match(head):
        return "arc"
    return None


def _starts_warc_member(fh: BinaryIO, offset: int) -> bool:
    return _head(fh, offset, gzipped=True).startswith(b"WARC/")


def next_record_start(fh: BinaryIO, offset: int, gzipped: bool) -> int | None:
    """Offset of the first plausible record start at or after ``offset``, or None."""
    pattern = _GZIP_MAGIC if gzipped else _WARC_LINE
    position = offset
    while True:
        fh.seek(position)
        window = fh.read(_WINDOW)
        if not window:
            return None
        for match in pattern.finditer(window):
            if not gzipped:
                return position + match.start() + 1  # after the newline
            if _starts_warc_member(fh, position + match.start()):
                return position + match.start()
        if len(window) < _WINDOW:
            return None
        position += len(window) - _OVERLAP
