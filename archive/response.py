"""What replay reads out of an archive record, built the same way whichever reader found it.

``archive.reader`` (warcio) and ``archive.fastreader`` (FastWARC) both hand the record's WARC
fields, its parsed HTTP head (parsed by warcio's parser in both cases) and its raw block
body to :func:`build_response`, so the two give identical results for the same record.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from warcio.statusandheaders import StatusAndHeaders

from archive.httpbody import BodyDecodeError, dechunk, decode_content

logger = logging.getLogger(__name__)

__all__ = ["ArchivedResponse", "ReadContext", "ReadProblem", "WarcFields", "build_response"]


@dataclass(frozen=True)
class ArchivedResponse:
    """One archived HTTP response (or revisit), body decoded, with its place in the file.

    For a ``revisit`` the body is empty; ``refers_to*`` and ``profile`` name the original.
    """

    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    date: str
    warc_file: str
    offset: int
    length: int
    ip_address: str | None = None
    record_id: str | None = None
    payload_digest: str | None = None
    record_type: str = "response"
    profile: str | None = None
    refers_to: str | None = None
    refers_to_uri: str | None = None
    refers_to_date: str | None = None


@dataclass(frozen=True)
class ReadProblem:
    """Something wrong in an archive file: where (file, offset if known) and what, in one line."""

    warc_file: str
    offset: int | None
    message: str


ProblemHandler = Callable[[ReadProblem], None]


@dataclass
class ReadContext:
    """One open archive file being read, and where its problems go."""

    path: Path
    fh: BinaryIO
    size: int
    on_problem: ProblemHandler
    revisits: bool = False

    def report(self, offset: int | None, message: str) -> None:
        line = " ".join(message.split())
        logger.warning("%s at offset %s: %s", self.path.name, offset, line)
        self.on_problem(ReadProblem(self.path.name, offset, line))


@dataclass(frozen=True)
class WarcFields:
    """The WARC header fields replay uses (values stripped, Target-URI without ``<>``)."""

    rec_type: str
    url: str
    date: str = ""
    ip_address: str | None = None
    record_id: str | None = None
    payload_digest: str | None = None
    profile: str | None = None
    refers_to: str | None = None
    refers_to_uri: str | None = None
    refers_to_date: str | None = None

    @classmethod
    def from_pairs(cls, rec_type: str, pairs: list[tuple[str, str]]) -> WarcFields:
        """From the record's header pairs (first value of each field counts)."""
        values: dict[str, str] = {}
        for name, value in pairs:
            values.setdefault(name.lower(), value.strip())
        url = values.get("warc-target-uri", "").strip("<>").replace(" ", "%20")
        return cls(
            rec_type=rec_type,
            url=url,
            date=values.get("warc-date", ""),
            ip_address=values.get("warc-ip-address"),
            record_id=values.get("warc-record-id"),
            payload_digest=values.get("warc-payload-digest"),
            profile=values.get("warc-profile"),
            refers_to=values.get("warc-refers-to"),
            refers_to_uri=values.get("warc-refers-to-target-uri", "").strip("<>") or None,
            refers_to_date=values.get("warc-refers-to-date"),
        )


def build_response(
    context: ReadContext,
    fields: WarcFields,
    http: StatusAndHeaders | None,
    raw: bytes,
    place: tuple[int, int, int],
) -> ArchivedResponse | None:
    """The response (or revisit) of a record, or None for records replay does not use.

    ``place`` is (offset, length, bytes missing from the block); ``raw`` the block after
    the HTTP head.
    """
    offset, length, missing = place
    if fields.rec_type not in ("response", "revisit"):
        return None
    is_revisit = fields.rec_type == "revisit"
    if is_revisit and not context.revisits:
        return None
    if not http:
        if not is_revisit and fields.url.lower().startswith(("http:", "https:")):
            context.report(offset, "response record without an HTTP message")
        return None
    headers = list(http.headers)
    if not is_revisit and not _complete(context, offset, missing, raw, headers):
        return None
    status_text = http.get_statuscode()
    if not status_text.isdigit():
        context.report(offset, f"not an HTTP response: status line {status_text!r}")
        return None
    return ArchivedResponse(
        url=fields.url,
        status=int(status_text),
        headers=headers,
        body=b"" if is_revisit else _decode_body(context, offset, raw, headers),
        date=fields.date,
        warc_file=context.path.name,
        offset=offset,
        length=length,
        ip_address=fields.ip_address,
        record_id=fields.record_id,
        payload_digest=fields.payload_digest,
        record_type=fields.rec_type,
        profile=fields.profile,
        refers_to=fields.refers_to,
        refers_to_uri=fields.refers_to_uri,
        refers_to_date=fields.refers_to_date,
    )


def _complete(
    context: ReadContext, offset: int, missing: int, raw: bytes, headers: list[tuple[str, str]]
) -> bool:
    """False (and reported) if the record ends before its WARC/ARC length says.

    warcio yields such a record silently. When the HTTP body still has all the bytes its
    own Content-Length announces, only the record length lied: report, but keep it.
    """
    if missing <= 0:
        return True
    declared = header(headers, "Content-Length")
    whole = declared is not None and declared.strip().isdigit() and len(raw) >= int(declared)
    if whole:
        context.report(
            offset, f"record {missing} bytes shorter than its length; HTTP body complete"
        )
    else:
        context.report(offset, f"record truncated: {missing} bytes short of its length; skipped")
    return whole


def header(headers: list[tuple[str, str]], name: str) -> str | None:
    """The value of header ``name`` (repeats joined with ", "), or None."""
    lower = name.lower()
    values = [value for key, value in headers if key.lower() == lower]
    return ", ".join(values) if values else None


def _decode_body(
    context: ReadContext, offset: int, raw: bytes, headers: list[tuple[str, str]]
) -> bytes:
    """Remove chunk framing if the stored headers claim it, then the Content-Encoding."""
    body = raw
    transfer = header(headers, "Transfer-Encoding")
    if transfer and "chunked" in transfer.lower():
        dechunked = dechunk(raw)
        if dechunked is None:
            logger.debug(
                "%s at %s: Transfer-Encoding chunked but body is not", context.path, offset
            )
        else:
            body = dechunked
    encoding = header(headers, "Content-Encoding")
    if encoding:
        try:
            body = decode_content(body, encoding)
        except BodyDecodeError as exc:
            context.report(offset, f"body kept as stored: {exc}")
    return body
