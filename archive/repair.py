"""Repairing the ``.open`` WARC file a crash left behind: keep complete records, cut the rest.

Our writer ends one gzip member per record (WARC 1.1 annex D.2) and flushes it, so after a
crash the file is a run of complete members followed by at most one torn member. Repair
walks the members from the start; each must decompress to its end (RFC 1952 trailer
checked by zlib) and hold exactly one WARC record whose block is as long as its
``Content-Length`` says. The file is truncated after the last good member and renamed to
its final name (without ``.open``). A file still being written by a live process on this
host is left alone.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

logger = logging.getLogger(__name__)

__all__ = ["OPEN_SUFFIX", "RepairResult", "repair_file", "repair_paths"]

OPEN_SUFFIX = ".open"
_BLOCK = 1024 * 1024
_HEAD_KEEP = 64 * 1024
_NAME = re.compile(r".*-(?P<host>[A-Za-z0-9._]+)-(?P<pid>\d+)\.warc(?:\.gz)?\.open")
_LENGTH = re.compile(rb"\r\nContent-Length:[ \t]*(\d+)[ \t]*\r\n", re.I)


@dataclass(frozen=True)
class RepairResult:
    """What repair did with one file: ``action`` is repaired, complete, skipped or failed."""

    path: Path
    action: str
    records: int = 0
    cut_bytes: int = 0
    final_path: Path | None = None
    message: str = ""


def _writer_alive(path: Path) -> int | None:
    """The pid of a live process on this host that may still be writing ``path``."""
    match = _NAME.fullmatch(path.name)
    if match is None:
        return None
    host = re.sub(r"[^A-Za-z0-9.]", "_", socket.gethostname()) or "host"
    pid = int(match["pid"])
    if match["host"] != host or pid == os.getpid():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


def _member_end(fh: BinaryIO, start: int) -> int | None:
    """End offset of a gzip member at ``start`` holding one complete WARC record, else None."""
    fh.seek(start)
    decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
    head, size, consumed = b"", 0, 0
    try:
        while not decompressor.eof:
            block = fh.read(_BLOCK)
            if not block:
                return None
            data = decompressor.decompress(block)
            consumed += len(block)
            size += len(data)
            if len(head) < _HEAD_KEEP:
                head += data[: _HEAD_KEEP - len(head)]
    except zlib.error:
        return None
    if not _whole_record(head, size):
        return None
    return start + consumed - len(decompressor.unused_data)


def _whole_record(head: bytes, size: int) -> bool:
    """True if the data (``head`` = its start, ``size`` in all) is exactly one WARC record."""
    if not head.startswith(b"WARC/"):
        return False
    end = head.find(b"\r\n\r\n")
    match = _LENGTH.search(head, 0, end + 2) if end >= 0 else None
    if match is None:
        return False
    return size == end + 4 + int(match.group(1)) + 4  # WARC 1.1 section 4: block + CRLF CRLF


def _good_prefix(path: Path) -> tuple[int, int]:
    """(offset after the last complete record, number of complete records)."""
    offset, records = 0, 0
    with path.open("rb") as fh:
        while True:
            fh.seek(offset)
            if fh.read(2) != b"\x1f\x8b":
                return offset, records
            end = _member_end(fh, offset)
            if end is None:
                return offset, records
            offset, records = end, records + 1


def repair_file(path: Path, force: bool = False) -> RepairResult:
    """Cut the torn tail of one ``.open`` file and give it its final name."""
    if not path.name.endswith(OPEN_SUFFIX):
        return RepairResult(path, "skipped", message="not an .open file")
    pid = None if force else _writer_alive(path)
    if pid is not None:
        return RepairResult(path, "skipped", message=f"still being written by process {pid}")
    final = path.with_name(path.name[: -len(OPEN_SUFFIX)])
    if final.exists():
        return RepairResult(path, "failed", message=f"{final.name} already exists")
    try:
        size = path.stat().st_size
        keep, records = _good_prefix(path)
        if keep < size:
            with path.open("r+b") as fh:
                fh.truncate(keep)
                fh.flush()
                os.fsync(fh.fileno())
        if records == 0:
            path.unlink()
            return RepairResult(path, "repaired", 0, size, None, "no complete record: removed")
        path.rename(final)
    except OSError as exc:
        return RepairResult(path, "failed", message=str(exc))
    action = "repaired" if keep < size else "complete"
    logger.info("%s %s: %d records kept, %d bytes cut", action, path, records, size - keep)
    return RepairResult(path, action, records, size - keep, final)


def repair_paths(paths: Iterable[Path], force: bool = False) -> list[RepairResult]:
    """Repair the given ``.open`` files and every ``.open`` file in the given directories."""
    results: list[RepairResult] = []
    for path in paths:
        targets = sorted(path.glob("*.warc*" + OPEN_SUFFIX)) if path.is_dir() else [path]
        results.extend(repair_file(target, force) for target in targets)
    return results
