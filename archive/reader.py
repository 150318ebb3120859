"""Reading HTTP responses out of WARC 1.0/1.1 and ARC files from any producer.

Damage never ends the run: every problem is handed to ``on_problem`` with the file and
offset, the damaged record is skipped, and reading resumes at the next record header
found after it (see :mod:`archive.resync`). warcio passes over some damage silently;
this module checks it: a record shorter than its Content-Length is reported and skipped
(kept if its HTTP body is still complete), unreadable bytes after the last record and a
last gzip member without its trailer are reported. ``request``, ``metadata``, ``warcinfo``,
``resource`` and ``revisit`` records are skipped; so are responses without an HTTP
message (``dns:`` and the like).
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from warcio.archiveiterator import ArchiveIterator, ARCIterator, WARCIterator
from warcio.recordloader import ArcWarcRecord

from archive.response import (
    ArchivedResponse,
    ProblemHandler,
    ReadContext,
    ReadProblem,
    WarcFields,
    build_response,
)
from archive.resync import format_at, gzip_member_complete, next_record_start

logger = logging.getLogger(__name__)

__all__ = ["ENGINES", "ArchivedResponse", "ReadProblem", "iter_responses", "read_record_at"]

_READ_BLOCK = 64 * 1024
ENGINES = ("auto", "fastwarc", "warcio")


def iter_responses(
    path: Path, on_problem: ProblemHandler, *, revisits: bool = False, engine: str = "auto"
) -> Iterator[ArchivedResponse]:
    """Yield every intact HTTP response in ``path``; report problems, never raise for them.

    ``revisits`` also yields ``revisit`` records (empty body). ``engine`` "auto" reads WARC
    files with FastWARC (if installed) and hands over to warcio at the first record FastWARC
    and our checks disagree on, and for ARC files; "warcio" never uses FastWARC. The records
    yielded are the same either way.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    try:
        fh = path.open("rb")
    except OSError as exc:
        on_problem(ReadProblem(path.name, None, f"cannot open file: {exc}"))
        return
    with fh:
        magic = fh.read(2)
        if not magic:
            on_problem(ReadProblem(path.name, 0, "empty file (0 bytes)"))
            return
        size = fh.seek(0, 2)
        context = ReadContext(path, fh, size, on_problem, revisits)
        start: int | None = 0
        if engine != "warcio" and format_at(fh, 0) == "warc":
            start = yield from _fast(context)
        while start is not None:
            start = yield from _read_from(context, start)


def _fast(context: ReadContext) -> Generator[ArchivedResponse, None, int | None]:
    try:
        from archive.fastreader import read_fast
    except ImportError:  # pragma: no cover - FastWARC is optional at run time
        return 0
    return (yield from read_fast(context))


def _read_from(context: ReadContext, start: int) -> Generator[ArchivedResponse, None, int | None]:
    """Read records from ``start`` until the end (return None) or damage (return resume offset)."""
    file_format = format_at(context.fh, start)
    if file_format is None:
        return _skip_damage(context, start, "no WARC or ARC record header")
    context.fh.seek(start)
    if file_format == "warc":
        iterator = WARCIterator(context.fh)
    else:
        iterator = ARCIterator(context.fh, arc2warc=True)
    records = iter(iterator)
    last = start
    while True:
        offset = iterator.offset if last <= iterator.offset <= context.size else last
        warnings = iterator.err_count
        try:
            record = next(records)
        except StopIteration:
            return check_end(context, last, iterator.offset)
        # warcio raises many exception types on damaged input (ArchiveLoadFailed, zlib.error,
        # EOFError, ValueError, parser errors...); each is reported, then we resynchronise.
        except Exception as exc:
            logger.debug("read failed in %s at %s", context.path, offset, exc_info=True)
            return _skip_damage(context, offset, f"unreadable record: {describe(exc)}")
        try:
            response = _to_response(context, iterator, record, file_format == "arc")
            last = iterator.get_record_offset()  # reads to the end of the record
        except Exception as exc:
            logger.debug("record failed in %s at %s", context.path, offset, exc_info=True)
            return _skip_damage(context, offset, f"unreadable record: {describe(exc)}")
        if iterator.err_count > warnings:
            context.report(last, "record not followed by a blank line: wrong Content-Length?")
        if response is not None:
            yield response


def check_end(context: ReadContext, last: int, end: int) -> int | None:
    """Report what warcio passes over silently where it stops: unread bytes, a broken gzip
    member. Return where reading resumes if a record header follows the damage."""
    if last <= end < context.size:
        context.fh.seek(end)
        if context.fh.read(64).strip():
            return _skip_damage(context, end, f"{context.size - end} bytes unreadable")
    if not gzip_member_complete(context.fh, last):
        return _skip_damage(context, last, "gzip member damaged or cut short")
    return None


def _skip_damage(context: ReadContext, offset: int, message: str) -> int | None:
    resume = next_record_start(context.fh, offset + 1)
    if resume is None:
        context.report(offset, f"{message}; no readable record after it")
    else:
        context.report(offset, f"{message}; resumed at offset {resume}")
    return resume


def describe(exc: BaseException) -> str:
    """One line naming an exception raised on damaged input."""
    text = " ".join(str(exc).split())
    if "non-chunked gzip file" in text:
        text = "whole file is one gzip member, not one per record (fix: warcio recompress)"
    return f"{type(exc).__name__}: {text[:300]}" if text else type(exc).__name__


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def _read_all(stream: _Readable) -> bytes:
    parts: list[bytes] = []
    while True:
        block = stream.read(_READ_BLOCK)
        if not block:
            return b"".join(parts)
        parts.append(block)


def _member_intact(context: ReadContext, offset: int) -> bool:
    position = context.fh.tell()
    try:
        return gzip_member_complete(context.fh, offset)
    finally:
        context.fh.seek(position)


def _to_response(
    context: ReadContext, iterator: ArchiveIterator, record: ArcWarcRecord, arc: bool
) -> ArchivedResponse | None:
    """Build the response from a record, or None for records that are not HTTP responses."""
    if record.rec_type not in ("response", "revisit"):
        return None
    fields = WarcFields.from_pairs(record.rec_type, list(record.rec_headers.headers))
    if arc:  # warcio invents a random WARC-Record-ID for ARC records: not an id to keep
        fields = replace(fields, record_id=None)
    raw = _read_all(record.raw_stream) if record.http_headers else b""
    offset = iterator.get_record_offset()
    missing = getattr(record.raw_stream, "limit", 0)
    if missing > 0 and not _member_intact(context, offset):
        return None  # a damaged gzip member: reported by check_end when warcio stops
    place = (offset, iterator.get_record_length(), missing)
    return build_response(context, fields, record.http_headers, raw, place)


def read_record_at(
    path: Path, offset: int, on_problem: ProblemHandler | None = None
) -> ArchivedResponse | None:
    """The response or revisit record starting at ``offset`` of ``path`` (provenance, revisits).

    None (and the reason reported) when no such record can be read there.
    """
    problems: list[ReadProblem] = []
    report = on_problem or problems.append
    try:
        with path.open("rb") as fh:
            context = ReadContext(path, fh, fh.seek(0, 2), report, revisits=True)
            file_format = format_at(fh, offset)
            if file_format is None:
                context.report(offset, "no WARC or ARC record here")
                return None
            fh.seek(offset)
            iterator = WARCIterator(fh) if file_format == "warc" else ARCIterator(fh, arc2warc=True)
            record = next(iter(iterator))
            return _to_response(context, iterator, record, file_format == "arc")
    except OSError as exc:
        report(ReadProblem(path.name, offset, f"cannot read: {exc}"))
    # warcio raises many types on damaged input (see _read_from).
    except Exception as exc:
        report(ReadProblem(path.name, offset, f"unreadable record: {describe(exc)}"))
    return None
