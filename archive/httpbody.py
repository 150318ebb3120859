"""Turning a stored HTTP entity back into the document: chunk framing, then Content-Encoding.

Only the real ``Content-Encoding`` header counts (RFC 9110 section 8.4): Common Crawl
stores bodies decoded and renames the original header ``X-Crawler-Content-Encoding``.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

__all__ = ["MAX_DECODED_BYTES", "BodyDecodeError", "dechunk", "decode_content"]

# The crawl refuses responses that decode past DOWNLOAD_MAXSIZE (20 MiB by default); replay
# holds archived bodies (ours or anyone's) to the same bound, so an archived gzip bomb is
# reported as a problem and kept as stored instead of being expanded into memory.
MAX_DECODED_BYTES = 20 * 1024 * 1024

try:  # optional: brotli is not a dependency of newsarc
    import brotli as _brotli
except ImportError:  # pragma: no cover - depends on the environment
    _brotli = None


class BodyDecodeError(Exception):
    """The body cannot be decoded as its headers claim."""


def dechunk(data: bytes) -> bytes | None:
    """Remove HTTP/1.1 chunked framing (RFC 9112 section 7.1); ``None`` if not chunked.

    A body cut short after whole chunks is returned as far as it goes.
    """
    out: list[bytes] = []
    pos = 0
    while pos < len(data):
        eol = data.find(b"\r\n", pos, pos + 1024)
        if eol < 0:
            return None
        size_text = data[pos:eol].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            return None
        if size == 0:
            return b"".join(out)
        start = eol + 2
        out.append(data[start : start + size])
        pos = start + size
        if data[pos : pos + 2] not in (b"\r\n", b""):
            return None
        pos += 2
    return b"".join(out)


def _zlib_decode(data: bytes, wbits: int) -> bytes:
    decompressor = zlib.decompressobj(wbits)
    result = decompressor.decompress(data, MAX_DECODED_BYTES)
    if decompressor.unconsumed_tail:
        raise BodyDecodeError(f"decoded body exceeds {MAX_DECODED_BYTES} bytes")
    if not decompressor.eof:
        raise BodyDecodeError("compressed stream is incomplete")
    return result


def _gunzip(data: bytes) -> bytes:
    return _zlib_decode(data, zlib.MAX_WBITS | 16)


def _inflate(data: bytes) -> bytes:
    # RFC 9110 section 8.4.1.2 says zlib-wrapped; some servers send raw deflate.
    try:
        return _zlib_decode(data, zlib.MAX_WBITS)
    except zlib.error:
        return _zlib_decode(data, -zlib.MAX_WBITS)


def _unbrotli(data: bytes) -> bytes:
    if _brotli is None:
        raise BodyDecodeError("Content-Encoding br needs the brotli package")
    result: bytes = _brotli.decompress(data)
    return result


_DECODERS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": _gunzip,
    "x-gzip": _gunzip,
    "deflate": _inflate,
    "br": _unbrotli,
}


def decode_content(data: bytes, content_encoding: str) -> bytes:
    """Undo the codings listed in ``content_encoding``, last applied first.

    Raises :class:`BodyDecodeError` naming the coding that failed.
    """
    codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
    for coding in reversed(codings):
        if coding == "identity":
            continue
        decoder = _DECODERS.get(coding)
        if decoder is None:
            raise BodyDecodeError(f"unsupported Content-Encoding {coding!r}")
        try:
            data = decoder(data)
        except (zlib.error, OSError, ValueError) as exc:
            raise BodyDecodeError(f"cannot decode Content-Encoding {coding}: {exc}") from exc
        except Exception as exc:  # brotli.error is not a subclass of a builtin error
            if _brotli is not None and isinstance(exc, _brotli.error):
                raise BodyDecodeError(f"cannot decode Content-Encoding {coding}: {exc}") from exc
            raise
    return data
