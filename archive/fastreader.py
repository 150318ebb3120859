"""The fast path of replay: FastWARC frames and decompresses records, we check every one.

FastWARC reads about twice as fast as warcio but passes over damage differently (it reads
on through a whole-file gzip stream or a wrong Content-Length, and cannot read ARC). So
it is trusted only for gzipped files and only while every record looks exactly as warcio
would see it: each record is one whole gzip member (the next record starts a member, and
the member before it has the record's exact size in its trailer). The last record is
left to warcio, which checks how the file ends. At the first
record that fails a check, or on any FastWARC error, reading hands over to warcio at that
record's offset (:func:`archive.reader._read_from`), which reports the damage and
resynchronises. The HTTP head is parsed with warcio's parser on both paths, and a record
is only yielded once the next one has been framed, so both paths yield the same records.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Generator
from io import BytesIO

from fastwarc.warc import ArchiveIterator, WarcRecord
from warcio.recordloader import ArcWarcRecordLoader

from archive.response import ArchivedResponse, ReadContext, WarcFields, build_response

logger = logging.getLogger(__name__)

__all__ = ["read_fast"]

_GZIP_MAGIC = b"\x1f\x8b"
_LOADER = ArcWarcRecordLoader(verify_http=False)
# fields, block, offset, block length declared, record size as serialised (uncompressed)
_Pending = tuple[WarcFields, bytes, int, int, int]


def read_fast(context: ReadContext) -> Generator[ArchivedResponse, None, int | None]:
    """Yield the records FastWARC reads cleanly; return the offset at which warcio takes over.

    The last record is always left to warcio, which checks how the file ends.
    """
    fd = context.fh.fileno()
    if os.pread(fd, 2, 0) != _GZIP_MAGIC:
        return 0  # plain files: warcio (their record lengths are counted differently)
    pending: _Pending | None = None
    stream = context.path.open("rb")
    try:
        for record in ArchiveIterator(stream, parse_http=False):
            start = record.stream_pos
            if pending is not None and start <= pending[2]:
                return pending[2]
            if not _starts_member(fd, start, pending):
                return pending[2] if pending is not None else start
            if pending is not None:
                response = _finish(context, pending, start)
                if response is not None:
                    yield response
            pending = _take(record)
    # FastWARC raises OSError/ValueError (and its own parser errors) on damaged input:
    # warcio takes over at the record being read and reports the damage itself.
    except Exception:
        logger.debug("FastWARC stopped in %s", context.path, exc_info=True)
    finally:
        stream.close()
    return pending[2] if pending is not None else 0


def _take(record: WarcRecord) -> _Pending:
    block = record.reader.read()
    pairs = [(str(k), str(v)) for k, v in record.headers.astuples()]
    fields = WarcFields.from_pairs(_type_name(record), pairs)
    head = len(record.headers.status_line_bytes or b"") + 4  # version line CRLF ... CRLF
    head += sum(len(k) + len(v) + 4 for k, v in record.headers.items_bytes())  # "k: v" CRLF
    declared = record.content_length
    return fields, block, record.stream_pos, declared, head + declared + 4


def _type_name(record: WarcRecord) -> str:
    return str(record.record_type).rsplit(".", 1)[-1]


def _starts_member(fd: int, offset: int, before: _Pending | None) -> bool:
    """True if a gzip member starts at ``offset`` and the one ending there held exactly the
    record ``before`` (its ISIZE trailer, RFC 1952 section 2.3.1, is the record's size)."""
    if os.pread(fd, 2, offset) != _GZIP_MAGIC:
        return False
    if before is None:
        return offset == 0
    trailer = os.pread(fd, 4, offset - 4)
    return len(trailer) == 4 and int.from_bytes(trailer, "little") == before[4] % 2**32


def _finish(context: ReadContext, pending: _Pending, next_start: int) -> ArchivedResponse | None:
    fields, block, offset, declared, _ = pending
    if fields.rec_type not in ("response", "revisit"):
        return None
    stream = BytesIO(block)
    http = _LOADER.load_http_headers(fields.rec_type, fields.url, stream, len(block))
    raw = stream.read() if http else b""
    missing = max(0, declared - len(block))
    return build_response(context, fields, http, raw, (offset, next_start - offset, missing))
