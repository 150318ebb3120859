"""Size and time limits: a download cut off by a limit is a counted, named skip, not an error.

Scrapy enforces the limits themselves (``DOWNLOAD_MAXSIZE`` on the body as received and, in
HttpCompressionMiddleware, on the decompressed body — the gzip-bomb case; ``DOWNLOAD_TIMEOUT``
on the whole download — slowloris and silent servers). It reports them as errors with a
traceback; this downloader middleware turns them into ``IgnoreRequest`` subclasses counted as
``newsarc/limits/too_large`` and ``newsarc/limits/timeout``, logged as one warning line. A response
cut off by a limit is not archived (Scrapy hands over no partial body); a response whose
connection was lost is archived as far as received with ``WARC-Truncated: length`` by the
recording middleware when ``DOWNLOAD_FAIL_ON_DATALOSS`` is off.

``LimitedCompressionMiddleware`` replaces Scrapy's HttpCompressionMiddleware at 590 to count
the bodies it refuses to decompress past the limit; ``LimitedRedirectMiddleware`` replaces
RedirectMiddleware at 600 to count chains longer than ``REDIRECT_MAX_TIMES`` (``newsarc/limits/redirects``;
a loop is cut by the same limit or by Scrapy's duplicate filter). ``LimitsMiddleware`` sits below RetryMiddleware (550): a timeout is retried ``RETRY_TIMES`` first, then counted here.
"""

from __future__ import annotations

import logging

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.exceptions import DownloadCancelledError, DownloadTimeoutError, IgnoreRequest
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

try:  # Twisted's own timeout errors, raised by older download handlers
    from twisted.internet.error import TimeoutError as TwistedTimeoutError
except ImportError:  # pragma: no cover
    TwistedTimeoutError = DownloadTimeoutError  # type: ignore[assignment, misc]


class LimitExceeded(IgnoreRequest):
    """A download cut off by a size or time limit; ``reason`` names which."""

    reason = "limit"


class TooLarge(LimitExceeded):
    reason = "too_large"


class TimedOut(LimitExceeded):
    reason = "timeout"


class TooManyRedirects(LimitExceeded):
    reason = "redirects"


class LimitsMiddleware:
    """Downloader middleware counting downloads cut off by DOWNLOAD_MAXSIZE / DOWNLOAD_TIMEOUT."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LimitsMiddleware:
        return cls(crawler)

    def process_exception(
        self, request: Request, exception: Exception, spider: Spider | None = None
    ) -> None:
        if isinstance(exception, DownloadCancelledError):
            self._skip(TooLarge, request, str(exception) or "body larger than DOWNLOAD_MAXSIZE")
        if isinstance(exception, (DownloadTimeoutError, TwistedTimeoutError)):
            self._skip(TimedOut, request, str(exception))

    def _skip(self, error: type[LimitExceeded], request: Request, detail: str) -> None:
        raise counted_skip(self.crawler.stats, error, request.url, detail)


def counted_skip(
    stats: StatsCollector | None, error: type[LimitExceeded], url: str, detail: str
) -> LimitExceeded:
    """Count and log a cut-off request; the exception to raise for it."""
    if stats is not None:
        stats.inc_value("newsarc/limits/skipped")
        stats.inc_value(f"newsarc/limits/{error.reason}")
    message = f"{error.reason}: {url[:300]} ({' '.join(detail.split())[:300]})"
    logger.warning("Skipped %s", message)
    return error(message)


class LimitedCompressionMiddleware(HttpCompressionMiddleware):
    """Scrapy's decompression (bounded by DOWNLOAD_MAXSIZE), its refusals counted as too_large."""

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        try:
            return super().process_response(request, response)
        except IgnoreRequest as exc:
            raise counted_skip(
                self.stats, TooLarge, request.url, f"decompression bomb: {exc}"
            ) from exc


class LimitedRedirectMiddleware(RedirectMiddleware):
    """Scrapy's redirects (at most REDIRECT_MAX_TIMES hops), the discarded chains counted."""

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        try:
            return super().process_response(request, response)
        except IgnoreRequest as exc:
            detail = f"more than {self.max_redirect_times} hops"
            raise counted_skip(self.crawler.stats, TooManyRedirects, request.url, detail) from exc
