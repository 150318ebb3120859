"""The recording middleware: every HTTP exchange goes to WARC exactly as the server sent it.

It sits at priority 950, next to the downloader, so its ``process_response`` sees the body before
HttpCompressionMiddleware (590) decodes it and before RedirectMiddleware (600) follows a redirect:
each hop of a redirect chain is archived. The WARC location of the response record is put into
``request.meta["newsarc_warc"]`` so the Page (and the stored article) can point at it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.http.headers import Headers
from scrapy.settings import BaseSettings

from archive.writer import HttpExchange, WarcWriter, WarcWriterConfig

logger = logging.getLogger(__name__)

META_KEY = "newsarc_warc"


def warc_config_from_settings(settings: BaseSettings, crawl_id: str | None) -> WarcWriterConfig:
    """Build the writer's config from ``NEWSARC_WARC_DIR``, ``NEWSARC_WARC_PREFIX``, ``NEWSARC_WARC_MAX_SIZE``."""
    max_size = settings.getint("NEWSARC_WARC_MAX_SIZE")
    if max_size <= 0:
        raise ValueError(f"NEWSARC_WARC_MAX_SIZE must be positive, got {max_size!r}")
    extra = {"crawl-id": crawl_id} if crawl_id else {}
    return WarcWriterConfig(
        directory=Path(settings.get("NEWSARC_WARC_DIR")),
        prefix=settings.get("NEWSARC_WARC_PREFIX"),
        max_size=max_size,
        software="newsarc/0.1 (Scrapy, warcio)",
        extra_info=extra,
    )


def _header_pairs(headers: Headers) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for name, values in headers.items():
        key = name.decode("latin-1")
        pairs.extend((key, value.decode("latin-1")) for value in values)
    return pairs


def exchange_from(request: Request, response: Response) -> HttpExchange:
    """The HttpExchange of one request/response pair, with the body as received."""
    try:
        reason = HTTPStatus(response.status).phrase
    except ValueError:
        reason = ""
    version = response.protocol or "HTTP/1.1"
    truncated = "length" if "dataloss" in response.flags else None
    return HttpExchange(
        url=request.url,
        method=request.method,
        request_headers=_header_pairs(request.headers),
        request_body=request.body,
        status=response.status,
        reason=reason,
        response_headers=_header_pairs(response.headers),
        response_body=response.body,
        fetched_at=datetime.now(UTC),
        http_version=version if version.startswith("HTTP/") else "HTTP/1.1",
        ip_address=str(response.ip_address) if response.ip_address else None,
        truncated=truncated,
    )


class WarcRecordingMiddleware:
    """Downloader middleware writing request+response records (``newsarc/warc/records``).

    Settings: ``NEWSARC_WARC_DIR``, ``NEWSARC_WARC_PREFIX``, ``NEWSARC_WARC_MAX_SIZE``.
    """

    def __init__(self, crawler: Crawler, config: WarcWriterConfig) -> None:
        self.crawler = crawler
        self.config = config
        self.writer: WarcWriter | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcRecordingMiddleware:
        crawl_id = crawler.settings.get("NEWSARC_CRAWL_ID")
        middleware = cls(crawler, warc_config_from_settings(crawler.settings, crawl_id))
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        if self.writer is None:
            self.config.directory.mkdir(parents=True, exist_ok=True)
            self.writer = WarcWriter(self.config)
        location = self.writer.write_exchange(exchange_from(request, response))
        request.meta[META_KEY] = location
        self._inc("newsarc/warc/records")
        return response

    def spider_closed(self, spider: Spider) -> None:
        if self.writer is None:
            return
        files = self.writer.close()
        self._set("newsarc/warc/files", len(files))
        logger.info("Closed %d WARC file(s) in %s", len(files), self.config.directory)

    def _inc(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key)

    def _set(self, key: str, value: int) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.set_value(key, value)
