"""Finding record headers: what starts at an offset, and where the next record starts after damage.

A gzipped WARC holds one gzip member per record (WARC 1.1 annex D.2): a record starts at
a gzip header (RFC 1952 section 2.3) whose data begins with ``WARC/``. In an uncompressed
WARC it starts at a line ``WARC/1.x``. ARC files are recognised but not resynchronised.
"""

from __future__ import annotations

import re
import zlib
from typing import BinaryIO

__all__ = ["format_at", "gzip_member_complete", "next_record_start"]

_WINDOW = 1024 * 1024
_OVERLAP = 16
_GZIP_MAGIC = b"\x1f\x8b"
_CANDIDATE = re.compile(rb"\x1f\x8b\x08|\nWARC/(?:1\.[01]|0\.1[78])\r?\n")
_ARC_START = re.compile(rb"(?:filedesc|https?|dns|ftp)://\S*\s[0-9.:a-fA-F]+\s\d{12,}")


def _head(fh: BinaryIO, offset: int) -> bytes:
    """The first bytes of the record data at ``offset``, decompressed if gzipped."""
    fh.seek(offset)
    head = fh.read(4096)
    if not head.startswith(_GZIP_MAGIC):
        return head
    try:
        return zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(head, 256)
    except zlib.error:
        return b""


def format_at(fh: BinaryIO, offset: int) -> str | None:
    """``"warc"`` or ``"arc"`` if a record header starts at ``offset`` (after blank lines)."""
    head = _head(fh, offset).lstrip(b"\r\n")
    if head.startswith(b"WARC/"):
        return "warc"
    if _ARC_START.match(head):
        return "arc"
    return None


def next_record_start(fh: BinaryIO, offset: int) -> int | None:
    """Offset of the first WARC record (gzipped or not) at or after ``offset``, or None."""
    position = offset
    while True:
        fh.seek(position)
        window = fh.read(_WINDOW)
        if not window:
            return None
        for match in _CANDIDATE.finditer(window):
            if match.group().startswith(b"\n"):
                return position + match.start() + 1  # the record starts after the newline
            if format_at(fh, position + match.start()) == "warc":
                return position + match.start()
        if len(window) < _WINDOW:
            return None
        position += len(window) - _OVERLAP


def gzip_member_complete(fh: BinaryIO, offset: int) -> bool:
    """False if a gzip member starts at ``offset`` and ends before its trailer (RFC 1952)."""
    fh.seek(offset)
    block = fh.read(_WINDOW)
    if not block.startswith(_GZIP_MAGIC):
        return True
    decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
    try:
        while block and not decompressor.eof:
            decompressor.decompress(block, _WINDOW)
            while decompressor.unconsumed_tail and not decompressor.eof:
                decompressor.decompress(decompressor.unconsumed_tail, _WINDOW)
            block = fh.read(_WINDOW)
    except zlib.error:
        return False
    return decompressor.eof
