"""Building the WARC records of one exchange: request, response, revisit and warcinfo.

Digests (WARC 1.1 sections 5.8 and 5.9) are computed here in one pass over bytes already in
memory and handed to warcio, which then skips its own chunked re-hashing of the record.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from io import BytesIO
from typing import TYPE_CHECKING

from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.digest import payload_digest, sha1_base32
from archive.httpblock import request_head, response_head

if TYPE_CHECKING:
    from archive.digestindex import ArchivedPayload
    from archive.writer import HttpExchange

__all__ = [
    "IDENTICAL_PAYLOAD",
    "NOT_MODIFIED",
    "request_record",
    "response_record",
    "revisit_record",
    "warcinfo_record",
]

# WARC 1.1 section 6.7.2 and 6.7.3: the two revisit profiles we write.
IDENTICAL_PAYLOAD = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"


def _block_digest(head: StatusAndHeaders, body: bytes) -> str:
    head.compute_headers_buffer()
    digester = hashlib.sha1(head.headers_buff or b"")
    digester.update(body)
    return sha1_base32(digester.digest())


def request_record(
    warc: WARCWriter, exchange: HttpExchange, warc_headers: dict[str, str]
) -> ArcWarcRecord:
    """The ``request`` record: the request line (with query string) and headers as sent."""
    head = request_head(exchange)
    body = exchange.request_body
    warc_headers["WARC-Block-Digest"] = _block_digest(head, body)
    if body:
        warc_headers["WARC-Payload-Digest"] = payload_digest(body)
    return warc.create_warc_record(
        exchange.url,
        "request",
        payload=BytesIO(body),
        length=len(body),
        warc_headers_dict=warc_headers,
        http_headers=head,
    )


def response_record(
    warc: WARCWriter, exchange: HttpExchange, warc_headers: dict[str, str], digest: str
) -> ArcWarcRecord:
    """The ``response`` record: status line, every header (repeats kept) and the body as sent."""
    head = response_head(exchange)
    body = exchange.response_body
    warc_headers["WARC-Block-Digest"] = _block_digest(head, body)
    warc_headers["WARC-Payload-Digest"] = digest
    if exchange.truncated:
        warc_headers["WARC-Truncated"] = exchange.truncated
    return warc.create_warc_record(
        exchange.url,
        "response",
        payload=BytesIO(body),
        length=len(body),
        warc_headers_dict=warc_headers,
        http_headers=head,
    )


def revisit_record(
    warc: WARCWriter,
    exchange: HttpExchange,
    warc_headers: dict[str, str],
    profile: str,
    original: ArchivedPayload | None,
) -> ArcWarcRecord:
    """A ``revisit`` record (WARC 1.1 section 6.7): the HTTP head only, no body.

    ``original`` fills ``WARC-Refers-To`` (record id, which warcio does not write),
    ``WARC-Refers-To-Target-URI`` and ``-Date``; it may be None only for server-not-modified.
    """
    head = response_head(exchange)
    warc_headers["WARC-Profile"] = profile
    if original is not None:
        warc_headers["WARC-Refers-To"] = original.record_id
        warc_headers["WARC-Refers-To-Target-URI"] = original.uri
        warc_headers["WARC-Refers-To-Date"] = original.date
    if profile == IDENTICAL_PAYLOAD:
        warc_headers["WARC-Payload-Digest"] = payload_digest(exchange.response_body)
    warc_headers["WARC-Block-Digest"] = _block_digest(head, b"")
    return warc.create_warc_record(
        exchange.url,
        "revisit",
        payload=BytesIO(b""),
        length=0,
        warc_headers_dict=warc_headers,
        http_headers=head,
    )


def warcinfo_record(
    warc: WARCWriter, name: str, fields: Mapping[str, str], ids: tuple[str, str]
) -> ArcWarcRecord:
    """The ``warcinfo`` record (WARC 1.1 section 6.2) with ``fields`` as ``key: value`` lines.

    ``ids`` is (WARC-Record-ID, WARC-Date).
    """
    body = "".join(f"{key}: {value}\r\n" for key, value in fields.items()).encode("utf-8")
    headers = StatusAndHeaders("", [], protocol="WARC/1.1")
    headers.add_header("WARC-Type", "warcinfo")
    headers.add_header("WARC-Record-ID", ids[0])
    headers.add_header("WARC-Filename", name)
    headers.add_header("WARC-Date", ids[1])
    headers.add_header("WARC-Block-Digest", sha1_base32(hashlib.sha1(body).digest()))
    return warc.create_warc_record(
        "", "warcinfo", payload=BytesIO(body), length=len(body), warc_headers=headers
    )
