"""The archived HTTP message of one record, byte for byte as stored (for provenance).

The record block of a WARC ``response`` or ``revisit`` record is the HTTP message (WARC 1.1
section 6.3): status line, headers, and the body as the server sent it (still gzip- or
br-encoded when it was).
"""

from __future__ import annotations

from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

__all__ = ["RawRecordError", "http_message_at"]

_MAX_BYTES = 256 * 1024 * 1024


class RawRecordError(Exception):
    """No readable response/revisit record at that place."""


def http_message_at(path: Path, offset: int) -> bytes:
    """The block of the response or revisit record at ``offset`` of ``path``."""
    try:
        with path.open("rb") as fh:
            fh.seek(offset)
            record = next(iter(ArchiveIterator(fh, no_record_parse=True)), None)
            if record is None:
                raise RawRecordError(f"{path.name}: no record at offset {offset}")
            if record.rec_type not in ("response", "revisit"):
                raise RawRecordError(
                    f"{path.name} at offset {offset}: a {record.rec_type} record, not a response"
                )
            data: bytes = record.raw_stream.read(_MAX_BYTES)
            return data
    except RawRecordError:
        raise
    except OSError as exc:
        raise RawRecordError(f"cannot read {path}: {exc}") from exc
    # warcio raises many types on damaged input; the reason goes into the message.
    except Exception as exc:
        raise RawRecordError(
            f"{path.name} at offset {offset}: unreadable record ({type(exc).__name__}: {exc})"
        ) from exc
