"""Running a crawl from Python: settings from the project, our options on top, stats back.

Used by ``newsarc crawl`` and ``newsarc demo``; ``scrapy crawl news`` goes through Scrapy's own
command instead and ends in the same spider, middlewares and pipeline.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.lock import crawl_lock
from crawler.spiders.news import NewsSpider
from pipelines.store import Store

# Politeness off: for one's own servers, the demo and benchmarks only.
NO_THROTTLE_SETTINGS: dict[str, Any] = {
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "DOWNLOAD_DELAY_JITTER": 0,
    "CONCURRENT_REQUESTS": 32,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 32,
}


@dataclass(frozen=True)
class CrawlOptions:
    """What one crawl run is asked to do."""

    urls: Sequence[str] = ()
    sites_file: Path | None = None
    site_names: Sequence[str] = ()
    db: Path = Path("news.db")
    warc_dir: Path = Path("warcs")
    max_pages: int = 0
    depth: int = 2
    allow_private: bool = False
    refresh: bool = False
    since: str | None = None  # ISO date: older sitemap/feed entries are not fetched
    kind: str = "crawl"
    backfill: bool = False  # with since: page back through feeds until since
    redis: str | None = None  # join the distributed crawl at this Redis URL
    crawl_id: str | None = None  # a crawls row made beforehand (by the scheduler)
    overrides: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CrawlReport:
    """Figures of a finished crawl, for the summary the command line prints."""

    crawl_id: str
    stats: dict[str, Any]
    seconds: float

    def count(self, key: str) -> int:
        return int(self.stats.get(key, 0) or 0)


def project_settings(options: CrawlOptions, crawl_id: str) -> Settings:
    """The project's settings with this run's options applied."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    values: dict[str, Any] = {
        "NEWSARC_STORE_PATH": str(options.db),
        "NEWSARC_WARC_DIR": str(options.warc_dir),
        "NEWSARC_SAFETY_ALLOW_PRIVATE": options.allow_private,
        "NEWSARC_CRAWL_REFRESH": options.refresh,
        "NEWSARC_CRAWL_ID": crawl_id,
        "NEWSARC_CRAWL_KIND": options.kind,
        "CLOSESPIDER_PAGECOUNT": options.max_pages,
    }
    settings.setdict(values, priority="cmdline")
    settings.setdict(dict(options.overrides), priority="cmdline")
    if options.redis:
        from crawler.distributed import use_redis  # scrapy-redis: the distributed extra

        use_redis(settings, options.redis)
    return settings


def spider_arguments(options: CrawlOptions) -> dict[str, Any]:
    """The keyword arguments of NewsSpider for these options."""
    args: dict[str, Any] = {"depth": options.depth}
    if options.urls:
        args["url"] = " ".join(options.urls)
    if options.sites_file is not None:
        args["sites"] = str(options.sites_file)
        args["site"] = ",".join(options.site_names)
    if options.since:
        args["since"] = options.since
    if options.backfill:
        args["backfill"] = "1"
    return args


def run_crawl(options: CrawlOptions) -> CrawlReport:
    """Crawl in this process (Twisted's reactor runs once per process) and return the figures.

    One crawl per database (``crawler.lock``); Redis workers, which do not write it, take no lock.
    """
    if getattr(options, "redis", None):
        return _run_crawl(options)
    with crawl_lock(options.db):
        return _run_crawl(options)


def _run_crawl(options: CrawlOptions) -> CrawlReport:
    started = time.monotonic()
    options.db.parent.mkdir(parents=True, exist_ok=True)
    crawl_id = options.crawl_id
    if crawl_id is None:
        with Store(options.db) as store:
            crawl_id = store.start_crawl(options.kind, _describe(options))
    settings = project_settings(options, crawl_id)
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(NewsSpider)
    process.crawl(crawler, **spider_arguments(options))
    process.start()
    stats = dict(crawler.stats.get_stats()) if crawler.stats else {}
    return CrawlReport(crawl_id, stats, time.monotonic() - started)


def _describe(options: CrawlOptions) -> dict[str, Any]:
    return {
        "urls": list(options.urls),
        "sites_file": str(options.sites_file) if options.sites_file else None,
        "sites": list(options.site_names),
        "max_pages": options.max_pages,
        "depth": options.depth,
        "refresh": options.refresh,
    }
