"""The HTTP request and response heads stored in WARC ``request``/``response`` records.

Bodies are stored as the server sent them but without chunk framing, so the stored head
must not claim ``Transfer-Encoding`` (RFC 9112 section 6.1) and its ``Content-Length``
must be the stored body length (RFC 9110 section 8.6). A differing original value is
kept as ``X-Archive-Orig-Content-Length``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["request_head", "response_head", "stored_headers"]

ORIG_LENGTH_HEADER = "X-Archive-Orig-Content-Length"


class _Exchange(Protocol):
    """The parts of ``archive.writer.HttpExchange`` used here (read-only)."""

    @property
    def url(self) -> str: ...

    @property
    def method(self) -> str: ...

    @property
    def request_headers(self) -> list[tuple[str, str]]: ...

    @property
    def request_body(self) -> bytes: ...

    @property
    def status(self) -> int: ...

    @property
    def reason(self) -> str: ...

    @property
    def response_headers(self) -> list[tuple[str, str]]: ...

    @property
    def response_body(self) -> bytes: ...

    @property
    def http_version(self) -> str: ...


def stored_headers(headers: Sequence[tuple[str, str]], body_length: int) -> list[tuple[str, str]]:
    """Headers without Transfer-Encoding and with a Content-Length equal to ``body_length``."""
    kept: list[tuple[str, str]] = []
    original: str | None = None
    for name, value in headers:
        lower = name.lower()
        if lower == "transfer-encoding":
            continue
        if lower == "content-length":
            original = value if original is None else original
            continue
        kept.append((name, value))
    kept.append(("Content-Length", str(body_length)))
    if original is not None and original.strip() != str(body_length):
        kept.append((ORIG_LENGTH_HEADER, original))
    return kept


def request_head(exchange: _Exchange) -> StatusAndHeaders:
    """The request line and headers; adds ``Host`` when the client did not record it."""
    parts = urlsplit(exchange.url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    headers = list(exchange.request_headers)
    if not any(name.lower() == "host" for name, _ in headers):
        headers.insert(0, ("Host", parts.netloc.rpartition("@")[2]))
    if exchange.request_body or any(name.lower() == "content-length" for name, _ in headers):
        headers = stored_headers(headers, len(exchange.request_body))
    # warcio keeps the method in ``protocol`` and the rest of the request line in ``statusline``.
    return StatusAndHeaders(
        f"{target} {exchange.http_version}", headers, protocol=exchange.method.upper()
    )


def response_head(exchange: _Exchange) -> StatusAndHeaders:
    """The status line and headers of the response as stored (see module docstring)."""
    statusline = f"{exchange.status} {exchange.reason}".rstrip()
    headers = stored_headers(exchange.response_headers, len(exchange.response_body))
    return StatusAndHeaders(statusline, headers, protocol=exchange.http_version)
