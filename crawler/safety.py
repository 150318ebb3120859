"""The private-address guard: no request reaches loopback, private or link-local hosts unless allowed.

Scrapy follows redirects to 127.0.0.1 and ``allowed_domains`` does not stop a public name that
resolves to a private address. The guard works at three points:

- ``PrivateAddressMiddleware.process_request`` refuses, before any connection, URLs whose scheme
  is not http(s) (``file:``, ``data:``, ``ftp:`` …) and hosts that are private IP literals; it runs
  for every request, so every redirect hop is checked again;
- ``GuardedResolver`` (Scrapy's ``TWISTED_DNS_RESOLVER``) refuses a host name whose address is
  private at resolution time, in Scrapy's resolver thread: the address checked is the very address
  the connection is made to, so DNS rebinding (a public answer first, a private one later) cannot
  get through, and the reactor is never blocked by a lookup;
- ``process_response`` checks the peer address the response actually came from (defence in depth).

Addresses in ``NEWSARC_SAFETY_ALLOW_NETWORKS`` are allowed even though private (say, one intranet
host); ``NEWSARC_SAFETY_ALLOW_PRIVATE`` (``--allow-private``) allows every address.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import CannotResolveHostError, IgnoreRequest
from scrapy.http import Response
from scrapy.resolver import CachingThreadedResolver
from scrapy.settings import BaseSettings
from twisted.internet.base import ReactorBase
from twisted.internet.defer import Deferred
from twisted.internet.error import DNSLookupError

logger = logging.getLogger(__name__)

ALLOWED_SCHEMES = frozenset({"http", "https"})
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_REMEMBERED_REFUSALS = 10_000


class PrivateAddressRefused(IgnoreRequest):
    """A request to a private, loopback or link-local address without permission."""


class SchemeRefused(IgnoreRequest):
    """A request whose scheme is not http or https (``file:``, ``data:``, ``ftp:`` …)."""


class PrivateAddressLookup(DNSLookupError):
    """The resolver refused a host name because it resolves to a private address."""


def is_private_ip(address: str) -> bool:
    """True for loopback, private (RFC 1918, fc00::/7), link-local, reserved or unspecified addresses."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def parse_networks(
    value: Any, setting: str = "NEWSARC_SAFETY_ALLOW_NETWORKS"
) -> tuple[IPNetwork, ...]:
    """Networks from a list or a comma/space separated string; ValueError naming the setting."""
    items: Iterable[Any] = (
        value.replace(",", " ").split() if isinstance(value, str) else value or ()
    )
    networks: list[IPNetwork] = []
    for item in items:
        try:
            networks.append(ipaddress.ip_network(str(item).strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"{setting}: {item!r} is not an IP network ({exc})") from exc
    return tuple(networks)


@dataclass(frozen=True)
class SafetyConfig:
    """Settings of the guard.

    ``NEWSARC_SAFETY_ALLOW_PRIVATE`` (bool): allow every address.
    ``NEWSARC_SAFETY_ALLOW_NETWORKS`` (list or comma-separated CIDR networks): private networks
    allowed anyway, e.g. ``127.0.0.1/32`` for a server of one's own.
    """

    allow_private: bool = False
    allow_networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> SafetyConfig:
        return cls(
            allow_private=settings.getbool("NEWSARC_SAFETY_ALLOW_PRIVATE"),
            allow_networks=parse_networks(settings.get("NEWSARC_SAFETY_ALLOW_NETWORKS")),
        )

    def address_allowed(self, address: str) -> bool:
        """True when connecting to the IP ``address`` is allowed."""
        if self.allow_private or not is_private_ip(address):
            return True
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        return any(ip in network for network in self.allow_networks)


def _literal_ip(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]").split("%", 1)[0]))
    except ValueError:
        return None


def _private_message(url: str, address: str) -> str:
    return (
        f"{url} resolves to the private address {address}; "
        "pass --allow-private to crawl loopback or private hosts"
    )


def static_refusal(url: str, config: SafetyConfig) -> str | None:
    """Why ``url`` may not be fetched, judged without DNS: scheme, missing host, private IP literal."""
    parts = urlsplit(url)
    if parts.scheme not in ALLOWED_SCHEMES:
        return f"scheme {parts.scheme or '(none)'!r} is not crawled: {url[:200]}"
    host = parts.hostname
    if not host:
        return f"no host in URL: {url}"
    literal = _literal_ip(host)
    if literal is not None and not config.address_allowed(literal):
        return _private_message(url, literal)
    return None


def refusal_reason(url: str, allow_private: bool, config: SafetyConfig | None = None) -> str | None:
    """Why ``url`` may not be fetched, or None when it may (blocking DNS: for the command line).

    Resolves the host name, so a public-looking name that points at a private address is refused too.
    """
    config = config or SafetyConfig(allow_private=allow_private)
    reason = static_refusal(url, config)
    if reason is not None or config.allow_private:
        return reason
    parts = urlsplit(url)
    try:
        infos = socket.getaddrinfo(parts.hostname or "", parts.port or 80, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, ValueError):
        return None  # unresolvable: the download fails with its own DNS error
    for info in infos:
        address = str(info[4][0])
        if not config.address_allowed(address):
            return _private_message(url, address)
    return None


class GuardedResolver(CachingThreadedResolver):
    """Scrapy's caching threaded resolver that fails lookups answering with a private address.

    Installed through ``TWISTED_DNS_RESOLVER``; refused names are remembered (``refusal``) so the
    middleware can count them and refuse the retry without another lookup.
    """

    def __init__(
        self, reactor: ReactorBase, cache_size: int, timeout: float, config: SafetyConfig
    ) -> None:
        super().__init__(reactor, cache_size, timeout)
        self.config = config
        self.refused: OrderedDict[str, str] = OrderedDict()

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: ReactorBase) -> GuardedResolver:
        settings = crawler.settings
        size = settings.getint("DNSCACHE_SIZE") if settings.getbool("DNSCACHE_ENABLED") else 0
        timeout = settings.getfloat("DNS_TIMEOUT")
        return cls(reactor, size, timeout, SafetyConfig.from_settings(settings))

    def getHostByName(self, name: str, timeout: Any = ()) -> Deferred[str]:
        deferred = super().getHostByName(name, timeout)
        deferred.addCallback(self._check, name)
        return deferred

    def _check(self, address: str, name: str) -> str:
        if self.config.address_allowed(address):
            return address
        self.refused[name.lower()] = address
        while len(self.refused) > _REMEMBERED_REFUSALS:
            self.refused.popitem(last=False)
        raise PrivateAddressLookup(f"{name} resolves to the private address {address}")

    def refusal(self, host: str) -> str | None:
        """The private address ``host`` was refused for, if it was."""
        return self.refused.get(host.lower())


def installed_resolver() -> GuardedResolver | None:
    """The GuardedResolver installed on the reactor, or None (another resolver is configured)."""
    from twisted.internet import reactor

    resolver = getattr(reactor, "resolver", None)
    return resolver if isinstance(resolver, GuardedResolver) else None


class PrivateAddressMiddleware:
    """Downloader middleware refusing unsafe targets.

    Stats: ``newsarc/safety/refused`` (every refusal), ``newsarc/safety/private_address``,
    ``newsarc/safety/scheme``. Settings: see :class:`SafetyConfig`.
    """

    def __init__(self, crawler: Crawler, config: SafetyConfig) -> None:
        self.crawler = crawler
        self.config = config

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PrivateAddressMiddleware:
        return cls(crawler, SafetyConfig.from_settings(crawler.settings))

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        reason = static_refusal(request.url, self.config)
        if reason is not None:
            kind = "scheme" if reason.startswith("scheme") else "private_address"
            self._refuse(kind, reason)
        host = urlsplit(request.url).hostname or ""
        resolver = installed_resolver()
        address = resolver.refusal(host) if resolver is not None else None
        if address is not None:
            self._refuse("private_address", _private_message(request.url, address))

    def process_exception(
        self, request: Request, exception: Exception, spider: Spider | None = None
    ) -> None:
        if not isinstance(exception, (DNSLookupError, CannotResolveHostError)):
            return
        host = urlsplit(request.url).hostname or ""
        resolver = installed_resolver()
        address = resolver.refusal(host) if resolver is not None else None
        if address is not None:
            self._refuse("private_address", _private_message(request.url, address))

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        peer = response.ip_address
        if peer is not None and not self.config.address_allowed(str(peer)):
            self._refuse(
                "private_address", f"{response.url} was served from the private address {peer}"
            )
        return response

    def _refuse(self, kind: str, reason: str) -> Any:
        stats = self.crawler.stats
        if stats is not None:
            stats.inc_value("newsarc/safety/refused")
            stats.inc_value(f"newsarc/safety/{kind}")
        logger.warning("Refused: %s", reason)
        error = SchemeRefused if kind == "scheme" else PrivateAddressRefused
        raise error(reason)
