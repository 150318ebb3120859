"""The recording middleware: every HTTP exchange goes to WARC exactly as the server sent it.

It sits at priority 950, next to the downloader, so its ``process_response`` sees the body before
HttpCompressionMiddleware (590) decodes it and before RedirectMiddleware (600) follows a redirect:
each hop of a redirect chain is archived. The WARC location of the response record is put into
``request.meta["newsarc_warc"]`` (its record id and payload digest into ``newsarc_warc_record``)
so the Page (and the stored article) can point at it. When the spider opens, ``.open`` files
a crash left in the WARC directory are repaired (``archive.repair``) before anything is written.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from http import HTTPStatus
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import scrapy
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.http.headers import Headers
from scrapy.settings import BaseSettings

from archive.digestindex import DIGEST_INDEX_NAME
from archive.repair import repair_paths
from archive.writer import DEFAULT_GZIP_LEVEL, HttpExchange, WarcWriter, WarcWriterConfig

logger = logging.getLogger(__name__)

META_KEY = "newsarc_warc"
RECORD_META_KEY = "newsarc_warc_record"


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "unknown"


def warcinfo_fields(settings: BaseSettings, crawl_id: str | None) -> dict[str, str]:
    """The crawl-specific ``warcinfo`` fields (the writer adds software, format, hostname)."""
    fields = {
        "scrapy-version": scrapy.__version__,
        "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
        "http-header-user-agent": str(settings.get("USER_AGENT") or ""),
    }
    if crawl_id:
        fields["crawl-id"] = crawl_id
    return fields


def warc_config_from_settings(settings: BaseSettings, crawl_id: str | None) -> WarcWriterConfig:
    """Build the writer's config from the ``NEWSARC_WARC_*`` settings (see the middleware)."""
    max_size = settings.getint("NEWSARC_WARC_MAX_SIZE")
    if max_size <= 0:
        raise ValueError(f"NEWSARC_WARC_MAX_SIZE must be positive, got {max_size!r}")
    level = settings.get("NEWSARC_WARC_GZIP_LEVEL", DEFAULT_GZIP_LEVEL)
    if str(level).strip() not in {str(n) for n in range(10)}:
        raise ValueError(f"NEWSARC_WARC_GZIP_LEVEL must be an integer 0..9, got {level!r}")
    directory = Path(settings.get("NEWSARC_WARC_DIR"))
    return WarcWriterConfig(
        directory=directory,
        prefix=settings.get("NEWSARC_WARC_PREFIX"),
        max_size=max_size,
        software=f"newsarc/{_version('newsarc')} (warcio/{_version('warcio')})",
        operator=str(settings.get("NEWSARC_WARC_OPERATOR") or "") or None,
        extra_info=warcinfo_fields(settings, crawl_id),
        gzip_level=int(level),
        digest_index=directory / DIGEST_INDEX_NAME,
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

    Settings: ``NEWSARC_WARC_DIR``, ``NEWSARC_WARC_PREFIX``, ``NEWSARC_WARC_MAX_SIZE``,
    ``NEWSARC_WARC_OPERATOR``, ``NEWSARC_WARC_GZIP_LEVEL``. Stats: ``newsarc/warc/records``,
    ``newsarc/warc/revisits``, ``newsarc/warc/repaired`` (files), ``newsarc/warc/files``.
    """

    def __init__(self, crawler: Crawler, config: WarcWriterConfig) -> None:
        self.crawler = crawler
        self.config = config
        self.writer: WarcWriter | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcRecordingMiddleware:
        crawl_id = crawler.settings.get("NEWSARC_CRAWL_ID")
        middleware = cls(crawler, warc_config_from_settings(crawler.settings, crawl_id))
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_opened(self, spider: Spider) -> None:
        """Repair the ``.open`` files a crashed crawl left in the WARC directory."""
        if not self.config.directory.is_dir():
            return
        for result in repair_paths([self.config.directory]):
            if result.action in ("repaired", "complete"):
                self._inc("newsarc/warc/repaired")
                logger.warning(
                    "Repaired %s left by a crash: %d records kept, %d bytes cut",
                    result.path.name, result.records, result.cut_bytes,
                )  # fmt: skip
            elif result.action == "failed":
                logger.error("Cannot repair %s: %s", result.path, result.message)

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        if self.writer is None:
            self.config.directory.mkdir(parents=True, exist_ok=True)
            self.writer = WarcWriter(self.config)
        location = self.writer.write_exchange(exchange_from(request, response))
        request.meta[META_KEY] = location
        request.meta[RECORD_META_KEY] = (
            self.writer.last_record_id,
            self.writer.last_payload_digest,
        )
        self._inc("newsarc/warc/records")
        if self.writer.last_record_type == "revisit":
            self._inc("newsarc/warc/revisits")
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
