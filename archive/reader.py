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
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from warcio.archiveiterator import ArchiveIterator, ARCIterator, WARCIterator
from warcio.recordloader import ArcWarcRecord

from archive.httpbody import BodyDecodeError, dechunk, decode_content
from archive.resync import format_at, gzip_member_complete, next_record_start

logger = logging.getLogger(__name__)

__all__ = ["ArchivedResponse", "ReadProblem", "iter_responses"]

_READ_BLOCK = 64 * 1024


@dataclass(frozen=True)
class ArchivedResponse:
    """One archived HTTP response, with its body decoded and its place in the file."""

    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    date: str
    warc_file: str
    offset: int
    length: int
    ip_address: str | None = None


@dataclass(frozen=True)
class ReadProblem:
    """Something wrong in an archive file: where (file, offset if known) and what, in one line."""

    warc_file: str
    offset: int | None
    message: str


ProblemHandler = Callable[[ReadProblem], None]


@dataclass
class _Context:
    path: Path
    fh: BinaryIO
    size: int
    on_problem: ProblemHandler

    def report(self, offset: int | None, message: str) -> None:
        line = " ".join(message.split())
        logger.warning("%s at offset %s: %s", self.path.name, offset, line)
        self.on_problem(ReadProblem(self.path.name, offset, line))


def iter_responses(path: Path, on_problem: ProblemHandler) -> Iterator[ArchivedResponse]:
    """Yield every intact HTTP response in ``path``; report problems, never raise for them."""
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
        context = _Context(path, fh, size, on_problem)
        start: int | None = 0
        while start is not None:
            start = yield from _read_from(context, start)


def _read_from(context: _Context, start: int) -> Generator[ArchivedResponse, None, int | None]:
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
            _check_end(context, last, iterator.offset)
            return None
        # warcio raises many exception types on damaged input (ArchiveLoadFailed, zlib.error,
        # EOFError, ValueError, parser errors...); each is reported, then we resynchronise.
        except Exception as exc:
            logger.debug("read failed in %s at %s", context.path, offset, exc_info=True)
            return _skip_damage(context, offset, f"unreadable record: {_describe(exc)}")
        try:
            response = _to_response(context, iterator, record)
            last = iterator.get_record_offset()  # reads to the end of the record
        except Exception as exc:
            logger.debug("record failed in %s at %s", context.path, offset, exc_info=True)
            return _skip_damage(context, offset, f"unreadable record: {_describe(exc)}")
        if iterator.err_count > warnings:
            context.report(last, "record not followed by a blank line: wrong Content-Length?")
        if response is not None:
            yield response


def _check_end(context: _Context, last: int, end: int) -> None:
    """Report what warcio passes over silently at the end: unread bytes, a cut gzip member."""
    if last <= end < context.size:
        context.fh.seek(end)
        if context.fh.read(64).strip():
            context.report(end, f"last {context.size - end} bytes unreadable: truncated record?")
            return
    if not gzip_member_complete(context.fh, last):
        context.report(last, "last gzip member is incomplete: file truncated?")


def _skip_damage(context: _Context, offset: int, message: str) -> int | None:
    resume = next_record_start(context.fh, offset + 1)
    if resume is None:
        context.report(offset, f"{message}; no readable record after it")
    else:
        context.report(offset, f"{message}; resumed at offset {resume}")
    return resume


def _describe(exc: BaseException) -> str:
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


def _to_response(
    context: _Context, iterator: ArchiveIterator, record: ArcWarcRecord
) -> ArchivedResponse | None:
    """Build the response from a record, or None for records that are not HTTP responses."""
    if record.rec_type != "response":
        return None
    url = (record.rec_headers.get_header("WARC-Target-URI") or "").strip().strip("<>")
    if not record.http_headers:
        if url.lower().startswith(("http:", "https:")):
            context.report(iterator.get_record_offset(), "response record without an HTTP message")
        return None
    raw = _read_all(record.raw_stream)
    offset = iterator.get_record_offset()
    headers = list(record.http_headers.headers)
    if not _complete(context, offset, getattr(record.raw_stream, "limit", 0), raw, headers):
        return None
    status_text = record.http_headers.get_statuscode()
    if not status_text.isdigit():
        context.report(offset, f"not an HTTP response: status line {status_text!r}")
        return None
    return ArchivedResponse(
        url=url,
        status=int(status_text),
        headers=headers,
        body=_decode_body(context, offset, raw, headers),
        date=record.rec_headers.get_header("WARC-Date") or "",
        warc_file=context.path.name,
        offset=offset,
        length=iterator.get_record_length(),
        ip_address=record.rec_headers.get_header("WARC-IP-Address"),
    )


def _complete(
    context: _Context, offset: int, missing: int, raw: bytes, headers: list[tuple[str, str]]
) -> bool:
    """False (and reported) if the record ends before its WARC/ARC length says.

    warcio yields such a record silently. When the HTTP body still has all the bytes its
    own Content-Length announces, only the record length lied: report, but keep it.
    """
    if missing <= 0:
        return True
    declared = _header(headers, "Content-Length")
    whole = declared is not None and declared.strip().isdigit() and len(raw) >= int(declared)
    if whole:
        context.report(
            offset, f"record {missing} bytes shorter than its length; HTTP body complete"
        )
    else:
        context.report(offset, f"record truncated: {missing} bytes short of its length; skipped")
    return whole


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    lower = name.lower()
    values = [value for key, value in headers if key.lower() == lower]
    return ", ".join(values) if values else None


def _decode_body(
    context: _Context, offset: int, raw: bytes, headers: list[tuple[str, str]]
) -> bytes:
    """Remove chunk framing if the stored headers claim it, then the Content-Encoding."""
    body = raw
    transfer = _header(headers, "Transfer-Encoding")
    if transfer and "chunked" in transfer.lower():
        dechunked = dechunk(raw)
        if dechunked is None:
            logger.debug(
                "%s at %s: Transfer-Encoding chunked but body is not", context.path, offset
            )
        else:
            body = dechunked
    encoding = _header(headers, "Content-Encoding")
    if encoding:
        try:
            body = decode_content(body, encoding)
        except BodyDecodeError as exc:
            context.report(offset, f"body kept as stored: {exc}")
    return body
