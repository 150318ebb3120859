"""The private-address guard: no request reaches loopback, private or link-local hosts unless allowed.

Scrapy follows redirects to 127.0.0.1 and ``allowed_domains`` does not stop a public name that
resolves to a private address, so the guard checks every request (redirect hops included) by
resolving its host, and checks the peer address the response actually came from.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

ALLOWED_SCHEMES = frozenset({"http", "https"})


class PrivateAddressRefused(IgnoreRequest):
    """A request to a private, loopback or link-local address without permission."""


def is_private_ip(address: str) -> bool:
    """True for loopback, private (RFC 1918, fc00::/7), link-local, reserved or unspecified addresses."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def refusal_reason(url: str, allow_private: bool) -> str | None:
    """Why ``url`` may not be fetched, or None when it may.

    Resolves the host name, so a public-looking name that points at a private address is refused too.
    """
    parts = urlsplit(url)
    if parts.scheme not in ALLOWED_SCHEMES:
        return f"scheme {parts.scheme or '(none)'!r} is not crawled: {url}"
    if allow_private:
        return None
    host = parts.hostname
    if not host:
        return f"no host in URL: {url}"
    try:
        infos = socket.getaddrinfo(host, parts.port or 80, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return None  # unresolvable: the download fails with its own DNS error
    for info in infos:
        address = str(info[4][0])
        if is_private_ip(address):
            return (
                f"{url} resolves to the private address {address}; "
                "pass --allow-private to crawl loopback or private hosts"
            )
    return None


@dataclass(frozen=True)
class SafetyConfig:
    """Settings of the guard: ``NEWSARC_SAFETY_ALLOW_PRIVATE`` (bool)."""

    allow_private: bool = False

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> SafetyConfig:
        return cls(allow_private=settings.getbool("NEWSARC_SAFETY_ALLOW_PRIVATE"))


class PrivateAddressMiddleware:
    """Downloader middleware refusing private targets (counted as ``newsarc/safety/refused``)."""

    def __init__(self, crawler: Crawler, config: SafetyConfig) -> None:
        self.crawler = crawler
        self.config = config

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PrivateAddressMiddleware:
        return cls(crawler, SafetyConfig.from_settings(crawler.settings))

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        reason = refusal_reason(request.url, self.config.allow_private)
        if reason is not None:
            self._refuse(reason)

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        peer = response.ip_address
        if not self.config.allow_private and peer is not None and is_private_ip(str(peer)):
            self._refuse(f"{response.url} was served from the private address {peer}")
        return response

    def _refuse(self, reason: str) -> Any:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("newsarc/safety/refused")
        logger.warning("Refused: %s", reason)
        raise PrivateAddressRefused(reason)
