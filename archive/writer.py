"""WARC/1.1 writing: request + response (or revisit) records, warcinfo, rotation, naming.

One gzip member per record (WARC 1.1 annex D.2), a ``warcinfo`` record first in every
file, files named ``PREFIX-TIMESTAMP-SERIAL-HOST-PID.warc.gz``, written as ``NAME.open``
and renamed to ``NAME`` when closed or rotated. Every record is flushed to the OS
before ``write_exchange`` returns, so a crash loses at most the record being written.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any, BinaryIO

from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from archive.digest import payload_digest
from archive.digestindex import ArchivedPayload, DigestIndex
from archive.records import (
    IDENTICAL_PAYLOAD,
    NOT_MODIFIED,
    request_record,
    response_record,
    revisit_record,
    warcinfo_record,
)

_deflate: ModuleType
try:  # zlib-ng: same deflate format, 3-4x faster than zlib at the same ratio (see bench/replay.py)
    from zlib_ng import zlib_ng as _deflate
except ImportError:  # pragma: no cover - depends on the environment
    _deflate = zlib

logger = logging.getLogger(__name__)

__all__ = [
    "HttpExchange",
    "RecordLocation",
    "WarcWriteError",
    "WarcWriter",
    "WarcWriterConfig",
]

REVISIT_PROFILE = IDENTICAL_PAYLOAD
DEFAULT_GZIP_LEVEL = 4
_MAX_NAME_ATTEMPTS = 1000


class WarcWriteError(Exception):
    """A WARC file could not be created, written or renamed."""


@dataclass(frozen=True)
class HttpExchange:
    """One HTTP request and its response, exactly as sent over the wire (minus chunk framing)."""

    url: str
    method: str
    request_headers: list[tuple[str, str]]
    request_body: bytes
    status: int
    reason: str
    response_headers: list[tuple[str, str]]
    response_body: bytes
    fetched_at: datetime
    http_version: str = "HTTP/1.1"
    ip_address: str | None = None
    truncated: str | None = None


@dataclass(frozen=True)
class RecordLocation:
    """Where the response (or revisit) record of an exchange lies: one gzip member."""

    warc_file: str
    offset: int
    length: int


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _new_record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


@dataclass(frozen=True)
class WarcWriterConfig:
    """Settings of a :class:`WarcWriter`.

    ``clock`` (warcinfo dates and file names) and ``record_id`` (WARC-Record-ID values)
    are injectable for golden tests. ``gzip_level`` trades speed for size (warcio's own
    writer uses zlib at 9; zlib-ng at 4 writes about 3x faster within 5% of its size, see
    bench/replay.py). ``fsync`` forces every record to disk, not only to the OS.
    ``digest_index`` is the file of payload digests already archived (revisits across
    crawls, see :mod:`archive.digestindex`); None keeps them in memory for this writer only.
    """

    directory: Path
    prefix: str = "newsarc"
    max_size: int = 1_000_000_000
    software: str = "newsarc"
    operator: str | None = None
    extra_info: dict[str, str] = field(default_factory=dict)
    clock: Callable[[], datetime] = _utc_now
    record_id: Callable[[], str] = _new_record_id
    gzip_level: int = DEFAULT_GZIP_LEVEL
    fsync: bool = False
    digest_index: Path | None = None
    hostname: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)

    def __post_init__(self) -> None:
        if self.max_size <= 0:
            raise ValueError(f"WarcWriterConfig.max_size must be positive, got {self.max_size}")
        if not 0 <= self.gzip_level <= 9:
            raise ValueError(f"WarcWriterConfig.gzip_level must be 0..9, got {self.gzip_level}")
        if not re.fullmatch(r"[A-Za-z0-9._]+(-[A-Za-z0-9._]+)*", self.prefix):
            raise ValueError(f"WarcWriterConfig.prefix is not a safe file name: {self.prefix!r}")


class _GzipMemberSink:
    """File-like target for warcio: each ``flush()`` (warcio calls it once per record)
    ends one gzip member, then flushes the file to the OS."""

    def __init__(self, fh: BinaryIO, level: int, fsync: bool) -> None:
        self._fh = fh
        self._level = level
        self._fsync = fsync
        self._compressor = self._new_compressor()

    def _new_compressor(self) -> Any:
        return _deflate.compressobj(self._level, zlib.DEFLATED, zlib.MAX_WBITS + 16)

    def write(self, data: bytes) -> int:
        self._fh.write(self._compressor.compress(data))
        return len(data)

    def flush(self) -> None:
        self._fh.write(self._compressor.flush())
        self._compressor = self._new_compressor()
        self._fh.flush()
        if self._fsync:
            os.fsync(self._fh.fileno())


@dataclass
class _OpenFile:
    name: str
    path: Path
    fh: BinaryIO
    warc: WARCWriter


class WarcWriter:
    """Writes HTTP exchanges to rotating WARC/1.1 files (see module docstring).

    A payload fetched again from the same URL (same WARC-Payload-Digest, in this crawl or
    an earlier one recorded in ``config.digest_index``) is written as a ``revisit`` record
    with the identical-payload-digest profile (WARC 1.1 section 6.7.2) that refers to the
    first capture; a ``304 Not Modified`` answer becomes a server-not-modified revisit
    (section 6.7.3) referring to the URL's latest full capture. ``write_exchange`` then
    returns the location of that revisit record, which holds the HTTP headers but no body.
    The same payload under a different URL is written in full, so every URL's first
    capture can be replayed from its own record.

    ``files`` lists the final names of the files written so far, including the one
    still open (it carries that name once closed). Files are opened lazily: a writer
    that writes nothing creates no file. After a write error the current file is
    closed as it is and :class:`WarcWriteError` raised; the next exchange opens a new
    file. Not thread-safe: use one writer per thread or process.
    """

    def __init__(self, config: WarcWriterConfig) -> None:
        self.config = config
        self.files: list[str] = []
        self.last_record_id: str | None = None
        self.last_payload_digest: str | None = None
        self.last_record_type: str | None = None
        self._serial = 0
        self._current: _OpenFile | None = None
        self._index = DigestIndex(config.digest_index)
        self._host = re.sub(r"[^A-Za-z0-9.]", "_", config.hostname) or "host"

    def __enter__(self) -> WarcWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def write_exchange(self, exchange: HttpExchange) -> RecordLocation:
        """Write the request and the response (or revisit) records; return the latter's place.

        ``last_record_id``, ``last_payload_digest`` and ``last_record_type`` (response or
        revisit) then describe that record.
        """
        current = self._current or self._open_next()
        digest = payload_digest(exchange.response_body)
        date = datetime_to_iso_date(_as_utc(exchange.fetched_at), use_micros=True)
        response_id, request_id = self.config.record_id(), self.config.record_id()
        try:
            self._write(
                current,
                request_record(
                    current.warc,
                    exchange,
                    self._warc_headers(exchange, date, request_id, response_id),
                ),
            )
            offset = current.fh.tell()
            headers = self._warc_headers(exchange, date, response_id, request_id)
            record_type = self._write_answer(current, exchange, headers, digest)
            end = current.fh.tell()
        except OSError as exc:
            self._abandon_current()
            raise WarcWriteError(f"cannot write to {current.path}: {exc}") from exc
        if record_type == "response" and exchange.response_body and not exchange.truncated:
            self._index.add(digest, ArchivedPayload(exchange.url, date, response_id, current.name))
        self.last_record_id, self.last_payload_digest = response_id, digest
        self.last_record_type = record_type
        if end >= self.config.max_size:
            self._close_current()
        return RecordLocation(current.name, offset, end - offset)

    def _write_answer(
        self, current: _OpenFile, exchange: HttpExchange, headers: dict[str, str], digest: str
    ) -> str:
        """Write the response or a revisit record; return its WARC-Type."""
        if exchange.status == 304:
            original = self._index.latest(exchange.url)
            self._write(
                current, revisit_record(current.warc, exchange, headers, NOT_MODIFIED, original)
            )
            return "revisit"
        original = self._index.find(exchange.url, digest) if exchange.response_body else None
        if original is not None:
            self._write(
                current,
                revisit_record(current.warc, exchange, headers, IDENTICAL_PAYLOAD, original),
            )
            return "revisit"
        self._write(current, response_record(current.warc, exchange, headers, digest))
        return "response"

    @staticmethod
    def _write(current: _OpenFile, record: Any) -> None:
        current.warc.write_record(record)

    def close(self) -> list[str]:
        """Close (and rename) the current file; return the names of all files written."""
        self._close_current()
        self._index.close()
        return list(self.files)

    def _warc_headers(
        self, exchange: HttpExchange, date: str, rid: str, concurrent: str
    ) -> dict[str, str]:
        headers = {"WARC-Record-ID": rid, "WARC-Date": date, "WARC-Concurrent-To": concurrent}
        if exchange.ip_address:
            headers["WARC-IP-Address"] = exchange.ip_address
        return headers

    def _open_next(self) -> _OpenFile:
        directory = self.config.directory
        directory.mkdir(parents=True, exist_ok=True)
        stamp = self.config.clock()
        for _ in range(_MAX_NAME_ATTEMPTS):
            name = self._file_name(stamp)
            self._serial += 1
            path = directory / (name + ".open")
            if (directory / name).exists():
                continue
            try:
                fh = path.open("xb")
            except FileExistsError:
                continue
            except OSError as exc:
                raise WarcWriteError(f"cannot create WARC file {path}: {exc}") from exc
            return self._start_file(name, path, fh)
        raise WarcWriteError(
            f"no free WARC file name in {directory} for prefix {self.config.prefix}"
        )

    def _file_name(self, stamp: datetime) -> str:
        utc = _as_utc(stamp)
        timestamp = utc.strftime("%Y%m%d%H%M%S") + f"{utc.microsecond // 1000:03d}"
        return (
            f"{self.config.prefix}-{timestamp}-{self._serial:05d}-"
            f"{self._host}-{self.config.pid}.warc.gz"
        )

    def _start_file(self, name: str, path: Path, fh: BinaryIO) -> _OpenFile:
        sink = _GzipMemberSink(fh, self.config.gzip_level, self.config.fsync)
        warc = WARCWriter(sink, gzip=False, warc_version="1.1")
        current = _OpenFile(name, path, fh, warc)
        try:
            warc.write_record(self._warcinfo(warc, name))
        except OSError as exc:
            fh.close()
            raise WarcWriteError(f"cannot write warcinfo to {path}: {exc}") from exc
        self._current = current
        self.files.append(name)
        logger.info("opened WARC file %s", path)
        return current

    def _warcinfo(self, warc: WARCWriter, name: str) -> Any:
        # WARC 1.1 section 6.2: warcinfo describes the records that follow it in the file.
        info: dict[str, str] = {
            "software": self.config.software,
            "format": "WARC File Format 1.1",
            "conformsTo": "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "hostname": self.config.hostname,
        }
        if self.config.operator:
            info["operator"] = self.config.operator
        info.update(self.config.extra_info)
        date = datetime_to_iso_date(_as_utc(self.config.clock()), use_micros=True)
        return warcinfo_record(warc, name, info, (self.config.record_id(), date))

    def _abandon_current(self) -> None:
        """After a failed write: close the file as it is; the next exchange starts a new one."""
        current, self._current = self._current, None
        if current is not None:
            try:
                current.fh.close()
                current.path.rename(current.path.with_name(current.name))
            except OSError:
                logger.warning("cannot close damaged WARC file %s", current.path, exc_info=True)

    def _close_current(self) -> None:
        current, self._current = self._current, None
        if current is None:
            return
        try:
            current.fh.close()
            current.path.rename(current.path.with_name(current.name))
        except OSError as exc:
            raise WarcWriteError(f"cannot close and rename {current.path}: {exc}") from exc
        logger.info("closed WARC file %s", current.path.with_name(current.name))


def _as_utc(moment: datetime) -> datetime:
    """Naive UTC datetime for warcio; an aware datetime is converted, a naive one taken as UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None)
