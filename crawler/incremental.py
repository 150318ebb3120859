"""Incremental crawling: stored articles are not downloaded again, the rest is asked conditionally.

Feeds, sitemaps, robots.txt and listing pages are always fetched (they are how new articles are
found); only requests the spider marks as article candidates (``meta["newsarc_kind"] == "page"``)
whose URL or canonical URL is stored as an article are skipped, unless ``NEWSARC_CRAWL_REFRESH``.
What is fetched again carries the validators the store kept from its last successful fetch
(``If-None-Match`` from the ETag, ``If-Modified-Since`` from Last-Modified, RFC 9110 sections
13.1.2 and 13.1.3); a ``304 Not Modified`` answer is archived by the recording middleware and
then dropped here, counted as a saved request. Also: the ``--since`` date filter of sitemap and
feed entries (``too_old``), used by the spider before anything is downloaded, and the older
pages of a feed for ``--backfill`` (``older_feed_page``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.settings import BaseSettings

from pipelines.store import Store, StoreError
from pipelines.urls import canonicalize_url

logger = logging.getLogger(__name__)

CONDITIONAL_KINDS = frozenset({"feed", "sitemap", "page"})
VALIDATED_META = "newsarc_conditional"
UNCONDITIONAL_META = "newsarc_unconditional"
"""Set by the spider on requests whose 304 would hide other changes (robots.txt, top sitemaps)."""


class AlreadyStored(IgnoreRequest):
    """The URL is stored as an article and refresh was not asked for."""


class NotModified(IgnoreRequest):
    """The server answered 304 to a conditional request: nothing new there since last time."""


@dataclass(frozen=True)
class IncrementalConfig:
    """``NEWSARC_STORE_PATH`` (where stored URLs and validators come from) and
    ``NEWSARC_CRAWL_REFRESH`` (stored articles are fetched again, unconditionally)."""

    store_path: Path
    refresh: bool

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> IncrementalConfig:
        return cls(
            Path(settings.get("NEWSARC_STORE_PATH")), settings.getbool("NEWSARC_CRAWL_REFRESH")
        )


class SkipStoredMiddleware:
    """Downloader middleware: skips stored articles, asks the rest conditionally.

    Stats: ``newsarc/incremental/skipped`` (stored article not fetched),
    ``newsarc/incremental/conditional`` (validators sent), ``newsarc/incremental/not_modified``
    (a 304: one saved download).
    """

    def __init__(self, crawler: Crawler, known: set[str], store: Store | None,
                 refresh: bool) -> None:  # fmt: skip
        self.crawler = crawler
        self.known = known
        self.store = store
        self.refresh = refresh

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SkipStoredMiddleware:
        config = IncrementalConfig.from_settings(crawler.settings)
        store = None
        known: set[str] = set()
        if config.store_path.exists():
            try:
                store = Store(config.store_path, create=False)
            except StoreError:
                logger.warning("Incremental crawl off: cannot read %s", config.store_path,
                               exc_info=True)  # fmt: skip
        if store is not None and not config.refresh:
            known = store.article_urls()
            logger.info("Incremental crawl: %d stored article URLs will not be fetched again",
                        len(known))  # fmt: skip
        middleware = cls(crawler, known, store, config.refresh)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        kind = request.meta.get("newsarc_kind")
        if kind is None:
            return  # not the spider's: e.g. RobotsTxtMiddleware's robots.txt, never conditional
        if (
            kind == "page"
            and self.known
            and (request.url in self.known or canonicalize_url(request.url) in self.known)
        ):
            self._inc("newsarc/incremental/skipped")
            raise AlreadyStored(f"already stored: {request.url}")
        if self._conditional(request, kind):
            self._add_validators(request)

    def _conditional(self, request: Request, kind: str) -> bool:
        """Feeds, sitemaps below an index, listing pages; not the entry points (robots.txt, top
        sitemaps, start URLs), whose 304 would hide what changed below them; no page when
        refresh is asked."""
        if self.store is None or request.meta.get(UNCONDITIONAL_META):
            return False
        if VALIDATED_META in request.meta or b"If-None-Match" in request.headers:
            return False
        return kind in CONDITIONAL_KINDS and not (kind == "page" and self.refresh)

    def _add_validators(self, request: Request) -> None:
        validators = self.store.page_validators(request.url) if self.store else None
        if not validators:
            return
        if validators.get("etag"):
            request.headers[b"If-None-Match"] = validators["etag"]
        if validators.get("last_modified"):
            request.headers[b"If-Modified-Since"] = validators["last_modified"]
        request.meta[VALIDATED_META] = True
        self._inc("newsarc/incremental/conditional")

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        if response.status == 304 and request.meta.get(VALIDATED_META):
            self._inc("newsarc/incremental/not_modified")
            raise NotModified(f"not modified since the last crawl: {request.url}")
        return response

    def spider_closed(self, spider: Spider) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None

    def _inc(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key)


# --- --since: dates of sitemap and feed entries --------------------------------------------


def parse_since(value: str | None) -> datetime | None:
    """The ``--since`` argument (ISO 8601 date or date-time) as an aware UTC datetime."""
    if not value:
        return None
    moment = entry_date(value)
    if moment is None:
        raise ValueError(f"--since: not an ISO 8601 date: {value!r} (e.g. 2025-07-01)")
    return moment


def entry_date(text: str | None) -> datetime | None:
    """A sitemap/Atom (W3C datetime) or RSS (RFC 822) date as aware UTC; None if unreadable."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def too_old(date: str | None, since: datetime | None) -> bool:
    """True when ``since`` is set and the entry has a readable date before it (no date: keep)."""
    if since is None:
        return False
    moment = entry_date(date)
    return moment is not None and moment < since


# --- backfill: older pages of a feed -----------------------------------------------------------

MAX_BACKFILL_PAGE = 1000
"""No feed is paged back further than this (a feed that ignores the page parameter and answers
the same entries forever is stopped by the dupefilter; this bounds the others)."""


def older_feed_page(url: str, entries: int) -> str | None:
    """The URL of the next older page of a feed, or None when the feed kind is not known.

    WordPress: ``/feed/?paged=N`` (``paged`` + 1). Blogger: ``/feeds/posts/default`` with
    ``start-index`` (1-based) advanced by ``max-results`` (default: the entries of this page).
    """
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    if "/feeds/" in parts.path and "/posts/" in parts.path:
        step = int(query.get("max-results") or entries or 25)
        start = int(query.get("start-index") or 1) + step
        if start > MAX_BACKFILL_PAGE * step:
            return None
        query.update({"start-index": str(start), "max-results": str(step)})
    elif parts.path.rstrip("/").endswith("/feed") or "feed" in query:
        page = int(query.get("paged") or 1) + 1
        if page > MAX_BACKFILL_PAGE:
            return None
        query["paged"] = str(page)
    else:
        return None
    return urlunsplit(parts._replace(query=urlencode(query)))
