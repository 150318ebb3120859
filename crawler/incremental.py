"""Incremental crawling: article URLs already in the store are not downloaded again.

Feeds, sitemaps, robots.txt and listing pages are always fetched (they are how new articles are
found); only requests the spider marks as article candidates (``meta["newsarc_kind"] == "page"``)
whose URL or canonical URL is stored as an article are skipped, unless ``NEWSARC_CRAWL_REFRESH``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured

from pipelines.store import Store
from pipelines.urls import canonicalize_url

logger = logging.getLogger(__name__)


class AlreadyStored(IgnoreRequest):
    """The URL is stored as an article and refresh was not asked for."""


class SkipStoredMiddleware:
    """Downloader middleware; counts ``newsarc/incremental/skipped``.

    Settings: ``NEWSARC_STORE_PATH``, ``NEWSARC_CRAWL_REFRESH`` (switches it off).
    """

    def __init__(self, crawler: Crawler, known: set[str]) -> None:
        self.crawler = crawler
        self.known = known

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SkipStoredMiddleware:
        if crawler.settings.getbool("NEWSARC_CRAWL_REFRESH"):
            raise NotConfigured("refresh asked: stored articles are fetched again")
        path = Path(crawler.settings.get("NEWSARC_STORE_PATH"))
        if not path.exists():
            return cls(crawler, set())
        with Store(path) as store:
            known = store.article_urls()
        logger.info(
            "Incremental crawl: %d stored article URLs will not be fetched again", len(known)
        )
        return cls(crawler, known)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if request.meta.get("newsarc_kind", "page") != "page" or not self.known:
            return
        if request.url in self.known or canonicalize_url(request.url) in self.known:
            if self.crawler.stats is not None:
                self.crawler.stats.inc_value("newsarc/incremental/skipped")
            raise AlreadyStored(f"already stored: {request.url}")
