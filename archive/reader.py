"""Reading HTTP responses out of WARC 1.0/1.1 and ARC files from any producer.

Damage never ends the run: every problem is handed to ``on_problem`` with the file and
offset, the damaged record is skipped, and reading resumes at the next record header
found after it (see :mod:`archive.resync`). ``request``, ``metadata``, ``warcinfo``,
``resource`` and ``revisit`` records are skipped; so are responses without an HTTP
message (``dns:`` and the like).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from warcio.archiveiterator import ARCIterator, WARCIterator

from archive.httpbody import BodyDecodeError, decode_content, dechunk
from archive.resync import format_at, next_record_start

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
    gzipped: bool
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
        context = _Context(path, fh, size, magic == b"\x1f\x8b", on_problem)
        start: int | None = 0
        while start is not None:
            start = yield from _read_from(context, start)


def _read_from(context: _Context, start: int) -> Generator[ArchivedResponse, None, int | None]:
    """Read records from ``start`` until the end (return None) or damage (return resume offset)."""
    file_format = format_at(context.fh, start, context.gzipped)
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
            return None
        # warcio raises many exception types on damaged input (ArchiveLoadFailed, zlib.error,
        # EOFError, ValueError, parser errors...); each is reported, then we resynchronise.
        except Exception as exc:  # noqa: BLE001
            logger.debug("read failed in %s at %s", context.path, offset, exc_info=True)
            return _skip_damage(context, offset, f"unreadable record: {_describe(exc)}")
        try:
            response = _to_response(context, iterator, record)
            last = iterator.get_record_offset()  # reads to the end of the record
        except Exception as exc:  # noqa: BLE001 - same reasoning as above
            logger.debug("record failed in %s at %s", context.path, offset, exc_info=True)
            return _skip_damage(context, offset, f"unreadable record: {_describe(exc)}")
        if iterator.err_count > warnings:
            context.report(last, "record not followed by a blank line: wrong Content-Length?")
        if response is not None:
            yield response


def _skip_damage(context: _Context, offset: int, message: str) -> int | None:
    resume = next_record_start(context.fh, offset + 1, context.gzipped)
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


def _read_all(stream: Any) -> bytes:
    parts: list[bytes] = []
    while True:
        block = stream.read(_READ_BLOCK)
        if not block:
            return b"".join(parts)
        parts.append(block)


def _to_response(context: _Context, iterator: Any, record: Any) -> ArchivedResponse | None:
    """Build the response from a record, or None for records that are not HTTP responses."""
    if record.rec_type != "response" or not record.http_headers:
        return None
    status_text = record.http_headers.get_statuscode()
    raw = _read_all(record.raw_stream)
    missing = getattr(record.raw_stream, "limit", 0)
    offset = iterator.get_record_offset()
    length = iterator.get_record_length()
    if missing > 0:
        context.report(offset, f"record truncated: {missing} bytes short of its Content-Length")
        return None
    if not status_text.isdigit():
        context.report(offset, f"not an HTTP response: status line {status_text!r}")
        return None
    headers = list(record.http_headers.headers)
    rec_headers = record.rec_headers
    return ArchivedResponse(
        url=(rec_headers.get_header("WARC-Target-URI") or "").strip().strip("<>"),
        status=int(status_text),
        headers=headers,
        body=_decode_body(context, offset, raw, headers),
        date=rec_headers.get_header("WARC-Date") or "",
        warc_file=context.path.name,
        offset=offset,
        length=length,
        ip_address=rec_headers.get_header("WARC-IP-Address"),
    )


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    lower = name.lower()
    values = [value for key, value in headers if key.lower() == lower]
    return ", ".join(values) if values else None


def _decode_body(context: _Context, offset: int, raw: bytes, headers: list[tuple[str, str]]) -> bytes:
    """Remove chunk framing if the stored headers claim it, then the Content-Encoding."""
    body = raw
    transfer = _header(headers, "Transfer-Encoding")
    if transfer and "chunked" in transfer.lower():
        dechunked = dechunk(raw)
        if dechunked is None:
            logger.debug("%s at %s: Transfer-Encoding chunked but body is not", context.path, offset)
        else:
            body = dechunked
    encoding = _header(headers, "Content-Encoding")
    if encoding:
        try:
            body = decode_content(body, encoding)
        except BodyDecodeError as exc:
            context.report(offset, f"body kept as stored: {exc}")
    return body
